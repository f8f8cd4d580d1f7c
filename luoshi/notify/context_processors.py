from django.utils.functional import SimpleLazyObject

from .access import unread_count


def inbox(request):
    """`inbox_unread` for the navigation badge; lazy, so pages that do not show it pay no
    query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
