from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "luoshi.org"
    label = "org"
    verbose_name = _("Units and people")


class LockoutConfig(AxesConfig):
    """django-axes, named in the site's language on the admin index (its own name is "Axes")."""

    verbose_name = _("Log-in lockouts")
