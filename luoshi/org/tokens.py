"""/api/token/: the person's API token (see authentication.py for its expiry), behind the same
log-in lockout as the log-in page."""

from axes.handlers.proxy import AxesProxyHandler
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from . import services
from .lockout import lockout_response

TokenReply = inline_serializer(
    "TokenReply",
    {"token": serializers.CharField(), "expires": serializers.DateTimeField()},
)


class ObtainToken(ObtainAuthToken):
    """POST username and password: the person's API token and when it expires. The same token
    comes back until it expires; after too many wrong passwords the pair is locked (429)."""

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: TokenReply,
            400: OpenApiResponse(description="Wrong user name or password."),
            429: OpenApiResponse(description="Locked after too many wrong passwords."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        data = request.data if hasattr(request.data, "get") else {}  # a JSON list: 400 below
        credentials = {"username": data.get("username")}
        if not AxesProxyHandler.is_allowed(request._request, credentials):
            return lockout_response(request._request)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return lockout_response(request._request)
            raise exceptions.ValidationError(serializer.errors)
        person = serializer.validated_data["user"]
        token = services.issue_api_token(person, actor=person)
        return Response({"token": token.key, "expires": token.created + services.token_lifetime()})
