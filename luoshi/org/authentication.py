"""API tokens that expire (settings.LUOSHI_TOKEN_DAYS after they are issued) and that a password
change revokes (services.set_password): DRF's token, its table and header, with an age check.
Kept apart from the token view: DRF imports authentication classes while its views load."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .services import token_lifetime


def expired(token, now: dt.datetime | None = None) -> bool:
    return token.created <= (now or timezone.now()) - token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if expired(token):
            raise exceptions.AuthenticationFailed(
                _("The token has expired: ask for a new one at /api/token/.")
            )
        return user, token
