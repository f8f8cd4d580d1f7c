from django import template

from luoshi.cockpit import access

register = template.Library()


@register.filter
def may_open_cockpit(user) -> bool:
    """The navigation shows the cockpit to whom it shows something. The scope it reads is
    cached on the request's person (the supervision menu reads it on every page anyway)."""
    return bool(user.is_authenticated and access.may_open(user))
