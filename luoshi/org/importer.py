"""Units and people from a workbook or CSV (the lists offices already keep).

Units:  单位名称/名称/name, 上级单位/parent, 类型/kind, 简称/short name, 编码/code
People: 姓名/name, 所在单位/单位/unit, 职务/title, 账号/用户名/username, 电话/phone, 邮箱/email,
        角色/role (管理员/督查/领导/单位管理员/填报人 or the English role names)

Like the ledger import: a dry run lists every error (row, column, cell, reason); a commit
writes every row or none, through the audited services."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from luoshi.core.xlsx import SheetData, WorkbookError, read_workbook

from . import services
from .models import Person, Role, Unit, UnitKind

UNIT_COLUMNS = {
    "name": ("单位名称", "名称", "单位", "name", "unit"),
    "parent": ("上级单位", "上级", "parent"),
    "kind": ("类型", "单位类型", "kind", "type"),
    "short_name": ("简称", "short name", "shortname"),
    "code": ("编码", "单位编码", "代码", "code"),
}
PEOPLE_COLUMNS = {
    "full_name": ("姓名", "name"),
    "unit": ("所在单位", "单位", "unit"),
    "title": ("职务", "title"),
    "username": ("账号", "用户名", "username", "login"),
    "phone": ("电话", "联系电话", "手机", "phone"),
    "email": ("邮箱", "email"),
    "role": ("角色", "role"),
}
KINDS = {
    "市": "city",
    "城市": "city",
    "局": "bureau",
    "部门": "bureau",
    "区": "district",
    "县": "district",
    "区县": "district",
    "处": "division",
    "科室": "division",
    "处室": "division",
    "镇": "town",
    "街道": "town",
    "乡镇": "town",
    "村": "village",
    "社区": "village",
    "学校": "school",
    "企业": "company",
    "其他": "other",
}
ROLES = {
    "管理员": "admin",
    "督查": "supervisor",
    "督查人员": "supervisor",
    "领导": "leader",
    "单位管理员": "unit_admin",
    "填报人": "reporter",
    "填报员": "reporter",
    "公众": "public",
}


@dataclass
class OrgReport:
    rows: int = 0
    new: int = 0
    existing: int = 0
    errors: list[dict] = field(default_factory=list)
    committed: bool = False


class OrgImportFailed(Exception):
    def __init__(self, report: OrgReport):
        self.report = report
        super().__init__(f"{len(report.errors)} errors")


def _norm(text) -> str:
    return str(text or "").strip().replace(" ", "").replace("\u3000", "").lower()


def read_table(data: bytes, filename: str) -> list[list[object]]:
    if filename.lower().endswith(".csv"):
        text = data.decode("utf-8-sig", errors="strict")
        return [list(r) for r in csv.reader(io.StringIO(text))]
    sheets: list[SheetData] = read_workbook(data)
    return sheets[0].rows if sheets else []


def _header(rows, columns) -> tuple[int, dict[str, int]]:
    for i, row in enumerate(rows[:10]):
        found = {}
        cells = [_norm(c) for c in row]
        for fieldname, names in columns.items():
            for j, cell in enumerate(cells):
                if cell in {_norm(n) for n in names}:
                    found[fieldname] = j
                    break
        first = next(iter(columns))
        if first in found:
            return i, found
    return -1, {}


def _cell(row, idx) -> str:
    if idx is None or idx >= len(row):
        return ""
    v = row[idx]
    return "" if v is None else str(v).strip()


def import_units(data: bytes, filename: str, *, actor=None, commit=False) -> OrgReport:
    report = OrgReport()
    try:
        rows = read_table(data, filename)
    except (WorkbookError, UnicodeDecodeError) as exc:
        report.errors.append({"row": 0, "column": "", "value": "", "reason": str(exc)})
        return report
    head, cols = _header(rows, UNIT_COLUMNS)
    if head < 0:
        report.errors.append(
            {
                "row": 0,
                "column": "",
                "value": "",
                "reason": "no header row with a unit name column (单位名称)",
            }
        )
        return report
    existing = {u.name: u for u in Unit.objects.all()}
    planned: dict[str, dict] = {}
    for i, row in enumerate(rows[head + 1 :], start=head + 2):
        name = _cell(row, cols.get("name"))
        if not any(_cell(row, j) for j in cols.values()):
            continue
        report.rows += 1

        def err(field_, value, reason, i=i):
            report.errors.append({"row": i, "column": field_, "value": value, "reason": reason})

        if not name:
            err("name", "", "unit name is missing")
            continue
        kind_text = _cell(row, cols.get("kind"))
        kind = KINDS.get(kind_text, kind_text.lower() if kind_text else "other")
        if kind not in UnitKind.values:
            err("kind", kind_text, "unknown unit kind")
        parent = _cell(row, cols.get("parent"))
        if parent and parent not in existing and parent not in planned:
            err("parent", parent, "parent unit not found (list parents above their children)")
        if name in planned:
            err("name", name, "unit listed twice")
        if name in existing:
            report.existing += 1
            continue
        planned[name] = {
            "name": name,
            "parent": parent,
            "kind": kind,
            "short_name": _cell(row, cols.get("short_name")),
            "code": _cell(row, cols.get("code")) or None,
        }
    report.new = len(planned)
    if not commit:
        return report
    if report.errors:
        raise OrgImportFailed(report)
    with transaction.atomic():
        made = dict(existing)
        # Parents before children: create level by level as parents become known.
        pending = list(planned.values())
        while pending:
            ready = [s for s in pending if not s["parent"] or s["parent"] in made]
            for u in services.create_units(
                actor, [{**s, "parent": made.get(s["parent"])} for s in ready]
            ):
                made[u.name] = u
            pending = [s for s in pending if s not in ready]
    report.committed = True
    return report


def import_people(data: bytes, filename: str, *, actor=None, commit=False) -> OrgReport:
    report = OrgReport()
    try:
        rows = read_table(data, filename)
    except (WorkbookError, UnicodeDecodeError) as exc:
        report.errors.append({"row": 0, "column": "", "value": "", "reason": str(exc)})
        return report
    head, cols = _header(rows, PEOPLE_COLUMNS)
    if head < 0:
        report.errors.append(
            {
                "row": 0,
                "column": "",
                "value": "",
                "reason": "no header row with a name column (姓名)",
            }
        )
        return report
    units = {u.name: u for u in Unit.objects.all()}
    taken = set(Person.objects.values_list("username", flat=True))
    specs = []
    for i, row in enumerate(rows[head + 1 :], start=head + 2):
        if not any(_cell(row, j) for j in cols.values()):
            continue
        report.rows += 1
        errs_before = len(report.errors)

        def err(field_, value, reason, i=i):
            report.errors.append({"row": i, "column": field_, "value": value, "reason": reason})

        name = _cell(row, cols.get("full_name"))
        unit_name = _cell(row, cols.get("unit"))
        username = _cell(row, cols.get("username"))
        role_text = _cell(row, cols.get("role"))
        if not name:
            err("full_name", "", "name is missing")
        if unit_name not in units:
            err("unit", unit_name, "unit not found" if unit_name else "unit is missing")
        role = ROLES.get(role_text, role_text.lower()) if role_text else ""
        if role and role not in Role.values:
            err("role", role_text, "unknown role")
        if username and username in taken:
            report.existing += 1
            continue
        if username:
            taken.add(username)
        if len(report.errors) == errs_before:
            specs.append(
                {
                    "full_name": name,
                    "unit": units[unit_name],
                    "username": username,
                    "title": _cell(row, cols.get("title")),
                    "phone": _cell(row, cols.get("phone")),
                    "email": _cell(row, cols.get("email")),
                    "roles": [role] if role else [],
                }
            )
    report.new = len(specs)
    if not commit:
        return report
    if report.errors:
        raise OrgImportFailed(report)
    services.create_people(actor, specs)
    report.committed = True
    return report
