"""Import mapping at the scale of a real ledger (issue #8): collective names stand for the units
of the tree, 150 unknown names are mapped in one bulk step, an empty database imports with
--create-missing and states every new unit's parent, and the faulty cells come back marked."""

import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Assignment, ImportBatch, Plan, Task
from luoshi.org import services as org
from luoshi.org.models import Person, Unit, UnitKind

from .workbook_factory import workbook


def _row(no, title, resp, coop="", owner="", deadline="2026-06-30"):
    #      序号 任务名称 具体内容 牵头领导 责任单位 配合单位 责任人 完成时限 …
    return [no, title, "", "", resp, coop, owner, deadline, "", "否", "", "", "每月", ""]


@pytest.fixture
def districts(orgtree):
    """Two districts under the city, each with its transport bureau (and one education
    bureau that 各区县交通运输局 must not include)."""
    lc, zq = org.create_units(
        [
            {"name": "历城区", "parent": orgtree.city, "kind": UnitKind.DISTRICT},
            {"name": "章丘区", "parent": orgtree.city, "kind": UnitKind.DISTRICT},
        ],
        actor=system_actor(),
    )
    lc_t, zq_t, zq_e = org.create_units(
        [
            {"name": "历城区交通运输局", "parent": lc, "kind": UnitKind.BUREAU},
            {"name": "章丘区交通运输局", "parent": zq, "kind": UnitKind.BUREAU},
            {"name": "章丘区教育局", "parent": zq, "kind": UnitKind.BUREAU},
        ],
        actor=system_actor(),
    )
    return lc, zq, lc_t, zq_t, zq_e


@pytest.mark.parametrize("create_missing", [False, True])
def test_a_collective_name_maps_to_the_district_bureaus_and_creates_no_unit(
    orgtree, districts, create_missing
):
    lc, zq, lc_t, zq_t, zq_e = districts
    data = workbook(
        [
            _row("1", "新辟公交线路", "甲局", "各区县交通运输局"),
            _row("2", "农村公路", "各区县交通运输局"),
            _row("3", "区县统筹", "各县（市、区）"),
        ]
    )
    opts = Options(plan_name="集合名称", owner_unit=orgtree.a, create_missing=create_missing)
    report = run(data, opts, actor=orgtree.admin, commit=True)
    assert report.committed and report.errors == []
    assert report.collective == {
        "各区县交通运输局": ["历城区交通运输局", "章丘区交通运输局"],
        "各县（市、区）": ["历城区", "章丘区"],
    }
    assert "各区县交通运输局" not in report.created["units"]
    assert not Unit.objects.filter(name__startswith="各").exists()
    tasks = {t.no: t for t in Task.objects.all()}

    def units(task, role):
        return list(
            Assignment.objects.filter(task=task, role=role)
            .order_by("position")
            .values_list("unit__name", flat=True)
        )

    assert units(tasks["1"], "responsible") == ["甲局"]
    assert units(tasks["1"], "cooperating") == ["历城区交通运输局", "章丘区交通运输局"]
    assert units(tasks["2"], "responsible") == ["历城区交通运输局", "章丘区交通运输局"]
    assert units(tasks["3"], "responsible") == ["历城区", "章丘区"]
    # The preview said how each was read.
    read = {o["no"]: o["read"] for o in report.outcomes}
    assert read["1"]["units"][1] == {
        "name": "各区县交通运输局",
        "role": "cooperating",
        "as": ["历城区交通运输局", "章丘区交通运输局"],
        "how": "collective",
        "parent": "",
    }
    assert read["1"]["deadline"] == {"text": "2026-06-30", "value": "2026-06-30"}


def test_a_collective_name_with_no_unit_in_the_tree_is_never_created(orgtree):
    data = workbook(
        [_row("1", "配合", "甲局", "各乡镇（街道）"), _row("2", "独自", "各乡镇（街道）")]
    )
    opts = Options(plan_name="无乡镇", owner_unit=orgtree.a, create_missing=True)
    report = run(data, opts, actor=orgtree.admin)
    assert report.collective == {"各乡镇（街道）": []}
    assert [w["row"] for w in report.warnings] == [3]  # left out of task 1's cooperating units
    assert [(e["row"], e["value"]) for e in report.errors] == [(4, "各乡镇（街道）")]
    assert report.created["units"] == []


NAMES = [f"第{i:03d}协作单位" for i in range(150)]


def _upload(client, orgtree, data, **fields):
    resp = client.post(
        "/import/",
        {
            "file": SimpleUploadedFile("big.xlsx", data),
            "plan_name": "大台账",
            "year": 2026,
            "owner_unit": orgtree.office.pk,
            **fields,
        },
    )
    assert resp.status_code == 302, resp.content[:1000]
    return ImportBatch.objects.latest("created_at")


def test_150_unknown_names_are_mapped_in_one_bulk_step(orgtree, client):
    rows = [
        _row(str(i + 1), f"任务{i + 1}", name, owner=f"责任人{i:03d}")
        for i, name in enumerate(NAMES)
    ]
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree, workbook(rows))
    page = client.get(f"/import/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    ctx = page.context
    # Unknown names are names to confirm, counted, not errors.
    assert ctx["pending_count"] == 300 and ctx["errors"] == []
    assert len(ctx["pending"]["units"]) == 150 and len(ctx["pending"]["people"]) == 150
    assert 'id="count-pending">300<' in page.content.decode()
    assert not ctx["can_confirm"]

    # ONE step: every name left is to be created, units under the parent chosen.
    resp = client.post(
        f"/import/{batch.pk}/", {"action": "bulk", "parent": orgtree.a.pk, "people": "1"}
    )
    assert resp.status_code == 302
    page = client.get(f"/import/{batch.pk}/")
    report = page.context["report"]
    assert page.context["pending_count"] == 0 and report.errors == []
    assert set(report.created_under.values()) == {"甲局"}
    assert len(report.created["units"]) == 150
    assert Unit.objects.filter(name__in=NAMES).count() == 0  # nothing created before confirm

    resp = client.post(f"/import/{batch.pk}/confirm/")
    assert resp.status_code == 302
    assert Task.objects.count() == 150
    assert set(Unit.objects.filter(name__in=NAMES).values_list("parent", flat=True)) == {
        orgtree.a.pk
    }
    people = Person.objects.filter(full_name__startswith="责任人")
    assert people.count() == 150
    # Readable log-in names, not opaque ones.
    assert set(people.values_list("username", flat=True)) == {f"责任人{i:03d}" for i in range(150)}


def test_the_bulk_parent_must_be_a_unit_the_user_manages(orgtree, client):
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree, workbook([_row("1", "甲", "新单位")]))
    resp = client.post(f"/import/{batch.pk}/", {"action": "bulk", "parent": "999999"})
    assert resp.status_code == 200 and resp.context["map_errors"]
    batch.refresh_from_db()
    assert "create_units" not in batch.mapping


def test_suggestions_offer_the_near_unit(orgtree, client):
    org.create_unit("市交通运输局", orgtree.city, actor=system_actor(), kind=UnitKind.BUREAU)
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree, workbook([_row("1", "甲", "交通局")]))
    page = client.get(f"/import/{batch.pk}/")
    [(name, found)] = page.context["unit_rows"]
    assert name == "交通局" and found[0][1] == "市交通运输局"
    # Choosing the suggestion maps the name.
    client.post(f"/import/{batch.pk}/", {"pick:交通局": str(found[0][0]), "action": "map"})
    report = client.get(f"/import/{batch.pk}/").context["report"]
    assert report.errors == [] and report.unknown["units"] == []


def test_an_existing_plan_is_chosen_from_a_list(orgtree, client):
    from luoshi.ledger import services

    plan = services.create_plan(
        actor=system_actor(), name="已有计划", year=2026, owner_unit=orgtree.city
    )
    client.force_login(orgtree.supervisor)
    form = client.get("/import/").context["form"]
    assert list(form.fields["plan"].queryset) == [plan]
    batch = _upload(
        client, orgtree, workbook([_row("1", "甲", "甲局")]), plan=plan.pk, plan_name=""
    )
    assert (batch.plan_name, batch.year, batch.owner_unit) == ("已有计划", 2026, orgtree.city)
    # A reporter, who manages no plan, is offered none (and may not import at all).
    client.force_login(orgtree.reporter_a)
    assert client.get("/import/").status_code == 403


# --- an empty database -----------------------------------------------------------------------


def _ledger_with_owner_line() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["2026年市交通运输局重点工作任务台账"])
    ws.append(["填报单位:市交通运输局    填报时间:2026年1月15日"])
    ws.append(["序号", "任务名称", "牵头领导", "责任单位", "配合单位", "责任人", "完成时限"])
    ws.append(
        ["1", "农村公路", "张建国(副局长)", "章丘区交通运输局", "市公路中心", "王磊", "6月底前"]
    )
    ws.append(
        ["2", "公交线路", "李红梅(副局长)", "市公路中心", "各区县交通运输局", "赵敏", "年底前"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("with_root", [False, True])
def test_create_missing_on_an_empty_database_states_every_parent(tmp_path, capsys, with_root):
    root = district = None
    if with_root:
        root = org.create_unit("济南市", None, actor=system_actor(), kind=UnitKind.CITY)
        district = org.create_unit("章丘区", root, actor=system_actor(), kind=UnitKind.DISTRICT)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(_ledger_with_owner_line())
    call_command(
        "import_ledger", str(path), "--plan", "交通台账", "--create-missing", "--commit", "--json"
    )
    out = json.loads(capsys.readouterr().out)
    assert out["committed"] is True and out["errors"] == []
    assert out["owner_unit"] == {"name": "市交通运输局", "created": True}
    owner = Unit.objects.get(name="市交通运输局")
    assert Plan.objects.get(name="交通台账").owner_unit == owner
    assert owner.parent == root
    under = out["created_under"]
    assert under["市公路中心"] == "市交通运输局"
    if with_root:
        assert under["市交通运输局"] == "济南市"
        # A district's bureau under its district, where the tree has it.
        assert under["章丘区交通运输局"] == "章丘区"
        assert Unit.objects.get(name="章丘区交通运输局").parent == district
    else:
        assert under["章丘区交通运输局"] == "市交通运输局"
    for name, parent in under.items():
        assert Unit.objects.get(name=name).parent.name == parent if parent else True
    assert not Unit.objects.filter(name="各区县交通运输局").exists()
    assert set(Person.objects.values_list("full_name", flat=True)) >= {"张建国", "王磊"}


def test_owner_unit_option_names_a_unit_to_create(db, tmp_path, capsys):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(_ledger_with_owner_line())
    call_command(
        "import_ledger",
        str(path),
        "--plan",
        "交通台账",
        "--owner-unit",
        "交通运输局机关",
        "--create-missing",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["owner_unit"] == {"name": "交通运输局机关", "created": True}
    assert out["committed"] is False and Unit.objects.count() == 0  # a dry run


# --- the faulty cells, marked ----------------------------------------------------------------


def test_errors_download_as_the_same_workbook_with_the_cells_marked(orgtree, client):
    data = workbook(
        [
            _row("1", "好任务", "甲局"),
            _row("2", "坏日期", "甲局", deadline="2026-02-30"),
            _row("3", "无名单位", "无此单位"),
        ]
    )
    client.force_login(orgtree.supervisor)
    batch = _upload(client, orgtree, data)
    page = client.get(f"/import/{batch.pk}/")
    assert f'href="/import/{batch.pk}/errors.xlsx"' in page.content.decode()
    records = AuditRecord.objects.count()
    resp = client.get(f"/import/{batch.pk}/errors.xlsx")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditRecord.objects.count() == records  # a download writes nothing
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    # Same workbook: title, header and rows where they were.
    assert ws["A1"].value == "2026年测试重点工作任务台账" and ws["B2"].value == "任务名称"
    date_cell, unit_cell = ws["H4"], ws["E5"]  # 完成时限 of row 4, 责任单位 of row 5
    assert date_cell.value == "2026-02-30"
    assert date_cell.fill.fgColor.rgb.endswith("FFC7CE") and "2026-02-30" in date_cell.comment.text
    assert unit_cell.comment is not None and "无此单位" in unit_cell.comment.text
    assert ws["H3"].comment is None and ws["E3"].comment is None  # a good row is left as it is
    # Another person's batch is not theirs to download.
    client.force_login(orgtree.reporter_a)
    assert client.get(f"/import/{batch.pk}/errors.xlsx").status_code == 404
