from django.utils.functional import SimpleLazyObject

from . import access


def supervision(request):
    """`is_supervisor` for the navigation (integrity signals are shown to supervisors only).
    Lazy, and the scope it reads is cached on the request's person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"is_supervisor": SimpleLazyObject(lambda: access.is_supervisor(user))}
