from django.core.exceptions import BadRequest, PermissionDenied

from .errors import OutOfScope
from .ids import OUT_OF_RANGE


class ServiceErrorsMiddleware:
    """On every page: a service's OutOfScope becomes Django's 403, and a number too large for
    the database, wherever in the request it came from (core/ids.py), the request's 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OutOfScope):
            raise PermissionDenied(str(exception)) from exception
        if isinstance(exception, OverflowError):
            raise BadRequest(str(OUT_OF_RANGE)) from exception
        return None
