import datetime as dt
from types import SimpleNamespace

import pytest

from luoshi.consolidation import services
from luoshi.core.actors import system_actor
from luoshi.ledger import services as ledger


@pytest.fixture
def world(orgtree):
    """Two deployed plans: A's task (甲局一处 responsible, reporter_a owns it) and B's task,
    which reporter_a may not read; and three practices, one learned from B's task."""
    system = system_actor()
    plan_a = ledger.create_plan(actor=system, name="甲计划", year=2026, owner_unit=orgtree.a)
    cat = ledger.create_category(plan_a, actor=system, name="基层治理")
    task_a = ledger.create_task(
        plan_a,
        actor=system,
        title="推进社区网格化服务管理",
        category=cat,
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        deadline=dt.date(2026, 12, 31),
    )
    ledger.deploy_plan(plan_a, actor=system)
    plan_b = ledger.create_plan(actor=system, name="乙计划", year=2026, owner_unit=orgtree.b)
    task_b = ledger.create_task(
        plan_b,
        actor=system,
        title="乙局机密任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
        deadline=dt.date(2026, 12, 31),
    )
    ledger.deploy_plan(plan_b, actor=system)
    grid = services.record_practice(
        actor=orgtree.supervisor,
        title="推行网格化管理",
        what="把社区划成若干网格，每格配一名网格员，问题当天发现当天处置。",
        unit=orgtree.b1,
        result="群众诉求办结率提升到98%",
        task=task_b,
        tags=["基层治理", "网格化"],
    )
    mechanism = services.record_practice(
        actor=orgtree.supervisor,
        kind="mechanism",
        title="营商环境投诉闭环机制",
        what="投诉件件有回音，三个工作日内答复。",
        unit=orgtree.a1,
        tags="营商环境",
    )
    school = services.record_practice(
        actor=orgtree.supervisor,
        title="中小学校建设一校一策",
        what="每所学校一张进度表，周调度。",
        unit=orgtree.a,
    )
    return SimpleNamespace(
        plan_a=plan_a,
        task_a=task_a,
        plan_b=plan_b,
        task_b=task_b,
        grid=grid,
        mechanism=mechanism,
        school=school,
    )
