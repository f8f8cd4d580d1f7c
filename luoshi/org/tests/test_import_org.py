"""Units and people from a workbook or CSV, through the one import pipeline."""

import io
import json

import openpyxl
import pytest
from django.core.management import call_command

from luoshi.core.actors import system_actor
from luoshi.core.importing import ImportFailed
from luoshi.core.models import AuditRecord
from luoshi.org.importer import Options, run
from luoshi.org.models import Person, RoleGrant, Unit


def import_units(data, filename, *, actor=None, commit=False):
    actor = actor or system_actor()
    return run(data, Options("units", filename), actor=actor, commit=commit)


def import_people(data, filename, *, actor, commit=False):
    return run(data, Options("people", filename), actor=actor, commit=commit)


UNITS_CSV = (
    "单位名称,上级单位,类型,简称\n新市,,市,\n新市交通局,新市,局,交通局\n"
    "新市交通局一科,新市交通局,处,\n"
)


def test_units_from_csv_build_the_tree(db):
    dry = import_units(UNITS_CSV.encode(), "units.csv")
    assert (dry.rows, dry.new, dry.errors) == (3, 3, [])
    assert Unit.objects.count() == 0
    import_units(UNITS_CSV.encode(), "units.csv", commit=True)
    leaf = Unit.objects.get(name="新市交通局一科")
    assert leaf.parent.name == "新市交通局" and leaf.parent.parent.name == "新市"
    assert leaf.path.startswith(leaf.parent.path) and leaf.depth == 2
    again = import_units(UNITS_CSV.encode(), "units.csv", commit=True)
    assert (again.new, again.unchanged) == (0, 3)
    assert [o["outcome"] for o in again.outcomes] == ["unchanged"] * 3
    assert AuditRecord.objects.filter(object_type="org.unit", action="create").count() == 3


def test_unit_errors_name_row_and_column(db):
    data = "单位名称,上级单位,类型\n甲,,局\n,甲,局\n乙,不存在,局\n丙,甲,星球\n".encode()
    report = import_units(data, "u.csv")
    assert [(e["row"], e["column"]) for e in report.errors] == [
        (3, "name"),
        (4, "parent"),
        (5, "kind"),
    ]
    assert report.unknown["units"] == ["不存在"]
    assert [o["outcome"] for o in report.outcomes] == ["new", "error", "error", "error"]
    with pytest.raises(ImportFailed):
        import_units(data, "u.csv", commit=True)
    assert Unit.objects.count() == 0


def test_people_from_a_workbook_with_roles(orgtree):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "所在单位", "职务", "账号", "角色"])
    ws.append(["新人甲", "甲局一处", "科员", "xinren", "填报人"])
    ws.append(["新人乙", "甲局", "副局长", "", "领导"])
    ws.append(["无单位", "不存在的单位", "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_people(buf.getvalue(), "people.xlsx", actor=orgtree.admin)
    assert [(e["row"], e["column"]) for e in report.errors] == [(4, "unit")]
    assert report.unknown == {"units": ["不存在的单位"], "people": []}
    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    import_people(buf.getvalue(), "people.xlsx", actor=orgtree.admin, commit=True)
    p = Person.objects.get(username="xinren")
    assert p.unit == orgtree.a1 and not p.has_usable_password()
    assert RoleGrant.objects.filter(person=p, role="reporter", unit=orgtree.a1).exists()
    assert RoleGrant.objects.filter(person__full_name="新人乙", role="leader").exists()


def test_a_file_that_is_not_a_table_is_one_error(db):
    report = import_units(b"not a workbook", "units.xlsx")
    assert len(report.errors) == 1 and report.errors[0]["row"] == 0
    assert import_units(b"\xff\xfe\x00garbage", "units.csv").errors  # not text
    no_header = import_units("名字,其他\n甲,乙\n".encode(), "units.csv")
    assert [e["reason"] for e in no_header.errors] == [
        "no header row with a unit name column (单位名称)"
    ]


def test_csv_as_excel_saves_it_in_china_is_read(db):
    report = import_units("单位名称,类型\n新市,市\n".encode("gb18030"), "units.csv")
    assert (report.rows, report.new, report.errors) == (1, 1, [])


def test_import_org_command_prints_the_pipelines_json(db, tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    call_command("import_org", "units", str(path), "--json")
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "rows": 3,
        "new": 3,
        "changed": 0,
        "unchanged": 0,
        "errors": [],
        "created": {"units": [], "people": []},
        "committed": False,
    }
    call_command("import_org", "units", str(path), "--commit", "--json")
    assert json.loads(capsys.readouterr().out)["committed"] is True
    assert Unit.objects.count() == 3
    path.write_text("单位名称,上级单位\n乙,不存在\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_org", "units", str(path), "--commit", "--json")
    assert exit_info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["committed"] is False
    assert out["errors"] == [
        {
            "row": 2,
            "column": "parent",
            "value": "不存在",
            "reason": "parent unit not found (list parents above their children)",
        }
    ]
