"""Views that belong to no stage."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def health(request):
    """For a load balancer's health check: the process answers. It reads nothing (a database
    outage shows on every other page), so it is also the floor every page is measured against:
    the server, the middleware and a JSON response, with no work of ours (docs/benchmarks.md)."""
    return JsonResponse({"status": "ok"})
