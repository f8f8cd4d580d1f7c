"""Satisfaction survey results imported from a workbook onto the evaluations: by No., percent
as people write it, all or nothing with the row, column and reason of every error."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from luoshi.core.errors import OutOfScope
from luoshi.core.importing import ImportFailed
from luoshi.core.models import AuditRecord
from luoshi.evaluation import services
from luoshi.evaluation.models import Evaluation
from luoshi.evaluation.satisfaction import import_satisfaction

from .test_services import build


def _book(rows, header=("序号", "任务名称", "满意度（%）", "参评人数")) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年民生实事满意度测评结果"])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def evaluated(orgtree):
    world = build(orgtree)
    c = services.submit_completion(
        world.key,
        actor=orgtree.reporter_a,
        completed_on=world.key.deadline.replace(month=6, day=1),
        summary="完成",
    )
    services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=True)
    world.key.refresh_from_db()
    services.evaluate(world.key, actor=orgtree.leader_a, quality="good", effect="好")
    return world


def test_results_go_onto_the_evaluation(orgtree, evaluated):
    data = _book([[evaluated.key.no, "新建学校", "96.5%", 1200]])
    dry = import_satisfaction(evaluated.plan, data, actor=orgtree.supervisor)
    assert (dry.rows, dry.changed, dry.errors, dry.committed) == (1, 1, [], False)
    assert Evaluation.objects.get(task=evaluated.key).satisfaction is None
    done = import_satisfaction(evaluated.plan, data, actor=orgtree.supervisor, commit=True)
    assert done.committed
    ev = Evaluation.objects.get(task=evaluated.key)
    assert (ev.satisfaction, ev.respondents) == (Decimal("96.5"), 1200)
    assert AuditRecord.objects.filter(
        object_type="evaluation.evaluation", object_id=str(ev.pk), action="update"
    ).exists()
    again = import_satisfaction(evaluated.plan, data, actor=orgtree.supervisor, commit=True)
    assert (again.changed, again.unchanged) == (0, 1)


def test_a_percent_cell_as_excel_stores_it(orgtree, evaluated):
    data = _book([[int(evaluated.key.no), "新建学校", 0.923, None]])
    import_satisfaction(evaluated.plan, data, actor=orgtree.supervisor, commit=True)
    assert Evaluation.objects.get(task=evaluated.key).satisfaction == Decimal("92.3")


def test_errors_name_the_row_and_nothing_is_written(orgtree, evaluated):
    data = _book(
        [
            [evaluated.key.no, "新建学校", "95", 100],
            [evaluated.plain.no, "乙局任务", "90", 50],  # not evaluated
            ["99", "无此任务", "90", 50],
            [evaluated.key.no, "新建学校", "120", 50],
        ]
    )
    with pytest.raises(ImportFailed) as e:
        import_satisfaction(evaluated.plan, data, actor=orgtree.supervisor, commit=True)
    found = [(x["row"], x["column"]) for x in e.value.report.errors]
    assert found == [(4, "序号"), (5, "序号"), (6, "满意度（%）")]
    assert Evaluation.objects.get(task=evaluated.key).satisfaction is None
    with pytest.raises(OutOfScope):
        import_satisfaction(evaluated.plan, data, actor=orgtree.reporter_a)


def test_the_command(orgtree, evaluated, tmp_path, capsys):
    path = tmp_path / "满意度.xlsx"
    path.write_bytes(_book([[evaluated.key.no, "新建学校", "88", 300]]))
    call_command("import_satisfaction", str(path), "--plan", evaluated.plan.name, "--commit")
    assert "1 changed" in capsys.readouterr().out
    assert Evaluation.objects.get(task=evaluated.key).satisfaction == Decimal("88.0")
    path.write_bytes(_book([["77", "x", "88", 300]]))
    with pytest.raises(CommandError):
        call_command("import_satisfaction", str(path), "--plan", evaluated.plan.name, "--commit")
