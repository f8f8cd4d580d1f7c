"""Units and people from a workbook or CSV."""

import io

import openpyxl
import pytest

from luoshi.org.importer import OrgImportFailed, import_people, import_units
from luoshi.org.models import Person, RoleGrant, Unit

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
    assert (again.new, again.existing) == (0, 3)


def test_unit_errors_name_row_and_column(db):
    data = "单位名称,上级单位,类型\n甲,,局\n,甲,局\n乙,不存在,局\n丙,甲,星球\n".encode()
    report = import_units(data, "u.csv")
    assert [(e["row"], e["column"]) for e in report.errors] == [
        (3, "name"),
        (4, "parent"),
        (5, "kind"),
    ]
    with pytest.raises(OrgImportFailed):
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
    report = import_people(buf.getvalue(), "people.xlsx")
    assert [(e["row"], e["column"]) for e in report.errors] == [(4, "unit")]
    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    import_people(buf.getvalue(), "people.xlsx", commit=True)
    p = Person.objects.get(username="xinren")
    assert p.unit == orgtree.a1 and not p.has_usable_password()
    assert RoleGrant.objects.filter(person=p, role="reporter", unit=orgtree.a1).exists()
    assert RoleGrant.objects.filter(person__full_name="新人乙", role="leader").exists()
