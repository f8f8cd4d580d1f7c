"""Log-in lockout, with django-axes counting the failures (settings: AXES_*).

axes refuses an authenticate() call without a request; one without a request is no client
trying passwords (the test client, a shell, a command), so nothing is counted or refused."""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request) -> str | None:
    """The address failures are counted against. Behind LUOSHI_PROXY_HOPS reverse proxies, each
    appending to X-Forwarded-For, it is the entry the nearest of them saw, counted from the right
    (entries further left are whatever the client sent); without proxies, REMOTE_ADDR. Else every
    client would share the proxy's address, and one person's failures would lock out all."""
    hops = settings.LUOSHI_PROXY_HOPS
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message(request) -> tuple[str, int]:
    """The message and the seconds until the next try is taken."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    return (
        _(
            "Too many wrong passwords for this account from this address: log-in is locked "
            "for %(minutes)d minutes. Try again later, or ask your administrator to unlock it."
        )
        % {"minutes": minutes},
        seconds,
    )


def lockout_response(request, original_response=None, credentials=None):
    """429, with Retry-After: JSON for the API's token endpoint, the log-in page otherwise."""
    message, seconds = lockout_message(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
