"""Ledger sheet parsing: workbook rows in, tasks and row-level errors out.

Pure: no Django, no ORM, no settings, so the whole table of ledger shapes is tested in
milliseconds. The shapes come from LEDGER_FORMAT.md: a header row found by its names (Chinese
or English, any order), section rows that open categories, numbering that runs through the
sheet or restarts per section or is an outline (一、/(一)/1./(1)), merged cells, sub-rows under a
merged 序号, repeated header rows and a footer. Nothing is guessed: what cannot be read becomes
a RowError naming the row, the column as the sheet labels it, the cell text and the reason.

A reason is a message template (the constants below, or one of luoshi.ledger.dates') and its
parameters; RowError.reason is the English text, and the web layer translates the template
(luoshi/ledger/importer/messages.py lists every one for gettext).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from luoshi.core.text import cell_text, cn_int, header_key
from luoshi.core.xlsx import SheetData, column_letters, fill_merged
from luoshi.ledger.dates import (
    DateParseError,
    Deadline,
    Message,
    parse_date,
    parse_deadline,
    parse_frequency,
    parse_milestones,
)

HEADER_SCAN_ROWS = 20

# --- reasons: English message templates, filled with their parameters by % ------------------

NO_HEADER = "no header row found: expected columns such as 序号 and 任务名称"
NO_NUMBER_COLUMN = "no 序号 (No.) column: tasks cannot be identified"
NO_UNIT_COLUMN = "no 责任单位 (responsible unit) column: the tasks have no responsible unit"
NUMBER_MISSING = "No. is missing"
NUMBER_NOT_DOTTED = "No. is not a number like 1 or 1.2"
NUMBER_NOT_OUTLINE = "No. is not a number like 1, (一) or (1)"
PARENT_NOT_FOUND = "parent No. %(no)s not found"
DUPLICATE_NUMBER = "duplicate No. %(no)s (also on row %(row)s)"
DUPLICATE_NUMBER_CELL = (
    "duplicate No. %(no)s (also on row %(row)s); the cell holds a number, so 1.10 reads as 1.1: "
    "format 序号 as text"
)
SECTION_COUNT = "section says %(count)s tasks but %(rows)s rows follow"
SECTION_COUNT_TOP = "section says %(count)s tasks but %(rows)s rows follow (%(top)s top-level)"
TITLE_MISSING = "title is missing"
SEVERAL_LEADERS = "several lead leaders (%(names)s): %(lead)s taken as the lead"
NO_UNIT = "no responsible unit"
KEY_TASK_FLAG = "key task must be 是 or 否 (also √, Y/N, ★)"
TARGET_NOT_NUMBER = "target is not a number"
TARGET_UNIT = "target unit %(unit)s differs from measure %(measure)s"
SEVERAL_TARGETS = "several targets for one task (%(first)s, %(second)s)"
YEAR_UNKNOWN = "year unknown: give the plan's year"
PERCENT_NOT_NUMBER = "percent complete is not a number: write 55%%, 55 or 0.55"
PERCENT_OUT_OF_RANGE = "percent complete %(value)s is not between 0 and 100"
ACTUAL_NOT_NUMBER = "actual is not a number"
ACTUAL_UNIT = "actual's unit %(unit)s differs from measure %(measure)s"
DATE_NOT_ONGOING = "a date is needed here, not ongoing work"
START_AFTER_DEADLINE = "start %(start)s is after the deadline %(deadline)s"

# Every template a RowError can carry: these and the date readers'.
TEMPLATES: tuple[str, ...] = (
    NO_HEADER,
    NO_NUMBER_COLUMN,
    NO_UNIT_COLUMN,
    NUMBER_MISSING,
    NUMBER_NOT_DOTTED,
    NUMBER_NOT_OUTLINE,
    PARENT_NOT_FOUND,
    DUPLICATE_NUMBER,
    DUPLICATE_NUMBER_CELL,
    SECTION_COUNT,
    SECTION_COUNT_TOP,
    TITLE_MISSING,
    SEVERAL_LEADERS,
    NO_UNIT,
    KEY_TASK_FLAG,
    TARGET_NOT_NUMBER,
    TARGET_UNIT,
    SEVERAL_TARGETS,
    YEAR_UNKNOWN,
    PERCENT_NOT_NUMBER,
    PERCENT_OUT_OF_RANGE,
    ACTUAL_NOT_NUMBER,
    ACTUAL_UNIT,
    DATE_NOT_ONGOING,
    START_AFTER_DEADLINE,
)


# --- results -------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int  # Excel row number (1-based); 0 for a problem with the whole sheet
    column: str  # the header text as the sheet shows it, "" for whole-row problems
    value: str  # the cell text
    reason: str  # English: template % params
    sheet: str = ""
    template: str = ""  # the reason's message template, to translate it ("": reason as it is)
    params: dict = field(default_factory=dict)  # values may be dates.Message (translated too)

    @classmethod
    def of(cls, row: int, column: str, value: str, message: Message, sheet: str = "") -> RowError:
        params = dict(message.params)
        return cls(row, column, value, str(message), sheet, message.template, params)


@dataclass
class Leader:
    name: str
    title: str


@dataclass
class ParsedMilestone:
    date: dt.date
    name: str
    expected_pct: float | None
    text: str


@dataclass
class ParsedTask:
    row: int
    sheet: str
    no: str
    key: str
    parent_key: str | None
    category: str | None
    title: str
    content: str
    lead_leader: Leader | None
    responsible_units: list[str]
    cooperating_units: list[str]
    owner: str
    deadline: dt.date | None
    ongoing: bool
    deadline_text: str
    milestones: list[ParsedMilestone]
    key_task: bool
    target: Decimal | None
    measure: str
    frequency: str | None
    notes: str
    progress: str
    problems: str
    next_steps: str
    status_text: str
    source_kind: str
    source_ref: str
    source_date: dt.date | None
    extra: dict[str, str]
    status: str | None = None  # done / in_progress / not_started / suspended / cancelled
    deadline_label: str = ""  # "5月底前动工" -> "动工"
    rows: list[int] = field(default_factory=list)  # every Excel row the task was read from
    start_date: dt.date | None = None
    percent: int | None = None  # % complete, 0-100
    actual: Decimal | None = None
    completed_on: dt.date | None = None


@dataclass
class ParsedSheet:
    sheet: str
    title: str
    year: int | None
    header_row: int  # Excel row number; 0 when the sheet has no ledger header
    numbering: str  # through | per_section | outline
    categories: list[str]
    tasks: list[ParsedTask]
    errors: list[RowError]
    warnings: list[RowError]
    columns: dict[str, str]  # field -> header text
    extra_columns: list[str] = field(default_factory=list)
    filed_by: str = ""  # the unit a "填报单位:…" line above the header names


# --- text ----------------------------------------------------------------------------------

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_WS = re.compile(r"\s+")


def _display(text: str) -> str:
    """Header text as a person reads it: "完成\\n时限" -> "完成时限",
    "Lead\\nleader" -> "Lead leader"."""
    return _WS.sub(" ", _CJK_GAP.sub("", text)).strip()


_BRACKETED = re.compile(r"[(\[【《<{].*?[)\]】》>}]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


# --- header names --------------------------------------------------------------------------

_ALIASES: dict[str, str] = {
    "no": ("序号|编号|事项编号|任务编号|项目编号|序|no|number|num|itemno|taskno|seq"),
    "title": (
        "任务名称|工作任务|重点任务|任务|事项|事项名称|工作事项|重点工作|重点工作任务|任务事项|"
        "项目名称|项目|工作名称|任务名|问题|问题描述|问题清单|反馈问题|问题表现|具体问题|"
        "主要问题|task|title|taskname|item|issue"
    ),
    "content": (
        "具体内容|工作目标|任务内容|任务要求|具体措施|完成标准|目标成果|工作内容|主要内容|"
        "工作措施|整改措施|整改要求|目标任务|建设内容|主要任务|工作要求|具体任务|主要措施|"
        "推进措施|工作举措|具体举措|目标|任务目标|content|description|details|measures"
    ),
    "lead_leader": (
        "牵头领导|分管领导|责任领导|包保领导|批示领导|牵头市领导|责任市领导|分管市领导|"
        "联系领导|牵头局领导|分管局领导|责任局领导|领导|包联领导|分包领导|牵头负责领导|"
        "leadleader|leader|responsibleleader|leadofficial"
    ),
    "responsible_units": (
        "责任单位|责任部门|责任科室|责任处室|承办单位|责任主体|主责部门|responsibleunit|"
        "responsibleunits|responsibledepartment|department|responsible"
    ),
    "lead_units": (
        "牵头单位|牵头部门|主办单位|牵头处室|牵头科室|主责单位|牵头责任单位|主办部门|牵头|"
        "leadunit|leaddepartment"
    ),
    "cooperating_units": (
        "配合单位|协办单位|协作单位|协同配合单位|配合部门|协办部门|参与单位|配合责任单位|"
        "协同单位|协同部门|配合处室|配合科室|协办处室|配合|协办|cooperatingunits|"
        "cooperatingunit|cooperating|supportingunits"
    ),
    "owner": (
        "责任人|联系人|主办人|具体责任人|经办人|具体负责人|负责人|联络员|承办人|责任人员|"
        "具体承办人|owner|contact|contactperson|personincharge|responsibleperson"
    ),
    "deadline": (
        "完成时限|完成时间|时间要求|整改时限|办结时限|拟办结时间|完成期限|办结时间|时限要求|"
        "截止时间|截止日期|时限|计划完成时间|办理时限|完成时限要求|deadline|due|duedate|"
        "completiondate|dueby"
    ),
    "start_date": (
        "计划开始时间|开始时间|开工时间|计划开工时间|开始日期|计划开始日期|开工日期|计划开工日期|"
        "启动时间|实施开始时间|起始时间|start|startdate|starton|plannedstart"
    ),
    "milestones": (
        "时间节点|阶段目标|节点安排|进度安排|时间节点安排|阶段性目标|节点目标|阶段安排|"
        "时序进度|时间进度安排|进度计划|milestones|milestone"
    ),
    "key_task": ("是否重点|重点|是否重点任务|重点事项|是否为重点|key|keytask|priority"),
    "target": ("目标值|目标任务量|目标数|目标数量|计划数|任务量|年度目标值|target|targetvalue"),
    "measure": ("计量单位|measure|unitofmeasure|uom"),
    "actual": (
        "完成值|实际完成值|实际值|完成量|完成数|完成数量|实际完成量|实际完成|实际完成数|"
        "实际完成数量|已完成数|已完成量|已完成数量|累计完成|累计完成值|累计完成数|累计完成量|"
        "actual|actualvalue"
    ),
    # % complete as a number: a cell that is not one is an error (_percent reads them). A
    # header with "%" in it (进度（%）, the export's 完成%) says its numbers are percents.
    "percent": (
        "完成比例|完成率|完成%|完成(%)|进度(%)|进度%|完成进度(%)|完成进度%|形象进度(%)|形象进度%|"
        "完成百分比|进度百分比|百分比|percent|percentcomplete|%complete|pct"
    ),
    # A number is the % complete, words ("主体完工") are the progress as the office puts it:
    # they go to the task's progress text, not to an extra column.
    "percent_or_progress": ("形象进度|工程形象进度|完成进度|进度|当前进度|总体进度|项目进度"),
    "completed_on": (
        "实际完成日期|实际完成时间|实际办结日期|实际办结时间|销号日期|销号时间|completedon|"
        "datecompleted"
    ),
    # The export's own column: when the task last changed, which an import sets itself.
    "last_update": ("最近更新|lastupdate|lastupdated"),
    # The export's light columns: computed by supervision, never read back.
    "light": ("亮灯|lightcolour|lightcolor"),
    "light_reasons": ("亮灯原因|lightreasons"),
    "frequency": (
        "调度频次|报送频次|报送频率|调度频率|更新频次|报送周期|调度周期|frequency|"
        "reportingfrequency"
    ),
    "notes": ("备注|说明|备注说明|notes|note|remarks|remark|comments"),
    "progress": (
        "进展情况|完成情况|推进情况|办理情况|工作进展|进展|进度情况|整改情况|整改进展|落实情况|"
        "目前进展|推进落实情况|整改落实情况|工作推进情况|进展成效|progress"
    ),
    "problems": (
        "存在的问题|存在问题|未完成原因|困难问题|存在困难|问题及困难|存在的困难和问题|"
        "存在困难和问题|problems|issues|difficulties"
    ),
    "next_steps": (
        "下一步措施|下步计划|工作计划|下一步工作计划|下步措施|下一步计划|下一步打算|下步打算|"
        "下一步工作|nextsteps"
    ),
    "status": (
        "状态|完成状态|办理状态|整改状态|是否完成|是否办结|是否销号|当前状态|任务状态|推进状态|"
        "status"
    ),
    "source_kind": ("来源|任务来源|事项来源|交办来源|来源类型|source|sourcekind"),
    "source_ref": (
        "文号|来源文件|文件名称|批示文号|依据文件|交办文号|来源文号|文件依据|reference|"
        "sourcereference|sourceref|documentno"
    ),
    "source_date": (
        "交办时间|来源时间|交办日期|批示时间|下达时间|批示日期|assignedon|assigneddate|"
        "handoffdate|sourcedate"
    ),
    "category": ("事项类别|类别|分类|任务类别|类型|板块|所属领域|领域|任务类型|category"),
}
_HEADER: dict[str, str] = {
    alias: name for name, aliases in _ALIASES.items() for alias in aliases.split("|")
}
# Tried in order when a header is longer than a known name ("联系人及电话", "完成时限（年月日）").
_STEMS: tuple[tuple[str, str], ...] = (
    ("序号", "no"),
    ("领导", "lead_leader"),
    ("配合", "cooperating_units"),
    ("协办", "cooperating_units"),
    ("牵头单位", "lead_units"),
    ("牵头部门", "lead_units"),
    ("责任单位", "responsible_units"),
    ("责任部门", "responsible_units"),
    ("责任科室", "responsible_units"),
    ("责任处室", "responsible_units"),
    ("责任人", "owner"),
    ("联系人", "owner"),
    ("开始时间", "start_date"),
    ("开工时间", "start_date"),
    ("开始日期", "start_date"),
    ("时限", "deadline"),
    ("完成时间", "deadline"),
    ("节点", "milestones"),
    ("频次", "frequency"),
    ("进展", "progress"),
    ("完成情况", "progress"),
    ("下一步", "next_steps"),
    ("下步", "next_steps"),
    ("备注", "notes"),
    ("目标值", "target"),
    ("完成值", "actual"),
    ("已完成数", "actual"),
    ("任务名称", "title"),
    ("事项名称", "title"),
)
# A bare "单位" is a measure beside a number column, otherwise an organisational unit.
_BARE_UNIT = {"单位", "unit", "units"}
# Fields whose several columns all count (joined); any other field takes its first column.
_MULTI = {
    "content",
    "notes",
    "progress",
    "problems",
    "next_steps",
    "responsible_units",
    "cooperating_units",
    "milestones",
}


def _field_of(text: str) -> str | None:
    key = header_key(text)
    if not key:
        return None
    found = _HEADER.get(key)
    if found:
        return found
    if key in _BARE_UNIT:
        return "unit?"
    stripped = _BRACKETED.sub("", key)
    if stripped != key and stripped in _HEADER:
        return _HEADER[stripped]
    if _ASCII_WORD.search(stripped) and re.search(f"[{_CJK}]", stripped):
        # Bilingual headers: "序号 No." -> "序号".
        cjk_only = _ASCII_WORD.sub("", stripped)
        if cjk_only in _HEADER:
            return _HEADER[cjk_only]
    if len(key) <= 16:
        for stem, name in _STEMS:
            if stem in stripped:
                return name
    return None


@dataclass
class _Columns:
    by_field: dict[str, list[int]]  # field -> columns, in sheet order
    header: dict[int, str]  # column -> header text as shown
    sublabel: dict[int, str]  # column -> text of a second header row, if any
    extra: list[int]  # columns kept as extra fields

    def first(self, name: str) -> int | None:
        cols = self.by_field.get(name)
        return cols[0] if cols else None


def _map_columns(texts: list[str]) -> dict[int, str]:
    """column -> field for one header row, before the side-by-side rules."""
    found = {}
    for c, text in enumerate(texts):
        name = _field_of(text) if text else None
        if name:
            found[c] = name
    return found


def _resolve(found: dict[int, str]) -> dict[str, list[int]]:
    by_field: dict[str, list[int]] = {}
    lead = [c for c, f in found.items() if f == "lead_units"]
    for c in sorted(found):
        name = found[c]
        if name == "lead_units":
            name = "responsible_units"
        elif name == "responsible_units" and lead:
            # 牵头单位 beside 责任单位: the lead unit leads, the others cooperate.
            name = "cooperating_units"
        elif name == "unit?":
            beside = {found.get(c - 1), found.get(c + 1)}
            if "target" in beside:
                name = "measure"
            elif not any(f in ("responsible_units", "lead_units") for f in found.values()):
                name = "responsible_units"
            else:
                continue
        by_field.setdefault(name, []).append(c)
    return by_field


def _score(found: dict[int, str]) -> int:
    fields = set(found.values())
    if "title" not in fields:
        return 0
    if "no" not in fields and len(fields) < 3:
        return 0
    return len(fields)


# --- numbering -----------------------------------------------------------------------------

_CN = "一二三四五六七八九十百〇零两"  # numerals read by luoshi.core.text.cn_int


_NO_DOTTED = re.compile(r"^\d+(?:[.\-]\d+)*$")
_NO_L1 = re.compile(rf"^第?([{_CN}]+)$")
_NO_L2 = re.compile(rf"^\(([{_CN}]+)\)$")
_NO_L4 = re.compile(r"^\((\d+)\)$")


def _circled(ch: str) -> int | None:
    code = ord(ch)
    if 0x2460 <= code <= 0x2473:
        return code - 0x2460 + 1
    if 0x2776 <= code <= 0x277F:
        return code - 0x2776 + 1
    return None


# A token: ("d", (1, 2)) dotted arabic, ("o", level, n) outline level 1 一 / 2 (一) / 4 (1),
# ("bad", text), or None for an empty cell.
Token = tuple | None


def _parse_no(value: object) -> Token:
    if isinstance(value, bool):
        return ("bad", cell_text(value))
    if isinstance(value, int):
        return ("d", (value,)) if value >= 0 else ("bad", str(value))
    if isinstance(value, float):
        if value < 0:
            return ("bad", cell_text(value))
        text = cell_text(value)
    else:
        text = cell_text(value)
    if not text:
        return None
    if len(text) == 1 and _circled(text) is not None:
        return ("o", 4, _circled(text))
    s = unicodedata.normalize("NFKC", text).replace(" ", "").rstrip(".、,，")
    if _NO_DOTTED.match(s):
        return ("d", tuple(int(p) for p in re.split(r"[.\-]", s)))
    for pattern, level in ((_NO_L1, 1), (_NO_L2, 2), (_NO_L4, 4)):
        m = pattern.match(s)
        if m:
            n = cn_int(m.group(1))
            if n:
                return ("o", level, n)
    return ("bad", text)


# Heading rows: numbering and a name in one cell.
_HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^第([{_CN}]+)(?:部分|篇|章|类|项|大类)\s*[、.．,，:：]?\s*(.+)$", re.S)),
    (1, re.compile(rf"^([{_CN}]+)\s*[、.．,，:：]\s*(.+)$", re.S)),
    (2, re.compile(rf"^[(（]\s*([{_CN}]+)\s*[)）]\s*[、.．]?\s*(.+)$", re.S)),
    (4, re.compile(r"^[(（]\s*(\d{1,3})\s*[)）]\s*[、.．]?\s*(.+)$", re.S)),
    (3, re.compile(r"^(\d{1,3})\s*[、.．]\s*(?!\d)(.+)$", re.S)),
)
_COUNT = (
    re.compile(r"\s*[(（\[【]\s*共?\s*(\d+)\s*[项个条件](?:任务|工作)?\s*[)）\]】]\s*$"),
    re.compile(r"\s*[,，、;；]?\s*共\s*(\d+)\s*[项个条件](?:任务|工作)?\s*$"),
)
_NAME_TRIM = " \t\n:：,，、;；。."


def _heading_parts(text: str) -> tuple[int, int, str] | None:
    """(level, number, rest) for "一、交通基础设施建设(3项)" and the like."""
    if text and _circled(text[0]) is not None and len(text) > 1:
        return 4, _circled(text[0]), text[1:].strip(_NAME_TRIM)
    for level, pattern in _HEADINGS:
        m = pattern.match(text)
        if m:
            n = cn_int(m.group(1))
            rest = m.group(2).strip()
            if n and rest:
                return level, n, rest
    return None


def _split_count(name: str) -> tuple[str, int | None]:
    for pattern in _COUNT:
        m = pattern.search(name)
        if m:
            return name[: m.start()].strip(_NAME_TRIM), int(m.group(1))
    return name.strip(_NAME_TRIM), None


# --- cell readers --------------------------------------------------------------------------

_OPEN, _CLOSE = "(（【[《", ")）】]》"
_SEPARATORS = set("、，,;；/／\n")


def _split_list(text: str) -> list[str]:
    """Split on 、，, ; ； / and new lines, but not inside brackets:
    "市委办（市委机要局、保密局）" stays one unit."""
    parts, depth, buf = [], 0, []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if ch in _SEPARATORS and not depth:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p.strip() for p in parts if p.strip()]


_LEAD_MARK = re.compile(r"\s*[(（]\s*牵头\s*[)）]\s*$")
_TRAILING_ETC = re.compile(r"(?<=.)等$")


def _units(texts: list[str]) -> list[str]:
    """Units in order, first leads; one marked "(牵头)" moves to the front."""
    leads, others = [], []
    for text in texts:
        for part in _split_list(text):
            part = _TRAILING_ETC.sub("", part).strip()
            if _LEAD_MARK.search(part):
                leads.append(_LEAD_MARK.sub("", part))
            elif part:
                others.append(part)
    return list(dict.fromkeys(leads + others))


_LEADER = re.compile(r"^(.+?)\s*[(（]\s*(.+?)\s*[)）]$", re.S)


def _leader(text: str) -> Leader:
    m = _LEADER.match(text)
    if m:
        return Leader(m.group(1).strip(), m.group(2).strip())
    name, _, title = text.partition(" ")
    return Leader(name.strip(), title.strip())


_TRUE = {"是", "√", "✓", "✔", "☑", "y", "yes", "★", "☆", "1", "重点", "true", "是的"}
_FALSE = {"否", "n", "no", "0", "×", "✗", "✘", "", "false", "一般", "非重点", "无", "-", "—", "/"}


def _key_flag(raw: object, text: str) -> bool | None:
    if isinstance(raw, bool):
        return raw
    s = unicodedata.normalize("NFKC", text).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(\S{0,8})$")
_VAGUE_UNIT = re.compile(r"[\d\s]|以上|以下|左右|余|多|约|至|到|~|-|以内|及")


def _target(raw: object, text: str) -> tuple[Decimal | None, str, str | None]:
    """(value, unit written after the number, error reason)."""
    if isinstance(raw, bool):
        return None, "", TARGET_NOT_NUMBER
    if isinstance(raw, int):
        return Decimal(raw), "", None
    if isinstance(raw, float):
        return Decimal(repr(raw)), "", None
    s = _THOUSANDS.sub("", unicodedata.normalize("NFKC", text).strip())
    m = _NUMBER.match(s)
    if not m or (m.group(2) and _VAGUE_UNIT.search(m.group(2))):
        return None, "", TARGET_NOT_NUMBER
    try:
        return Decimal(m.group(1)), m.group(2), None
    except InvalidOperation:
        return None, "", TARGET_NOT_NUMBER


# --- % complete --------------------------------------------------------------------------
# "55%", 55 and 0.55 (a cell formatted as a percentage holds 0.55) all read as 55. The one
# ambiguity is a whole 1 (or 1.0): 1% or 100%? The rule:
#   - text with a % sign is a percent ("55%", "100%");
#   - a number above 1 is a percent (55, 55.5 -> 56, rounded half up);
#   - a number strictly between 0 and 1 is a fraction (0.55 -> 55): a percent below 1 is too
#     rare to be meant;
#   - 0 is 0; a whole 1 is a fraction (100%) only when its column looks like fractions: every
#     number in the column's task rows is between 0 and 1 (typically cells formatted as
#     percentages) and the header does not say "%" (进度（%）, the export's 完成%, whose numbers
#     are percents); otherwise it is 1%.
# Anything outside 0-100 is an error; so is a cell that is not a number in a % column (in a
# 形象进度-like column, words are progress text instead).
_PERCENT = re.compile(r"^([+-]?\d+(?:\.\d+)?)(%?)$")
_NO_VALUE = {"-", "—", "--", "/", "／", "无", "n/a"}


def _number_in(raw: object, text: str) -> tuple[Decimal | None, bool]:
    """(value, written with a % sign) of a % cell; value None when the cell is not a number."""
    if isinstance(raw, bool):
        return None, False
    if isinstance(raw, int):
        return Decimal(raw), False
    if isinstance(raw, float):
        return Decimal(repr(raw)), False
    m = _PERCENT.match(unicodedata.normalize("NFKC", text).replace(" ", ""))
    if not m:
        return None, False
    return Decimal(m.group(1)), bool(m.group(2))


def _fraction_column(header: str, values: list[object]) -> bool:
    """The column holds fractions: no "%" in its header, and every number in it is 0-1."""
    if "%" in unicodedata.normalize("NFKC", header):
        return False
    numbers = []
    for v in values:
        n, sign = _number_in(v, cell_text(v))
        if n is not None and not sign:
            numbers.append(n)
    return bool(numbers) and all(0 <= n <= 1 for n in numbers)


def _percent(
    raw: object, text: str, *, fractions: bool
) -> tuple[int | None, str | None, dict | None]:
    """(% complete, error reason, its params); (None, None, None) for a cell saying "none"."""
    if unicodedata.normalize("NFKC", text).strip().lower() in _NO_VALUE:
        return None, None, None
    value, sign = _number_in(raw, text)
    if value is None:
        return None, PERCENT_NOT_NUMBER, None
    if not sign and (0 < value < 1 or (value == 1 and fractions)):
        value *= 100
    if not 0 <= value <= 100:
        return None, PERCENT_OUT_OF_RANGE, {"value": text}
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), None, None


_STATUS_WORDS: tuple[tuple[str, str], ...] = tuple(
    (word, status)
    for status, words in (
        ("not_started", "未完成|未开始|未启动|尚未启动|尚未开始|未办理|未整改|未办结"),
        (
            "done",
            "已完成|完成|已办结|办结|销号|已销号|已整改|整改完成|已落实|已结案|完结|已完结|"
            "已解决|按期完成|提前完成|已整改到位|整改到位|已达标|done|completed",
        ),
        (
            "in_progress",
            "正在办理|持续整改|推进中|正在推进|进行中|办理中|整改中|正在整改|序时推进|"
            "按序时推进|有序推进|已启动|正在实施|实施中|持续推进|正在落实|落实中|滞后|"
            "进度滞后|推进滞后|in progress|ongoing",
        ),
        ("suspended", "暂停|暂缓|中止|暂缓实施|suspended"),
        ("cancelled", "取消|已取消|撤销|已撤销|终止|cancelled"),
    )
    for word in words.split("|")
)
_STATUS_EXACT = dict(_STATUS_WORDS)
# Longest first, so "未完成" is never read as "完成".
_STATUS_PREFIX = sorted(_STATUS_WORDS, key=lambda ws: -len(ws[0]))
_STATUS_TRIM = " \t\n。.，,；;！!"
_AFTER_STATUS = set("。.，,；;！!（(【[ \n:：")


def _status_word(text: str, *, prefix: bool, yes_no: bool = False) -> str | None:
    s = unicodedata.normalize("NFKC", text).strip(_STATUS_TRIM).lower()
    if not s:
        return None
    if yes_no and s in ("是", "√", "y", "yes"):
        return "done"
    if s in _STATUS_EXACT:
        return _STATUS_EXACT[s]
    if prefix:
        # "已完成（12月20日）" is done; "已完成80%" is progress, not a status.
        for word, status in _STATUS_PREFIX:
            if s.startswith(word) and len(s) > len(word) and s[len(word)] in _AFTER_STATUS:
                return status
    return None


_FOOTER = re.compile(
    r"^(?:填表人|填报人|制表人|审核人|联系电话|联系人[:：]|填报说明|填表说明|制表日期|填报日期|"
    r"单位负责人|主要负责人|分管领导[:：签]|负责人[:：签]|注[:：]|说明[:：]|备注[:：])"
)
_TOTAL = re.compile(r"^(?:合\s*计|小\s*计|总\s*计)\s*[:：]?$")
_YEAR_WORD = re.compile(r"((?:19|20)\d{2}|[〇零一二三四五六七八九]{4})\s*年(?!\s*\d{1,2}\s*月)")
_ATTACHMENT = re.compile(r"^(?:附件|附表)\s*\d*\s*[:：]?$")
_TITLE_SKIP = re.compile(r"^(?:填报单位|填报时间|填报日期|单位名称|报送单位|单位[:：]|时间[:：])")


# --- the sheet -----------------------------------------------------------------------------


@dataclass
class _Entry:
    kind: str  # "section" | "task"
    rows: list[int]  # 0-based rows; the first is where the entry starts
    token: Token = None
    title: str | None = None  # a heading read as a task carries its own title
    name: str = ""  # section name
    count: int | None = None  # section count "(20项)"
    level: int | None = None  # heading level (0: unnumbered)
    number: int | None = None  # heading number
    text: str = ""  # heading cell text
    section: int = -1  # index of the section the task is in
    key: str = ""
    parent_key: str | None = None
    no: str = ""


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip() or (len(value) < 4 and not cell_text(value))
    return value is None


def _header_texts(row: list[object]) -> list[str]:
    return [_display(cell_text(v)) for v in row]


def _find_header(
    filled: list[list[object]], merged: list[tuple[int, int, int, int]] = ()
) -> tuple[int, dict[int, str]] | None:
    best = None
    for r, row in enumerate(filled[:HEADER_SCAN_ROWS]):
        found = _map_columns(_header_texts(row))
        score = _score(found)
        if score and (best is None or score > best[0]):
            best = (score, r, found)
    if best is None:
        return None
    _, r, found = best
    # A two-row header filled from its merges can score as well on its second row; the block
    # starts on the first.
    linked = any(r0 == r - 1 and r1 >= r for r0, _, r1, _ in merged)
    if r > 0 and linked and _score(_map_columns(_header_texts(filled[r - 1]))):
        r -= 1
        found = _map_columns(_header_texts(filled[r]))
    return r, found


def find_year(rows: list[list[object]]) -> int | None:
    """The plan's year from the title rows: "2026年…台账", "二〇二六年度…".

    A full date ("填报时间:2025年12月20日") is not taken: a plan is often filled in the year
    before it runs."""
    header = _find_header(rows)
    limit = header[0] if header else min(len(rows), 10)
    for row in rows[:limit]:
        for value in row:
            if not isinstance(value, str):
                continue
            m = _YEAR_WORD.search(value)
            if m:
                y = m.group(1)
                year = cn_int(y)
                if year is not None and 1990 <= year <= 2100:
                    return year
    return None


_FILED_BY = re.compile(
    r"(?:填报单位|报送单位|单位名称)\s*(?:[(（]盖章[)）])?\s*[:：]\s*(?P<name>.+?)\s*(?:(?:填报|报送|制表)(?:时间|日期|人)|$)"
)


def filed_by(rows: list[list[object]], header_row: int) -> str:
    """The unit named by a "填报单位:市交通运输局    填报时间:…" line above the header."""
    for row in rows[:header_row]:
        for value in row:
            text = cell_text(value)
            m = _FILED_BY.search(text) if text else None
            if m:
                name = re.split(r"\s{2,}|（盖章）|\(盖章\)", m["name"].strip())[0].strip()
                if name and not set(name) <= set("_ -—"):
                    return name
    return ""


def _title(rows: list[list[object]], header_row: int) -> str:
    for row in rows[:header_row]:
        for value in row:
            text = cell_text(value)
            if text and not _ATTACHMENT.match(text) and not _TITLE_SKIP.match(text):
                return text
    return ""


class _Sheet:
    """State for parsing one sheet; parse_sheet is the interface."""

    def __init__(
        self,
        sheet: SheetData,
        year: int | None,
        handoff_date: dt.date | None,
        add_working_days: Callable | None,
    ):
        self.name = sheet.name
        width = max((len(r) for r in sheet.rows), default=0)
        # Ragged rows (SheetData not from read_workbook) are padded, never mutated.
        self.raw = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in sheet.rows]
        self.merged = sheet.merged
        self.year = year
        self.handoff_date = handoff_date
        self.add_working_days = add_working_days
        self.errors: list[tuple[int, int, RowError]] = []  # (row, column index, error)
        self.warnings: list[RowError] = []
        self.memo: dict[tuple, tuple[bool, object]] = {}
        self.fractions: dict[int, bool] = {}  # % column -> holds fractions (_fraction_column)

    # -- reporting
    def error(
        self,
        row0: int,
        col: int | None,
        value: str,
        reason: str | Message,
        params: dict | None = None,
    ) -> None:
        """reason: a template (with params) or a Message."""
        error = self._row_error(row0, col, value, reason, params)
        self.errors.append((row0, -1 if col is None else col, error))

    def warn(self, *args, **kwargs) -> None:
        """The same arguments as `error`; a warning does not stop the import."""
        self.warnings.append(self._row_error(*args, **kwargs))

    def _row_error(self, row0, col, value, reason, params=None) -> RowError:
        column = self.cols.header.get(col, "") if col is not None else ""
        message = reason if isinstance(reason, Message) else Message(reason, params or {})
        return RowError.of(row0 + 1, column, value, message, self.name)

    # -- header
    def read_header(self, hr: int, found: dict[int, str]) -> int:
        """Map the columns; returns the first data row (0-based)."""
        top = _header_texts(self.filled[hr])
        sub_row = hr + 1 if hr + 1 < len(self.raw) and self._is_sub_header(hr) else None
        texts = list(top)
        sublabel: dict[int, str] = {}
        if sub_row is not None:
            raw_sub = self.raw[sub_row]
            found = {}
            for c, t in enumerate(top):
                sub = _display(cell_text(raw_sub[c])) if c < len(raw_sub) else ""
                name = _field_of(t) if t else None
                if sub and sub != t:
                    texts[c] = f"{t}/{sub}" if t else sub
                    # "牵头单位" under "责任单位" names the column; "一季度" under "时间节点" only
                    # labels it.
                    sub_name = _field_of(sub)
                    if sub_name:
                        name = sub_name
                    else:
                        sublabel[c] = sub
                if name:
                    found[c] = name
        by_field = _resolve(found)
        used = {c for cols in by_field.values() for c in cols}
        header = {c: t for c, t in enumerate(texts) if t}
        extra = []
        for name, cols in by_field.items():
            if name not in _MULTI and len(cols) > 1:
                extra.extend(cols[1:])
                by_field[name] = cols[:1]
        width = max((len(r) for r in self.filled[hr:]), default=0)
        extra.extend(c for c in range(width) if c not in used)
        for c in extra:
            header.setdefault(c, f"column {column_letters(c)}")
        self.cols = _Columns(by_field, header, sublabel, sorted(set(extra)))
        self.header_keys = {c: header_key(t) for c, t in enumerate(top) if t}
        self.sub_keys = (
            {c: header_key(cell_text(v)) for c, v in enumerate(self.raw[sub_row]) if cell_text(v)}
            if sub_row is not None
            else {}
        )
        return (sub_row if sub_row is not None else hr) + 1

    def _is_sub_header(self, hr: int) -> bool:
        nxt = self.raw[hr + 1]
        for r0, c0, r1, c1 in self.merged:
            if r0 == hr and r1 > hr:
                return True  # a header cell merged down over the next row
            if (
                r0 == r1 == hr
                and c1 > c0
                and any(c < len(nxt) and not _is_blank(nxt[c]) for c in range(c0, c1 + 1))
            ):
                no_col = next(
                    (
                        c
                        for c, t in enumerate(_header_texts(self.filled[hr]))
                        if _field_of(t) == "no"
                    ),
                    None,
                )
                if no_col is None or no_col >= len(nxt) or _is_blank(nxt[no_col]):
                    return True
        return False

    def _header_like(self, row: list[object]) -> bool:
        """A header row repeated further down (a printed page break), or a second header row
        (the English names under the Chinese ones)."""
        if _score(_map_columns(_header_texts(row))) >= 3:
            return True
        hits = nonblank = 0
        for c, v in enumerate(row):
            if _is_blank(v):
                continue
            nonblank += 1
            k = header_key(cell_text(v))
            if k and (self.header_keys.get(c) == k or self.sub_keys.get(c) == k):
                hits += 1
        return hits >= 2 and hits * 2 >= nonblank

    # -- rows into entries
    def entries(self, start: int) -> list[_Entry]:
        no_col = self.cols.first("no")
        title_col = self.cols.first("title")
        heading_cols = {0, no_col, title_col} - {None}
        continuation: dict[int, int] = {}
        wide: dict[tuple[int, int], int] = {}
        for r0, c0, r1, c1 in self.merged:
            if no_col is not None and r1 > r0 and c0 <= no_col <= c1 and r0 >= start:
                for r in range(r0 + 1, r1 + 1):
                    continuation[r] = r0
            if c1 > c0:
                wide[(r0, c0)] = c1 - c0 + 1
        out: list[_Entry] = []
        for r in range(start, len(self.raw)):
            raw = self.raw[r]
            if r in continuation:
                last = out[-1] if out else None
                if last is not None and last.kind == "task" and continuation[r] in last.rows:
                    last.rows.append(r)
                continue
            cells = [c for c, v in enumerate(raw) if not _is_blank(v)]
            if not cells:
                continue
            first = cell_text(raw[cells[0]])
            if _FOOTER.match(first.replace(" ", "")):
                break  # the table ends where the signatures begin
            if _TOTAL.match(first):
                continue
            if (not _numbered(raw, no_col) and self._header_like(raw)) or _index_row(raw, cells):
                continue
            entry = self._heading(r, raw, cells, heading_cols, no_col, title_col, wide)
            if entry is None:
                if set(cells) <= {no_col} and no_col is not None:
                    continue  # a pre-numbered template row with nothing in it
                token = _parse_no(self.filled[r][no_col]) if no_col is not None else None
                entry = _Entry("task", [r], token=token)
            out.append(entry)
        return out

    def _heading(self, r, raw, cells, heading_cols, no_col, title_col, wide) -> _Entry | None:
        if not set(cells) <= heading_cols:
            return None
        if len(cells) == 1:
            c = cells[0]
            text = cell_text(raw[c])
            parts = _heading_parts(text)
            if parts:
                level, n, rest = parts
                return _Entry("heading", [r], level=level, number=n, text=text, name=rest)
            if c == no_col and _parse_no(raw[c])[0] != "bad":
                return None  # a bare No.: a template row, not a heading
            name, count = _split_count(text)
            if count is not None or wide.get((r, c), 1) > 1:
                return _Entry("heading", [r], level=0, text=text, name=name, count=count)
            return None
        if len(cells) == 2 and no_col in cells and title_col in cells and no_col != title_col:
            token = _parse_no(raw[no_col])
            if token and token[0] == "o" and token[1] in (1, 2):
                name = cell_text(raw[title_col])
                text = f"{cell_text(raw[no_col])} {name}"
                return _Entry("heading", [r], level=token[1], number=token[2], text=text, name=name)
        return None


def _numbered(row: list[object], no_col: int | None) -> bool:
    """Cheap test that a row starts with a plain No., so it cannot be a repeated header."""
    if no_col is None or no_col >= len(row):
        return False
    v = row[no_col]
    return (isinstance(v, int | float) and not isinstance(v, bool)) or (
        isinstance(v, str) and bool(_NO_DOTTED.match(v.strip()))
    )


def _index_row(row: list[object], cells: list[int]) -> bool:
    """A row of column numbers under the header: 1 2 3 4 …"""
    if len(cells) < 3:
        return False
    for i, c in enumerate(cells):
        v = row[c]
        n = v if isinstance(v, int) and not isinstance(v, bool) else None
        if n is None and isinstance(v, str) and v.strip().isdigit():
            n = int(v.strip())
        if n != i + 1:
            return False
    return True


def parse_sheet(
    sheet: SheetData,
    *,
    year: int | None = None,
    handoff_date: dt.date | None = None,
    add_working_days: Callable | None = None,
) -> ParsedSheet:
    """Parse one sheet. A sheet without a recognisable header comes back with header_row 0,
    no tasks and one error saying so."""
    filled = fill_merged(sheet) if sheet.merged else sheet.rows
    located = _find_header(filled, sheet.merged)
    if located is None:
        return ParsedSheet(
            sheet.name,
            _title(sheet.rows, min(len(sheet.rows), 3)),
            year,
            0,
            "through",
            [],
            [],
            [RowError.of(0, "", "", Message(NO_HEADER), sheet.name)],
            [],
            {},
        )
    hr, found = located
    if year is None:
        year = find_year(filled[: hr + 1]) or _year_in(sheet.name)
    state = _Sheet(sheet, year, handoff_date, add_working_days)
    width = len(state.raw[0]) if state.raw else 0
    state.filled = [r if len(r) >= width else list(r) + [""] * (width - len(r)) for r in filled]
    start = state.read_header(hr, found)
    parsed = ParsedSheet(
        sheet=sheet.name,
        title=_title(filled, hr),
        year=year,
        header_row=hr + 1,
        numbering="through",
        categories=[],
        tasks=[],
        errors=[],
        warnings=state.warnings,
        columns={name: state.cols.header[cols[0]] for name, cols in state.cols.by_field.items()},
        extra_columns=[state.cols.header[c] for c in state.cols.extra],
        filed_by=filed_by(filled, hr),
    )
    _build(state, parsed, state.entries(start))
    parsed.errors = [e for _, _, e in sorted(state.errors, key=lambda x: (x[0], x[1]))]
    return parsed


def _year_in(text: str) -> int | None:
    m = _YEAR_WORD.search(text) or re.search(r"(?<!\d)(20\d{2})(?!\d)", text)
    if not m:
        return None
    return int(m.group(1)) if m.group(1).isdigit() else None


def parse_workbook(
    sheets: list[SheetData],
    *,
    year: int | None = None,
    handoff_date: dt.date | None = None,
    add_working_days: Callable | None = None,
) -> list[ParsedSheet]:
    """Every sheet that is a ledger (has a header row); other sheets are skipped."""
    out = []
    for sheet in sheets:
        parsed = parse_sheet(
            sheet, year=year, handoff_date=handoff_date, add_working_days=add_working_days
        )
        if parsed.header_row:
            out.append(parsed)
    return out


# --- structure: sections, numbering, keys --------------------------------------------------


def _build(state: _Sheet, parsed: ParsedSheet, entries: list[_Entry]) -> None:
    cols = state.cols
    no_col = cols.first("no")
    numbered_levels = [e.level for e in entries if e.kind == "heading" and e.level in (1, 2)]
    section_level = min(numbered_levels) if numbered_levels else None
    for e in entries:
        if e.kind != "heading":
            continue
        if e.level == 0 or e.level == section_level:
            e.kind = "section"
            e.name, e.count = _split_count(e.name)
        else:
            # A numbered heading below the section level is a parent task: "(一)工业发展".
            e.kind = "task"
            e.title = _split_count(e.name)[0]
            e.token = ("d", (e.number,)) if e.level == 3 else ("o", e.level, e.number)

    sections = [e for e in entries if e.kind == "section"]
    cat_col = cols.first("category")
    use_cat_col = not sections and cat_col is not None
    if sections and cat_col is not None:
        # Section rows give the category; a 类别 column then says something else (事项类别:
        # 批示件, 会议件 …) and is kept as it is.
        del cols.by_field["category"]
        cols.extra = sorted([*cols.extra, cat_col])
        parsed.columns.pop("category", None)
        parsed.extra_columns = [cols.header[c] for c in cols.extra]
    categories: list[str] = []
    section_idx = -1
    current: str | None = None
    prev_cat_value = None
    for e in entries:
        if e.kind == "section":
            section_idx += 1
            current = e.name or None
            if current and current not in categories:
                categories.append(current)
        elif use_cat_col:
            value = cell_text(state.filled[e.rows[0]][cat_col]) or None
            if value != prev_cat_value:
                section_idx += 1
                prev_cat_value = value
            current = value
            if value and value not in categories:
                categories.append(value)
        e.section = section_idx
        e.name = e.name if e.kind == "section" else (current or "")
    parsed.categories = categories

    tasks = [e for e in entries if e.kind == "task"]
    if any(e.token and e.token[0] == "o" for e in tasks):
        parsed.numbering = "outline"
        _outline_keys(state, entries)
    else:
        parsed.numbering = "per_section" if _restarts(tasks) else "through"
        _dotted_keys(state, tasks, per_section=parsed.numbering == "per_section")

    if no_col is None and tasks:
        state.error(parsed.header_row - 1, None, "", NO_NUMBER_COLUMN)
    if "responsible_units" not in cols.by_field and tasks:
        state.warn(parsed.header_row - 1, None, "", NO_UNIT_COLUMN)

    state.fractions = {
        c: _fraction_column(
            cols.header.get(c, ""), [state.filled[r][c] for e in tasks for r in e.rows]
        )
        for name in ("percent", "percent_or_progress")
        for c in cols.by_field.get(name, [])
    }
    parents = {e.parent_key for e in tasks if e.parent_key}
    for e in tasks:
        task = _read_task(state, e, e.key in parents)
        parsed.tasks.append(task)
    # The columns kept as extra fields, for the dry run to show: those with a header, and those
    # without one ("column F") that hold something.
    kept = {k for t in parsed.tasks for k in t.extra}
    parsed.extra_columns = [
        cols.header[c]
        for c in cols.extra
        if cols.header[c] != f"column {column_letters(c)}" or cols.header[c] in kept
    ]

    _check_counts(state, entries)


def _restarts(tasks: list[_Entry]) -> bool:
    """Numbering restarts per section when a section's first top-level No. is 1 again, or lower
    than one already used: 一、1, 2 二、1, 2."""
    highest = 0
    seen_section = None
    for e in tasks:
        if not e.token or e.token[0] != "d" or len(e.token[1]) != 1:
            continue
        n = e.token[1][0]
        if e.section != seen_section:
            if highest and seen_section is not None and (n == 1 or n < highest):
                return True
            seen_section = e.section
        highest = max(highest, n)
    return False


def _dotted_keys(state: _Sheet, tasks: list[_Entry], *, per_section: bool) -> None:
    no_col = state.cols.first("no")
    seen: dict[str, int] = {}
    for e in tasks:
        r = e.rows[0]
        token = e.token
        if no_col is None:
            continue
        value = cell_text(state.filled[r][no_col])
        if token is None:
            if not e.title:
                state.error(r, no_col, "", NUMBER_MISSING)
            continue
        if token[0] == "bad":
            state.error(r, no_col, value, NUMBER_NOT_DOTTED)
            continue
        parts = token[1]
        e.no = ".".join(map(str, parts))
        scope = f"{e.name}|" if per_section else ""
        e.key = scope + e.no
        if e.key in seen:
            state.error(
                r, no_col, value or e.no, _duplicate(e.no, seen[e.key], state.filled[r][no_col])
            )
            e.key = ""
            continue
        seen[e.key] = r
        if len(parts) > 1:
            parent_no = ".".join(map(str, parts[:-1]))
            if scope + parent_no in seen:
                e.parent_key = scope + parent_no
            else:
                state.error(r, no_col, value, PARENT_NOT_FOUND, {"no": parent_no})


def _duplicate(no: str, earlier_row0: int, raw: object) -> Message:
    params = {"no": no, "row": earlier_row0 + 1}
    if isinstance(raw, float) and not raw.is_integer():
        # Excel stores 1.10 typed in a number cell as 1.1: the cell cannot tell them apart.
        return Message(DUPLICATE_NUMBER_CELL, params)
    return Message(DUPLICATE_NUMBER, params)


def _outline_keys(state: _Sheet, entries: list[_Entry]) -> None:
    """Outline numbering: the arabic path through the levels, "二、(一)3." -> "2.1.3"."""
    no_col = state.cols.first("no")
    seen: dict[str, int] = {}
    levels: dict[int, tuple[tuple[int, ...], str | None]] = {}
    section_no = 0
    for e in entries:
        if e.kind == "section":
            section_no = e.number or section_no + 1
            levels = {e.level or 1: ((section_no,), None)}
            continue
        if e.kind != "task":
            continue
        r = e.rows[0]
        value = cell_text(state.filled[r][no_col]) if no_col is not None else ""
        token = e.token
        if token is None:
            if no_col is not None:
                state.error(r, no_col, "", NUMBER_MISSING)
            continue
        if token[0] == "bad":
            state.error(r, no_col, value, NUMBER_NOT_OUTLINE)
            continue
        if token[0] == "d":
            level, own = 3, token[1]
        else:
            level, own = token[1], (token[2],)
        prefix: tuple[int, ...] = ()
        for lv in sorted(levels):
            if lv < level:
                prefix += levels[lv][0]
        parent_key = None
        if len(own) > 1:
            parent_no = ".".join(map(str, prefix + own[:-1]))
            if parent_no in seen:
                parent_key = parent_no
            else:
                state.error(r, no_col, value, PARENT_NOT_FOUND, {"no": parent_no})
        else:
            above = [lv for lv in levels if lv < level]
            if above:
                parent_key = levels[max(above)][1]
        e.no = ".".join(map(str, prefix + own))
        levels = {lv: v for lv, v in levels.items() if lv < level}
        if e.no in seen:
            state.error(
                r,
                no_col,
                value or e.no,
                DUPLICATE_NUMBER,
                {"no": value or e.no, "row": seen[e.no] + 1},
            )
            continue
        seen[e.no] = r
        e.key = e.no
        e.parent_key = parent_key
        levels[level] = (own, e.key)


def _check_counts(state: _Sheet, entries: list[_Entry]) -> None:
    sections = [e for e in entries if e.kind == "section"]
    for s in sections:
        if s.count is None:
            continue
        under = [e for e in entries if e.kind == "task" and e.section == s.section]
        top = sum(1 for e in under if not e.parent_key)
        if s.count not in (len(under), top):
            state.warn(
                s.rows[0],
                None,
                s.text,
                SECTION_COUNT_TOP if top != len(under) else SECTION_COUNT,
                {"count": s.count, "rows": len(under), "top": top},
            )


# --- one task ------------------------------------------------------------------------------


def _read_task(state: _Sheet, e: _Entry, has_children: bool) -> ParsedTask:
    cols = state.cols
    # A heading read as a task is merged across the row: only its own cells count.
    filled = state.raw if e.title is not None else state.filled
    rows = e.rows

    def cells(c: int | None) -> list[tuple[int, object, str]]:
        """(row, value, text) of the column's non-empty cells in this task, duplicates (from
        merged cells spanning sub-rows) dropped."""
        if c is None:
            return []
        out, seen = [], set()
        for r in rows:
            row = filled[r]
            if c >= len(row):
                continue
            v = row[c]
            t = cell_text(v)
            if t and t not in seen:
                seen.add(t)
                out.append((r, v, t))
        return out

    def joined(name: str, sep: str = "\n") -> str:
        parts = []
        columns = cols.by_field.get(name, [])
        for c in columns:
            text = sep.join(t for _, _, t in cells(c))
            if text:
                label = cols.header.get(c, "")
                parts.append(f"{label}：{text}" if len(columns) > 1 and label else text)
        return "\n".join(parts)

    r0 = rows[0]
    base = state.handoff_date

    # source date first: it is the base of relative deadlines on the same row
    source_date = None
    for r, v, t in cells(cols.first("source_date")):
        d = _date(state, r, cols.first("source_date"), v, t, parse_date, base)
        if d is not None and d.date is not None:
            source_date = source_date or d.date
    if source_date is not None:
        base = source_date

    title = e.title if e.title is not None else joined("title")
    if not title:
        state.error(r0, cols.first("title"), "", TITLE_MISSING)

    leaders: list[Leader] = []
    lead_col = cols.first("lead_leader")
    for _, _, t in cells(lead_col):
        leaders.extend(_leader(p) for p in _split_list(t))
    if len(leaders) > 1:
        names = ", ".join(x.name for x in leaders)
        state.warn(
            r0,
            lead_col,
            names,
            SEVERAL_LEADERS,
            {"names": names, "lead": leaders[0].name},
        )

    responsible = _units(
        [t for c in cols.by_field.get("responsible_units", []) for _, _, t in cells(c)]
    )
    cooperating = [
        u
        for u in _units(
            [t for c in cols.by_field.get("cooperating_units", []) for _, _, t in cells(c)]
        )
        if u not in responsible
    ]
    if not responsible and not has_children and "responsible_units" in cols.by_field:
        state.error(r0, cols.first("responsible_units"), "", NO_UNIT)

    deadline, ongoing, label, texts = None, False, "", []
    dl_col = cols.first("deadline")
    for r, v, t in cells(dl_col):
        texts.append(t)
        d = _date(state, r, dl_col, v, t, parse_deadline, base)
        if d is None:
            continue
        if d.ongoing:
            ongoing = True
        elif d.date is not None and (deadline is None or d.date > deadline):
            deadline, label = d.date, d.label
    if deadline is not None:
        ongoing = False

    start_date = _day(state, cells, cols.first("start_date"), base, earliest=True)
    if start_date is not None and deadline is not None and start_date > deadline:
        start_col = cols.first("start_date")
        state.error(
            r0,
            start_col,
            "\n".join(t for _, _, t in cells(start_col)),
            START_AFTER_DEADLINE,
            {"start": start_date.isoformat(), "deadline": deadline.isoformat()},
        )
    completed_on = _day(state, cells, cols.first("completed_on"), base, earliest=False)

    milestones: list[ParsedMilestone] = []
    for c in cols.by_field.get("milestones", []):
        for r, v, t in cells(c):
            milestones.extend(_milestones(state, r, c, v, t, base))

    key_task = False
    key_col = cols.first("key_task")
    for r, v, t in cells(key_col):
        flag = _key_flag(v, t)
        if flag is None:
            state.error(r, key_col, t, KEY_TASK_FLAG)
        key_task = key_task or bool(flag)

    measure = joined("measure", "、")
    target = None
    target_col = cols.first("target")
    for r, v, t in cells(target_col):
        value, unit, reason = _target(v, t)
        if reason:
            state.error(r, target_col, t, reason)
            continue
        if unit and measure and unit != measure:
            state.error(r, target_col, t, TARGET_UNIT, {"unit": unit, "measure": measure})
            continue
        if target is not None and value != target:
            state.error(r, target_col, t, SEVERAL_TARGETS, {"first": target, "second": value})
            continue
        target, measure = value, measure or unit

    actual = None
    actual_col = cols.first("actual")
    for r, v, t in cells(actual_col):
        value, unit, reason = _target(v, t)
        if reason:
            state.error(r, actual_col, t, ACTUAL_NOT_NUMBER)
        elif unit and measure and unit != measure:
            state.error(r, actual_col, t, ACTUAL_UNIT, {"unit": unit, "measure": measure})
        elif actual is None:
            actual = value

    # % complete: a % column first, then a 形象进度-like one, whose words are progress text.
    percent, progress_words = None, []
    for name in ("percent", "percent_or_progress"):
        c = cols.first(name)
        for r, v, t in cells(c):
            value, reason, params = _percent(v, t, fractions=state.fractions.get(c, False))
            if reason == PERCENT_NOT_NUMBER and name == "percent_or_progress":
                label = cols.header.get(c, "")
                progress_words.append(f"{label}：{t}" if "progress" in cols.by_field else t)
            elif reason:
                state.error(r, c, t, reason, params)
            elif percent is None:
                percent = value

    frequency = None
    freq_col = cols.first("frequency")
    for r, _, t in cells(freq_col):
        try:
            frequency = frequency or parse_frequency(t)
        except DateParseError as exc:
            state.error(r, freq_col, t, exc.message)

    progress = "\n".join(p for p in (joined("progress"), *progress_words) if p)
    status_col = cols.first("status")
    status_text = joined("status")
    yes_no = status_col is not None and header_key(cols.header[status_col]).startswith("是否")
    status = _status_word(status_text, prefix=True, yes_no=yes_no) if status_text else None
    if status is None and progress:
        status = _status_word(progress, prefix=False)

    extra = {}
    for c in cols.extra:
        text = "\n".join(t for _, _, t in cells(c))
        if text:
            extra[cols.header[c]] = text

    return ParsedTask(
        row=r0 + 1,
        sheet=state.name,
        no=e.no,
        key=e.key,
        parent_key=e.parent_key,
        category=e.name or None,
        title=title,
        content=joined("content"),
        lead_leader=leaders[0] if leaders else None,
        responsible_units=responsible,
        cooperating_units=cooperating,
        owner=joined("owner", "、"),
        deadline=deadline,
        ongoing=ongoing,
        deadline_text="\n".join(texts),
        milestones=milestones,
        key_task=key_task,
        target=target,
        measure=measure,
        frequency=frequency,
        notes=joined("notes"),
        progress=progress,
        problems=joined("problems"),
        next_steps=joined("next_steps"),
        status_text=status_text,
        source_kind=joined("source_kind"),
        source_ref=joined("source_ref"),
        source_date=source_date,
        extra=extra,
        status=status,
        deadline_label=label,
        rows=[r + 1 for r in rows],
        start_date=start_date,
        percent=percent,
        actual=actual,
        completed_on=completed_on,
    )


_YEAR_PROBE = 2000  # a leap year, so 2月29日 is not refused for the wrong reason


def _cell_arg(value: object, text: str) -> object:
    # Date cells and Excel serials go to the date reader as they are; everything else as text.
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        return value
    return text


def _read(
    state: _Sheet, reader: Callable, arg: object, base: dt.date | None, year: int | None
) -> object:
    """reader(arg) memoised per sheet: a ledger repeats "年底前" and "6月底前" thousands of
    times. Results are immutable (frozen dataclasses, or a list we only read); failures are
    memoised too and raised again."""
    memo_key = (reader, arg.__class__, arg, base, year)
    found = state.memo.get(memo_key)
    if found is None:
        try:
            found = (
                True,
                reader(arg, year=year, base=base, add_working_days=state.add_working_days),
            )
        except DateParseError as exc:
            found = (False, exc)
        state.memo[memo_key] = found
    ok, result = found
    if not ok:
        raise result
    return result


def _year_reason(
    state: _Sheet, reader: Callable, arg: object, base, exc: DateParseError
) -> Message:
    """The reader's reason, or "year unknown" when only the missing plan year was in the way."""
    if state.year is not None:
        return exc.message
    try:
        _read(state, reader, arg, base, _YEAR_PROBE)
    except DateParseError:
        return exc.message
    return Message(YEAR_UNKNOWN)


def _date(
    state: _Sheet,
    r: int,
    col: int | None,
    value: object,
    text: str,
    reader: Callable,
    base: dt.date | None,
) -> Deadline | None:
    arg = _cell_arg(value, text)
    try:
        return _read(state, reader, arg, base, state.year)
    except DateParseError as exc:
        state.error(r, col, text, _year_reason(state, reader, arg, base, exc))
        return None


def _day(
    state: _Sheet, cells: Callable, col: int | None, base: dt.date | None, *, earliest: bool
) -> dt.date | None:
    """A start or completion date, read as deadlines are (luoshi.ledger.dates); of several
    cells (sub-rows), the earliest or the latest."""
    found = None
    for r, v, t in cells(col):
        d = _date(state, r, col, v, t, parse_date, base)
        if d is None:
            continue
        if d.date is None:  # 长期坚持 and the like: no date
            state.error(r, col, t, DATE_NOT_ONGOING)
        elif found is None or (d.date < found if earliest else d.date > found):
            found = d.date
    return found


def _milestones(
    state: _Sheet, r: int, col: int, value: object, text: str, base: dt.date | None
) -> list[ParsedMilestone]:
    arg = _cell_arg(value, text)
    try:
        specs = _read(state, parse_milestones, arg, base, state.year)
    except DateParseError as exc:
        specs = None
        sub = state.cols.sublabel.get(col)
        if sub and isinstance(arg, str):
            # A column under "时间节点" labelled "一季度": the label is the date.
            try:
                specs = _read(state, parse_milestones, f"{sub} {arg}", base, state.year)
            except DateParseError:
                specs = None
        if specs is None:
            state.error(r, col, text, _year_reason(state, parse_milestones, arg, base, exc))
            return []
    return [
        ParsedMilestone(s.date, _milestone_name(s.name, s.expected_pct), s.expected_pct, s.text)
        for s in specs
    ]


# "开工（完成30%）": the bracket is the milestone's expected %, not part of its name (the export
# writes a milestone's expected % so, when its name does not say it).
_PCT_BRACKET = re.compile(r"\s*[(（]\s*(?:完成|进度|累计)\s*(\d+(?:\.\d+)?)\s*[%％]\s*[)）]$")


def _milestone_name(name: str, pct: float | None) -> str:
    m = _PCT_BRACKET.search(name)
    if m and pct is not None and float(m.group(1)) == pct:
        return name[: m.start()]
    return name
