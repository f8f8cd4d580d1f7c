"""Who has not reported in a cycle, as each role may see it: the supervisor every unit under
it, a leader its unit's subtree and the tasks it leads, a reporter its own unit's slots only."""

import pytest

from luoshi.core.actors import system_actor
from luoshi.dispatch import services
from luoshi.dispatch.models import Cycle
from luoshi.ledger import services as ledger


@pytest.fixture
def cycle(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="缺报计划", year=2026, owner_unit=orgtree.office)
    ledger.create_task(plan, actor=actor, title="甲一任务", responsible_units=[orgtree.a1])
    ledger.create_task(plan, actor=actor, title="乙一任务", responsible_units=[orgtree.b1])
    ledger.create_task(
        plan,
        actor=actor,
        title="乙局牵头甲领导",
        responsible_units=[orgtree.b],
        lead_leader=orgtree.leader_a,
    )
    ledger.deploy_plan(plan, actor=actor)
    services.open_due_cycles()
    return Cycle.objects.get(plan=plan)


def _titles(cycle, reader):
    return sorted(r["slot"].task.title for r in services.missing(cycle, reader=reader))


def test_each_role_sees_the_missing_reports_in_its_scope(orgtree, cycle):
    everything = ["乙一任务", "乙局牵头甲领导", "甲一任务"]
    assert _titles(cycle, orgtree.admin) == everything
    assert _titles(cycle, orgtree.supervisor) == everything
    assert _titles(cycle, orgtree.leader_a) == ["乙局牵头甲领导", "甲一任务"]
    assert _titles(cycle, orgtree.unitadmin_a) == ["甲一任务"]
    assert _titles(cycle, orgtree.reporter_a) == ["甲一任务"]
    assert _titles(cycle, orgtree.reporter_b) == ["乙一任务"]


def test_the_cycle_page_lists_only_what_the_reader_may_see(orgtree, cycle, client):
    client.force_login(orgtree.reporter_b)
    page = client.get(f"/reports/cycles/{cycle.pk}/").content.decode()
    assert "乙一任务" in page and "甲一任务" not in page and "乙局牵头甲领导" not in page
    client.force_login(orgtree.supervisor)
    page = client.get(f"/reports/cycles/{cycle.pk}/").content.decode()
    assert all(t in page for t in ("乙一任务", "甲一任务", "乙局牵头甲领导"))


def test_one_units_missing_reports_the_desk_links_to(orgtree, cycle, client):
    """The desk's 未报 count of a unit opens the cycle page on that unit's rows only, still
    within the reader's scope."""
    client.force_login(orgtree.supervisor)
    page = client.get(f"/reports/cycles/{cycle.pk}/?unit={orgtree.b1.pk}").content.decode()
    assert "乙一任务" in page and "甲一任务" not in page and "乙局牵头甲领导" not in page
    assert "显示全部单位" in page or "Show every unit" in page
    client.force_login(orgtree.reporter_a)  # out of scope: nothing of B1 shows
    page = client.get(f"/reports/cycles/{cycle.pk}/?unit={orgtree.b1.pk}").content.decode()
    assert "乙一任务" not in page
    # A bad value is ignored, not an error.
    client.force_login(orgtree.supervisor)
    assert client.get(f"/reports/cycles/{cycle.pk}/?unit=x{'9' * 30}").status_code == 200
