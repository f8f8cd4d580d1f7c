"""Export plans back to the layout users import (LEDGER_FORMAT.md, Export): one sheet per plan,
title, frozen header, category rows, tasks with progress columns, dates as dates.

XlsxWriter writes every text with write_string, so no cell can become a formula."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone

from luoshi.core.text import cn_number

from .models import (
    Assignment,
    Frequency,
    Milestone,
    Plan,
    SourceKind,
    Task,
    TaskLightChoice,
    TaskStatus,
)

FREQ_ZH = {
    Frequency.WEEKLY: "每周",
    Frequency.BIWEEKLY: "每两周",
    Frequency.SEMIMONTHLY: "每半月",
    Frequency.MONTHLY: "每月",
    Frequency.QUARTERLY: "每季度",
    Frequency.YEARLY: "每年",
}
# The words the pages show (the zh-hans labels of TaskStatus): one vocabulary on screen and on
# paper (a test holds them together).
STATUS_ZH = {
    TaskStatus.NOT_STARTED: "未启动",
    TaskStatus.IN_PROGRESS: "推进中",
    TaskStatus.DONE: "已完成",
    TaskStatus.SUSPENDED: "暂缓",
    TaskStatus.CANCELLED: "已取消",
}
# The light as supervision last computed it (not read back by the importer).
LIGHT_ZH = {
    TaskLightChoice.RED: "红灯",
    TaskLightChoice.YELLOW: "黄灯",
    TaskLightChoice.GREEN: "绿灯",
    TaskLightChoice.DONE: "已完成",
    TaskLightChoice.DONE_LATE: "逾期完成",
    TaskLightChoice.OFF: "已暂停或取消",
}
# The importer reads each of these back (importer.service.SOURCE_KINDS; any other word is
# "other").
SOURCE_ZH = {
    SourceKind.INSTRUCTION: "批示",
    SourceKind.MEETING: "会议",
    SourceKind.PROPOSAL: "提案",
    SourceKind.DOCUMENT: "文件",
    SourceKind.OTHER: "其他",
}
# What the deadline column says for an ongoing task that has no wording of its own.
ONGOING = "长期坚持"
# The standard ledger layout (LEDGER_FORMAT.md): the columns a bureau's ledger carries, in
# order. The export writes them, the demo's and the tests' workbooks are built from them.
LEDGER_HEADER = (
    "序号",
    "任务名称",
    "具体内容",
    "牵头领导",
    "责任单位",
    "配合单位",
    "责任人",
    "完成时限",
    "时间节点",
    "是否重点",
    "目标值",
    "计量单位",
    "调度频次",
    "备注",
)
# The rest of a task the export adds after them, so that importing the export gives the same
# tasks (the importer reads every one of these back but 最近更新, which an import sets itself,
# and 亮灯 / 亮灯原因, which supervision computes).
DETAIL_HEADER = ("开始时间", "来源", "来源文号", "交办时间")
PROGRESS_HEADER = (
    "进展情况",
    "存在问题",
    "下步计划",
    "完成%",
    "完成值",
    "状态",
    "实际完成日期",
    "最近更新",
    "亮灯",
    "亮灯原因",
)
# Column widths: the ledger's, the details', the progress columns'.
_WIDTHS = (7, 30, 36, 14, 22, 22, 10, 12, 36, 8, 9, 8, 9, 16, 12, 8, 18, 12)
_WIDTHS += (36, 24, 24, 7, 9, 9, 12, 12, 9, 36)
HEADERS = LEDGER_HEADER + DETAIL_HEADER + PROGRESS_HEADER
COLUMNS = list(zip(HEADERS, _WIDTHS, strict=True))  # (header, width)


def _person(p) -> str:
    if p is None:
        return ""
    return f"{p.full_name}({p.title})" if p.title else p.full_name


def _milestone(m: Milestone) -> str:
    """A milestone as the ledger writes it, "2026-06-30 开工", with its expected % when the
    name does not say it, "2026-06-30 开工（完成30%）" (the importer reads the bracket back)."""
    text = f"{m.date:%Y-%m-%d} {m.name}".strip()
    pct = m.expected_percent
    if pct is not None and f"{pct}%" not in m.name:
        text += f"（完成{pct}%）"
    return text


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, i = base, 2
    while candidate in used:
        suffix = f"({i})"
        candidate = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(candidate)
    return candidate


def export_plans(plans: QuerySet[Plan], tasks: QuerySet[Task]) -> bytes:
    """`tasks` is already limited to the reader's scope; a handful of queries per plan."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    head_fmt = wb.add_format(
        {
            "bold": True,
            "bg_color": "#DDE7F0",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    section_fmt = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    cell_fmt = wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top", "border": 1})
    used: set[str] = set()
    for plan in plans.select_related("owner_unit"):
        ws = wb.add_worksheet(_sheet_name(plan.name, used))
        plan_tasks = list(
            tasks.filter(plan=plan)
            .select_related("category", "lead_leader", "owner", "shown_light")
            .order_by("sort_key")
        )
        ids = [t.pk for t in plan_tasks]
        units = defaultdict(lambda: {"responsible": [], "cooperating": []})
        for a in (
            Assignment.objects.filter(task_id__in=ids)
            .select_related("unit")
            .order_by("task_id", "role", "position")
        ):
            units[a.task_id][a.role].append(a.unit.name)
        milestones = defaultdict(list)
        for m in Milestone.objects.filter(task_id__in=ids).order_by("task_id", "date", "id"):
            milestones[m.task_id].append(_milestone(m))
        extra_cols = [
            k
            for k in dict.fromkeys(k for t in plan_tasks for k in (t.extra or {}))
            if k not in HEADERS
        ]
        headers = [h for h, _ in COLUMNS] + extra_cols
        ws.merge_range(0, 0, 0, len(headers) - 1, f"{plan.name}", title_fmt)
        # "2026年": the importer finds the plan's year here.
        ws.write_string(1, 0, f"填报单位:{plan.owner_unit.name}    年度:{plan.year}年")
        for c, h in enumerate(headers):
            ws.write_string(2, c, h, head_fmt)
        for c, (_, width) in enumerate(COLUMNS):
            ws.set_column(c, c, width)
        ws.set_column(len(COLUMNS), len(headers), 14)
        ws.freeze_panes(3, 2)
        r = 3
        current_cat = object()
        section = 0
        for t in plan_tasks:
            if t.category_id != getattr(current_cat, "pk", None) and t.category is not None:
                current_cat = t.category
                section += 1
                count = sum(1 for x in plan_tasks if x.category_id == t.category_id)
                ws.merge_range(
                    r,
                    0,
                    r,
                    len(headers) - 1,
                    f"{cn_number(section)}、{t.category.name}({count}项)",
                    section_fmt,
                )
                r += 1
            by_header = {
                "序号": t.no,
                "任务名称": t.title,
                "具体内容": t.content,
                "牵头领导": _person(t.lead_leader),
                "责任单位": "、".join(units[t.pk]["responsible"]),
                "配合单位": "、".join(units[t.pk]["cooperating"]),
                "责任人": _person(t.owner),
                # A date, or the wording of a task without one (长期坚持 when ongoing).
                "完成时限": t.deadline
                or ((t.deadline_text or ONGOING) if t.ongoing else t.deadline_text),
                "时间节点": "；".join(milestones[t.pk]),
                "是否重点": "是" if t.key_task else "否",
                "目标值": t.target,
                "计量单位": t.measure,
                "调度频次": FREQ_ZH.get(t.frequency, ""),
                "备注": t.notes,
                "开始时间": t.start_date,
                "来源": SOURCE_ZH.get(t.source_kind, ""),
                "来源文号": t.source_ref,
                "交办时间": t.source_date,
                "进展情况": t.progress,
                "存在问题": t.problems,
                "下步计划": t.next_steps,
                "完成%": t.percent,
                "完成值": t.actual,
                "状态": STATUS_ZH.get(t.status, ""),
                "实际完成日期": t.completed_on,
                "最近更新": t.last_update,
                "亮灯": LIGHT_ZH.get(t.light, ""),
                "亮灯原因": t.light_reasons,
            }
            values = [by_header[h] for h in HEADERS] + [
                str((t.extra or {}).get(k, "")) for k in extra_cols
            ]
            for c, v in enumerate(values):
                if v is None or v == "":
                    ws.write_blank(r, c, None, cell_fmt)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, _as_datetime(timezone.localtime(v).date()), date_fmt)
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, c, _as_datetime(v), date_fmt)
                elif isinstance(v, int | float | Decimal):
                    ws.write_number(r, c, float(v), cell_fmt)
                else:
                    ws.write_string(r, c, str(v), cell_fmt)
            r += 1
        ws.autofilter(2, 0, max(r - 1, 2), len(headers) - 1)
    if not used:
        wb.add_worksheet("台账").write_string(0, 0, "没有可导出的计划")
    wb.close()
    return buf.getvalue()


def _as_datetime(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)
