"""The light's part of the task page: pace against plan and the history of light changes."""

from __future__ import annotations

from django.template.loader import render_to_string

from .. import access
from ..models import TaskLight

HISTORY_SHOWN = 12


def task_panel(request, task) -> str:
    stored = access.with_current_as_of(TaskLight.objects.filter(task=task)).first()
    changes = list(access.changes_for(request.user, task.pk)[: HISTORY_SHOWN + 1])
    if stored is None and not changes:
        return ""
    return render_to_string(
        "supervision/_light_panel.html",
        {
            "stored": stored,
            "changes": changes[:HISTORY_SHOWN],
            "more": len(changes) > HISTORY_SHOWN,
            "task": task,
        },
        request=request,
    )


urlpatterns: list = []
