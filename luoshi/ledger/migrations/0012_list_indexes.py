"""Indexes for the ledger's status and overdue pages (issue #11), and the stored ordering keys
of item numbers longer than five digits, which rules.sort_key now orders after the shorter
ones (before, "123456" sorted among the five-digit numbers)."""

import re

from django.conf import settings
from django.db import migrations, models

LONG_NUMBER = r"[0-9]{6}"


def _sort_part(p: str) -> str:
    # rules._sort_part as of this migration (a migration must not follow later changes).
    if not re.match(r"^\d+$", p):
        return p[:10].rjust(5, "~")
    digits = p.lstrip("0") or "0"
    if len(digits) <= 5:
        return digits.rjust(5, "0")
    return f":{len(digits):02d}{digits}"


def rekey_long_numbers(apps, schema_editor):
    Task = apps.get_model("ledger", "Task")
    changed = []
    for task in (
        Task.objects.filter(no__regex=LONG_NUMBER)
        .select_related("category")
        .only("pk", "no", "sort_key", "category__order")
        .iterator(chunk_size=2000)
    ):
        order = task.category.order if task.category_id else 0
        parts = [p for p in str(task.no).strip().split(".") if p != ""]
        key = f"{order:04d}|" + ".".join(_sort_part(p) for p in parts)
        if key != task.sort_key:
            task.sort_key = key
            changed.append(task)
    Task.objects.bulk_update(changed, ["sort_key"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0011_task_search"),
        ("org", "0003_field_labels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="task",
            name="task_status_idx",
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["status", "deadline", "plan", "sort_key"], name="task_status_list_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["status", "plan", "sort_key"], name="task_status_sort_idx"),
        ),
        migrations.RunPython(rekey_long_numbers, migrations.RunPython.noop, elidable=True),
    ]
