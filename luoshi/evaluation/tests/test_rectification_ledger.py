"""Rectification ledgers (整改台账) as offices keep them: 问题 → 整改措施 → 整改时限 → 责任领导 →
责任部门 → 佐证材料 → 整改进展 → 销号. Each problem is a task; an item closed (销号) in the
workbook is the importing manager's acceptance and must carry its evidence; an open one is
closed only by a completion with evidence that a verifier accepts."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.utils import timezone

from luoshi.core.importing import ImportFailed
from luoshi.evaluation import services
from luoshi.evaluation.models import Completion
from luoshi.ledger import services as ledger
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Plan, Task, TaskStatus

HEADER = [
    "序号",
    "问题",
    "整改措施",
    "整改时限",
    "责任领导",
    "责任部门",
    "佐证材料",
    "整改进展",
    "是否销号",
]


def _book(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rows(evidence_for_closed: str):
    year = timezone.localdate().year
    return [
        [
            "1",
            "老旧小区消防通道被占用",
            "清理占道杂物，设置警示标识",
            f"{year}-12-31",
            "甲领导",
            "甲局一处",
            "",
            "正在整改",
            "未销号",
        ],
        [
            "2",
            "背街小巷垃圾清运不及时",
            "增加清运频次至每日两次",
            f"{year}-06-30",
            "甲领导",
            "甲局一处",
            evidence_for_closed,
            "已完成整改",
            "已销号",
        ],
    ]


@pytest.mark.django_db
def test_a_closed_item_without_its_evidence_is_refused(orgtree):
    with pytest.raises(ImportFailed) as e:
        run(
            _book(_rows("")),
            Options(plan_name="整改台账", owner_unit=orgtree.office, year=2026),
            actor=orgtree.supervisor,
            commit=True,
        )
    [error] = [x for x in e.value.report.errors]
    assert (error["row"], error["column"]) == (3, "佐证材料")
    assert "佐证材料" in str(error["reason"])
    assert not Plan.objects.filter(name="整改台账").exists()  # nothing half written


@pytest.mark.django_db
def test_items_close_only_with_evidence_and_a_verifiers_acceptance(orgtree):
    run(
        _book(_rows("清运台账及现场照片")),
        Options(plan_name="整改台账", owner_unit=orgtree.office, year=2026),
        actor=orgtree.supervisor,
        commit=True,
    )
    plan = Plan.objects.get(name="整改台账")
    ledger.deploy_plan(plan, actor=orgtree.supervisor)
    open_item = Task.objects.get(plan=plan, no="1")
    closed = Task.objects.get(plan=plan, no="2")
    assert open_item.content == "清理占道杂物，设置警示标识"  # 整改措施
    # 销号 in the workbook: the manager's acceptance, on the evidence the row gives.
    imported = Completion.objects.get(task=closed)
    assert (imported.kind, imported.decided_by, imported.summary) == (
        "import",
        orgtree.supervisor,
        "清运台账及现场照片",
    )
    # The open item: the unit submits its evidence; it is closed when the verifier accepts.
    c = services.submit_completion(
        open_item,
        actor=orgtree.reporter_a,
        completed_on=timezone.localdate(),
        summary="占道杂物已清理，警示标识已设置，附整改前后照片",
        documents=[("整改前后照片.pdf", b"%PDF-1.4\n%%EOF\n")],
    )
    open_item.refresh_from_db()
    assert open_item.status != TaskStatus.DONE
    services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=True)
    open_item.refresh_from_db()
    assert open_item.status == TaskStatus.DONE
    assert open_item.completed_on == timezone.localdate()
