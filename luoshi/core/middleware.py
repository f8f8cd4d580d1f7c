from django.core.exceptions import PermissionDenied

from .errors import OutOfScope


class ScopeMiddleware:
    """A service's OutOfScope becomes Django's 403 on every page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OutOfScope):
            raise PermissionDenied(str(exception)) from exception
        return None
