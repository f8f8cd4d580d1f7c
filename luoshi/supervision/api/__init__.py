"""Supervision's REST API, one module per record kind; each has `register(router)` and may
list extra `urlpatterns` (luoshi/api_urls.py calls `register` and includes them)."""

from . import closed_loop, due_process, integrity, lights, orders, problems

MODULES = (lights, problems, orders, due_process, integrity, closed_loop)


def register(router) -> None:
    for module in MODULES:
        module.register(router)


urlpatterns = [p for module in MODULES for p in getattr(module, "urlpatterns", [])]
