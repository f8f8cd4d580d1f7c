"""Units and people from a workbook or CSV (the lists offices already keep), through the one
import pipeline (luoshi.core.importing), like the ledger:

    run(data, Options("units" | "people", filename), *, actor, commit=False) -> Report

Units:  单位名称/名称/name, 上级单位/parent, 类型/kind, 简称/short name, 编码/code
People: 姓名/name, 所在单位/单位/unit, 职务/title, 账号/用户名/username, 电话/phone, 邮箱/email,
        角色/role (管理员/督查/领导/单位管理员/填报人 or the English role names)

A preview lists every row's outcome and every error (row, column, cell, reason); a commit writes
every row or none, through the audited services. Units are matched by name and people by
username: those already there are "unchanged" and left as they are (this import adds; editing
is done on the pages). A parent unit must exist or be listed above its children, a person's
unit must exist; the names not found are listed in report.unknown["units"]."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from luoshi.core import importing
from luoshi.core.importing import Report
from luoshi.core.text import cell_text, find_header
from luoshi.core.xlsx import WorkbookError

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
class Options:
    what: str  # "units" | "people"
    filename: str = ""  # the file's name: a .csv is read as CSV, anything else as a workbook


def run(data: bytes, options: Options, *, actor, commit: bool = False) -> Report:
    """The preview (commit=False) or the all-or-nothing import of units or people."""
    if options.what == "units":
        return importing.execute(
            analyse_units, write_units, data, options, actor=actor, commit=commit
        )
    if options.what == "people":
        return importing.execute(
            analyse_people, write_people, data, options, actor=actor, commit=commit
        )
    raise ValueError(f"nothing to import as {options.what!r}: units or people")


def _records(
    report: Report, data: bytes, options: Options, columns: dict, missing_header: str
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {field: cell text}) for each non-empty row under the header; an error in
    the report, and no rows, when the file cannot be read or has no header row."""
    try:
        sheets = importing.read_table(data, options.filename)
    except WorkbookError as exc:
        report.error(0, "", "", str(exc))
        return []
    rows = sheets[0].rows if sheets else []
    header = find_header(rows, columns, required=next(iter(columns)))
    if header is None:
        report.error(0, "", "", missing_header)
        return []
    head, cols = header
    records = []
    for number, row in enumerate(rows[head + 1 :], start=head + 2):
        record = {f: cell_text(row[c]) if c < len(row) else "" for f, c in cols.items()}
        if any(record.values()):
            records.append((number, record))
    report.rows = len(records)
    return records


def analyse_units(data: bytes, options: Options, *, actor) -> tuple[Report, list[dict]]:
    report = Report(sha256=hashlib.sha256(data).hexdigest())
    records = _records(
        report, data, options, UNIT_COLUMNS, "no header row with a unit name column (单位名称)"
    )
    existing = set(Unit.objects.values_list("name", flat=True)) if records else set()
    planned: dict[str, dict] = {}
    unknown: dict[str, None] = {}
    for i, rec in records:
        errors = len(report.errors)
        name = rec.get("name", "")
        if not name:
            report.error(i, "name", "", "unit name is missing")
            report.outcome(i, "error")
            continue
        kind_text = rec.get("kind", "")
        kind = KINDS.get(kind_text, kind_text.lower() if kind_text else "other")
        if kind not in UnitKind.values:
            report.error(i, "kind", kind_text, "unknown unit kind")
        parent = rec.get("parent", "")
        if parent and parent not in existing and parent not in planned:
            report.error(
                i, "parent", parent, "parent unit not found (list parents above their children)"
            )
            unknown[parent] = None
        if name in planned:
            report.error(i, "name", name, "unit listed twice")
        failed = len(report.errors) > errors
        if name in existing:
            report.outcome(i, "error" if failed else "unchanged", title=name)
            continue
        planned[name] = {
            "name": name,
            "parent": parent,
            "kind": kind,
            "short_name": rec.get("short_name", ""),
            "code": rec.get("code") or None,
        }
        report.outcome(i, "error" if failed else "new", title=name)
    report.unknown["units"] = list(unknown)
    return report, list(planned.values())


def write_units(report: Report, planned: list[dict], options: Options, *, actor) -> None:
    """Parents before children: level by level, as each parent becomes known."""
    parents = {s["parent"] for s in planned if s["parent"]}
    made = {u.name: u for u in Unit.objects.filter(name__in=parents)}
    pending = planned
    while pending:
        ready = [s for s in pending if not s["parent"] or s["parent"] in made]
        if not ready:  # analyse refused every unknown parent; nothing can be left waiting
            raise RuntimeError(f"units waiting for parents: {[s['name'] for s in pending]}")
        specs = [{**s, "parent": made.get(s["parent"])} for s in ready]
        for unit in services.create_units(specs, actor=actor):
            made[unit.name] = unit
        pending = [s for s in pending if s not in ready]


def analyse_people(data: bytes, options: Options, *, actor) -> tuple[Report, list[dict]]:
    report = Report(sha256=hashlib.sha256(data).hexdigest())
    records = _records(
        report, data, options, PEOPLE_COLUMNS, "no header row with a name column (姓名)"
    )
    units = {u.name: u for u in Unit.objects.all()} if records else {}
    taken = set(Person.objects.values_list("username", flat=True)) if records else set()
    specs = []
    unknown: dict[str, None] = {}
    for i, rec in records:
        errors = len(report.errors)
        name = rec.get("full_name", "")
        unit_name = rec.get("unit", "")
        username = rec.get("username", "")
        role_text = rec.get("role", "")
        if not name:
            report.error(i, "full_name", "", "name is missing")
        if unit_name not in units:
            report.error(i, "unit", unit_name, "unit not found" if unit_name else "unit is missing")
            if unit_name:
                unknown[unit_name] = None
        role = ROLES.get(role_text, role_text.lower()) if role_text else ""
        if role and role not in Role.values:
            report.error(i, "role", role_text, "unknown role")
        failed = len(report.errors) > errors
        if username and username in taken:
            report.outcome(i, "error" if failed else "unchanged", title=name)
            continue
        if username:
            taken.add(username)
        report.outcome(i, "error" if failed else "new", title=name)
        if not failed:
            specs.append(
                {
                    "full_name": name,
                    "unit": units[unit_name],
                    "username": username,
                    "title": rec.get("title", ""),
                    "phone": rec.get("phone", ""),
                    "email": rec.get("email", ""),
                    "roles": [role] if role else [],
                }
            )
    report.unknown["units"] = list(unknown)
    return report, specs


def write_people(report: Report, specs: list[dict], options: Options, *, actor) -> None:
    services.create_people(specs, actor=actor)
