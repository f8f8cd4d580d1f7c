"""`luoshi demo`: the city, people in every role, three plans, the 151-task bureau ledger
through the real importer; deterministic by seed; --scale adds a generated ledger."""

from django.core.management import call_command
from django.db import transaction

from luoshi.core.audit import verify_chain
from luoshi.ledger.models import Plan, Task
from luoshi.org.models import Person, Role, RoleGrant, Unit


def _load(**kw):
    call_command("demo", "--quiet", **kw)
    return list(
        Task.objects.order_by("plan__name", "sort_key").values_list(
            "plan__name", "no", "title", "deadline", "lead_leader__full_name"
        )
    )


def test_demo_city(db):
    tasks = _load(seed=7)
    assert 110 <= Unit.objects.count() <= 140
    assert {r for r in Role.values if r != "public"} <= set(
        RoleGrant.objects.values_list("role", flat=True)
    )
    bureau = Plan.objects.get(name="2026年市交通运输局重点工作任务台账")
    assert bureau.tasks.count() == 151 and bureau.categories.count() == 8
    assert Plan.objects.count() == 3
    assert Person.objects.get(username="reporter").check_password("luoshi-demo-2026")
    assert verify_chain()[0]
    assert len(tasks) == 151 + 40 + 20


def test_demo_is_deterministic_by_seed(db):
    runs = []
    for _ in range(2):
        with transaction.atomic():
            runs.append(_load(seed=11))
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and len(runs[0]) == 211


def test_scale_adds_a_generated_ledger(db):
    call_command("demo", "--quiet", "--scale", "1200")
    plan = Plan.objects.get(name="规模测试台账1200")
    assert plan.tasks.count() == 1200 and plan.numbering == "per_section"
