"""Supervision rules: a task's light (红黄绿灯) and how problems climb levels.

Plain data in, plain data out: no Django, no models (the import-linter contract `pure-rules`).
The service layer reads the rows, builds `TaskFacts`, passes the plan's `LightRules` and the
working-day calendar's functions (`luoshi.core.workdays.WorkCalendar`), and stores the result.

The rules are DOMAIN.md's defaults, each configurable per plan through `LightRules`:

* red: deadline passed and not completed; a milestone overdue more than 5 working days; no
  report for 2 consecutive cycles; a problem at the top level unresolved past its SLA.
* yellow: deadline within 10 working days and progress below 80%; progress behind plan by 20
  points or more; a milestone overdue 1–5 working days; this cycle's report missing after its
  due time; a problem (below the top level) past its SLA.
* green: none of these. Every reason that applies is listed, red ones first; the worst wins.
* done / done_late: completed (status "done"); done_late when completed at least one working day
  after the deadline, with that count in the reason. A completed task shows no other reason.
* off: suspended or cancelled tasks are not lit (one reason saying which).

Decisions, stated so that nobody has to guess:

* Lateness is counted in working days, and a due date that falls on a non-working day moves to
  the next working day (as periods do in law, 民法典第二百零三条). So a deadline on 1 October
  (National Day) is met by the first working day after the holiday, and a task is red from the
  working day after that. A date is overdue only when at least one working day is late, so a
  task never turns red over a weekend. Example (the issue's edge case): a milestone due Friday
  13 February 2026 is 2 working days late on Tuesday 24 February (Saturday 14 February was a
  make-up workday, 15–23 February were off), so it is yellow, not red.
* Progress not reported (`percent` None) counts as 0%: progress must be shown, not assumed.
* Plan progress (计划进度): where the task has milestones with an expected %, the highest
  expected % among the milestones due on or before today (0 before the first one); otherwise
  序时进度, the elapsed share of the span from start to deadline in calendar days (as offices
  reckon 时间过半), rounded down; 100 from the deadline on. No start date and no milestone plan:
  no plan, so no pace and no behind-plan reason. From the deadline day on, the deadline reasons
  say what is wrong, so behind-plan is no longer listed (the pace still reads 欠进度).
* Pace (超进度 / 达进度 / 欠进度): progress minus plan above `pace_tolerance` points is ahead,
  below minus `pace_tolerance` behind, otherwise on plan (default ±5 points, inclusive).
* Ongoing tasks (长期坚持) and tasks without a deadline: only milestone, report and problem
  reasons apply, and they have no pace.
* Reports: `missed_cycles` counts the consecutive most recent cycles whose report is missing
  after their due time, the current cycle included once its due time has passed;
  `report_overdue` says the current cycle's one is. Both reasons are listed when both apply.
* Problems past their SLA are listed per level ("2个问题在第1级（责任单位）超期未解决"); so
  are problems that climbed because an SLA passed and are still open ("1个问题逾期未解决，已升至
  第2级（牵头领导）", yellow). Only a problem past the top level's SLA makes the task red.
* Escalation (`escalate`): a problem past its level's SLA climbs ONE level per evaluation, and
  the new level's SLA counts from that evaluation's day, because that is when the next level's
  owner is told (and the raiser with them). A long-forgotten problem therefore climbs one level
  per run of the daily job, never straight from the unit to city leadership without the lead
  leader ever having seen it. The rule is idempotent: evaluating its result again with the same
  `today` changes nothing. A resolved problem never climbs. The top level does not climb; past
  its SLA it makes the task red.

Reasons are codes with parameters (`Reason.code`, `Reason.params`, JSON-ready: ints, strings
and ISO dates), so a service may store them and render them in any language; `Reason.text`
renders the Chinese from the one table below (`REASON_TEXTS`, the user-visible wording). This
module cannot use gettext (no Django); a service wanting translation looks the code up in its
own gettext-marked table, with the same parameters.

Speed (CPython 3.11 on this 2-core machine, under load; timeit, min of 5, the real WorkCalendar,
whose `working_days_between` costs ~1–1.7 µs a call here): `compute_light` takes ~1.5 µs per task
for a typical open task (deadline months away, 3 milestones, no problems), ~0.6 µs for an ongoing
one, ~15 µs for the worst (near deadline, two overdue milestones, missed reports, problems: six
working-day counts and eight reasons); over a random population of 100,000 tasks (a third of them
red) 5.9 µs per task, 4.5 µs with the counts memoised, so ~5 s of rule time per 1,000,000 tasks.
Counts are asked for only for a date already past, or for the deadline when progress is below the
warning %; results without reasons are shared objects; reasons are named tuples. For a pass,
wrap the calendar's count in `functools.lru_cache` (one `today`, few distinct due dates): ~0.9 µs
for the typical task.
`escalate`: ~4–6 µs per open problem (two or three `add_working_days`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from luoshi.core import workdays

# Lights, worst first among the open ones.
RED, YELLOW, GREEN, DONE, DONE_LATE, OFF = "red", "yellow", "green", "done", "done_late", "off"
AHEAD, ON, BEHIND = "ahead", "on", "behind"

# The ledger's task statuses this module reads (luoshi.ledger.models.TaskStatus values).
STATUS_DONE, STATUS_SUSPENDED, STATUS_CANCELLED = "done", "suspended", "cancelled"

# User-visible wording, in one place. Keys are the reason codes.
REASON_TEXTS: dict[str, str] = {
    "deadline_overdue": "逾期{days}个工作日未完成（完成时限{deadline}）",
    "deadline_due": "已到完成时限（{deadline}），进度{percent}%",
    "deadline_near": "距完成时限（{deadline}）还有{days}个工作日，进度{percent}%",
    "milestone_overdue": "时间节点「{name}」逾期{days}个工作日",
    "behind_plan": "进度{percent}%，落后计划进度（{plan}%）{gap}个百分点",
    "reports_missed": "连续{cycles}期未报送进展",
    "report_overdue": "本期进展逾期未报送",
    "problem_past_sla": "{count}个问题在第{level}级（{level_name}）超期未解决",
    "problem_escalated": "{count}个问题逾期未解决，已升至第{level}级（{level_name}）",
    "completed": "已于{date}完成",
    "completed_late": "已于{date}完成，超过完成时限{days}个工作日",
    "suspended": "任务已暂停",
    "cancelled": "任务已取消",
}
LIGHT_TEXTS = {
    RED: "红灯",
    YELLOW: "黄灯",
    GREEN: "绿灯",
    DONE: "已完成",
    DONE_LATE: "逾期完成",
    OFF: "不亮灯",
}
PACE_TEXTS = {AHEAD: "超进度", ON: "达进度", BEHIND: "欠进度"}
PROBLEM_LEVEL_NAMES = ("责任单位", "牵头领导", "市级领导")  # level 1, 2, 3

ONE_DAY = dt.timedelta(days=1)

WorkingDaysBetween = Callable[[dt.date, dt.date], int]
AddWorkingDays = Callable[[dt.date, int], dt.date]


def level_name(level: int) -> str:
    if 1 <= level <= len(PROBLEM_LEVEL_NAMES):
        return PROBLEM_LEVEL_NAMES[level - 1]
    return f"第{level}级"


# --- data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LightRules:
    """A plan's thresholds; the defaults are DOMAIN.md's. `LightRules(**plan_config)`."""

    milestone_red_after: int = 5  # a milestone overdue more than this many working days: red
    deadline_window: int = 10  # deadline within this many working days …
    deadline_window_percent: int = 80  # … and progress below this %: yellow
    behind_plan_points: int = 20  # progress behind plan by this many points or more: yellow
    missed_cycles_red: int = 2  # this many consecutive cycles without a report: red
    pace_tolerance: int = 5  # |progress − plan| within this many points: 达进度
    problem_sla_days: tuple[int, ...] = (5, 10, 15)  # working days at level 1, 2, 3 …

    def __post_init__(self):
        object.__setattr__(self, "problem_sla_days", tuple(self.problem_sla_days))
        if not self.problem_sla_days or min(self.problem_sla_days) < 1:
            raise ValueError("problem_sla_days needs at least one level, each SLA ≥ 1 day")
        if not 0 <= self.deadline_window_percent <= 100:
            raise ValueError("deadline_window_percent must be between 0 and 100")
        for name in (
            "milestone_red_after",
            "deadline_window",
            "behind_plan_points",
            "pace_tolerance",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.missed_cycles_red < 1:
            raise ValueError("missed_cycles_red must be at least 1")

    @property
    def top_problem_level(self) -> int:
        """The highest level (3 by default: city leadership); one level per SLA."""
        return len(self.problem_sla_days)


DEFAULT_RULES = LightRules()


@dataclass(slots=True)
class TaskFacts:
    """What the light is computed from, read by the service in one set-based pass.

    milestones: (name, due date, expected % or None, reached on or None) each.
    problems: for each open (unresolved) problem, (level, past_sla) or (level, past_sla,
    escalated): past_sla is `escalate(...).past_sla` (past its current level's SLA: at the top
    level red, below it yellow until the climb is applied); escalated says it reached its level
    by climbing, i.e. an earlier level's SLA passed (yellow: it is overdue, though its new
    level's clock still runs). The service keeps that, e.g. as "level > the level raised at".
    missed_cycles / report_overdue: see the module docstring.
    """

    deadline: dt.date | None = None
    ongoing: bool = False
    start_date: dt.date | None = None
    completed_on: dt.date | None = None
    status: str = "in_progress"
    percent: int | None = None
    milestones: Sequence[tuple[str, dt.date, int | None, dt.date | None]] = ()
    missed_cycles: int = 0
    report_overdue: bool = False
    problems: Sequence[tuple[int, bool] | tuple[int, bool, bool]] = ()


class Reason(NamedTuple):
    """One reason for a light: a code, the light it calls for, and JSON-ready parameters.

    A named tuple rather than a frozen dataclass: immutable too, and 2–3× cheaper to make."""

    code: str
    light: str
    params: dict

    @property
    def text(self) -> str:
        """The Chinese wording, e.g. "时间节点「完成招标」逾期11个工作日"."""
        params = self.params
        if "level" in params:
            params = {**params, "level_name": level_name(params["level"])}
        return REASON_TEXTS[self.code].format(**params)


@dataclass(frozen=True, slots=True)
class Light:
    light: str  # red | yellow | green | done | done_late | off
    pace: str | None  # ahead | on | behind, or None (done, off, ongoing, no plan)
    reasons: tuple[Reason, ...] = ()
    plan: int | None = None  # the plan progress the pace was measured against

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.reasons]

    @property
    def label(self) -> str:
        return LIGHT_TEXTS[self.light]

    @property
    def pace_label(self) -> str:
        return PACE_TEXTS.get(self.pace, "")


# --- the light -----------------------------------------------------------------------------


# The one lateness convention (core.workdays): a due date on a day off moves to the next
# working day, for lights as for report slots.
working_days_late = workdays.working_days_late


_OFF = {
    STATUS_SUSPENDED: Light(OFF, None, (Reason("suspended", OFF, {}),)),
    STATUS_CANCELLED: Light(OFF, None, (Reason("cancelled", OFF, {}),)),
}
_DONE_UNDATED = Light(DONE, None)
_PLAIN: dict[tuple[str | None, int | None], Light] = {}  # green results, shared


def _green(pace: str | None, plan: int | None) -> Light:
    key = (pace, plan)
    light = _PLAIN.get(key)
    if light is None:
        light = _PLAIN[key] = Light(GREEN, pace, (), plan)
    return light


def compute_light(
    facts: TaskFacts,
    today: dt.date,
    rules: LightRules,
    working_days_between: WorkingDaysBetween,
) -> Light:
    """The task's light on `today`, with every reason that applies (red ones first)."""
    status = facts.status
    deadline = None if facts.ongoing else facts.deadline
    wdb = working_days_between

    if status == STATUS_DONE:
        done_on = facts.completed_on
        if done_on is None:
            return _DONE_UNDATED
        if deadline is not None and done_on > deadline:
            late = working_days_late(deadline, done_on, wdb)
            if late:
                params = {"date": done_on.isoformat(), "days": late}
                return Light(DONE_LATE, None, (Reason("completed_late", DONE_LATE, params),))
        return Light(DONE, None, (Reason("completed", DONE, {"date": done_on.isoformat()}),))
    off = _OFF.get(status)
    if off is not None:
        return off

    reds: list[Reason] = []
    yellows: list[Reason] = []
    percent = facts.percent or 0

    # Deadline: passed, or near with too little progress.
    if deadline is not None:
        late = working_days_late(deadline, today, wdb) if deadline < today else 0
        if late:
            reds.append(
                Reason("deadline_overdue", RED, {"days": late, "deadline": deadline.isoformat()})
            )
        elif percent < rules.deadline_window_percent:
            if deadline <= today:
                params = {"deadline": deadline.isoformat(), "percent": percent}
                yellows.append(Reason("deadline_due", YELLOW, params))
            else:
                left = wdb(today, deadline)
                if left <= rules.deadline_window:
                    if not wdb(deadline - ONE_DAY, deadline):
                        left += 1  # a day off: due on the next working day
                    if left <= rules.deadline_window:
                        params = {
                            "deadline": deadline.isoformat(),
                            "days": left,
                            "percent": percent,
                        }
                        yellows.append(Reason("deadline_near", YELLOW, params))

    # Milestones: overdue ones, and the plan they set.
    milestone_plan = -1  # -1: no milestone carries an expected %
    red_after = rules.milestone_red_after
    for name, due, expected, reached in facts.milestones:
        if due <= today:
            if expected is not None and expected > milestone_plan:
                milestone_plan = expected
            if reached is None and due < today:
                days = working_days_late(due, today, wdb)
                if days:
                    reason = Reason(
                        "milestone_overdue",
                        RED if days > red_after else YELLOW,
                        {"name": name or due.isoformat(), "days": days, "due": due.isoformat()},
                    )
                    (reds if days > red_after else yellows).append(reason)
        elif expected is not None and milestone_plan < 0:
            milestone_plan = 0

    # Pace against plan (tasks with a deadline only).
    pace = plan = None
    if deadline is not None:
        if today >= deadline:
            plan = 100
        elif milestone_plan >= 0:
            plan = milestone_plan
        elif facts.start_date is not None:
            start = facts.start_date
            plan = 0 if today <= start else (today - start).days * 100 // (deadline - start).days
        if plan is not None:
            gap = plan - percent
            tolerance = rules.pace_tolerance
            pace = BEHIND if gap > tolerance else AHEAD if gap < -tolerance else ON
            if gap >= rules.behind_plan_points and gap > 0 and today < deadline:
                params = {"percent": percent, "plan": plan, "gap": gap}
                yellows.append(Reason("behind_plan", YELLOW, params))

    # Reports.
    if facts.missed_cycles >= rules.missed_cycles_red:
        reds.append(Reason("reports_missed", RED, {"cycles": facts.missed_cycles}))
    if facts.report_overdue:
        yellows.append(Reason("report_overdue", YELLOW, {}))

    # Problems past their SLA (or climbed because an earlier one passed), per level, top first.
    if facts.problems:
        past: dict[int, int] = {}
        climbed: dict[int, int] = {}
        for problem in facts.problems:
            level = problem[0]
            if problem[1]:
                past[level] = past.get(level, 0) + 1
            elif len(problem) > 2 and problem[2]:
                climbed[level] = climbed.get(level, 0) + 1
        top = rules.top_problem_level
        for level in sorted(past.keys() | climbed.keys(), reverse=True):
            if level in past:
                params = {"level": level, "count": past[level]}
                if level >= top:
                    reds.append(Reason("problem_past_sla", RED, params))
                else:
                    yellows.append(Reason("problem_past_sla", YELLOW, params))
            if level in climbed:
                params = {"level": level, "count": climbed[level]}
                yellows.append(Reason("problem_escalated", YELLOW, params))

    if reds:
        return Light(RED, pace, tuple(reds + yellows), plan)
    if yellows:
        return Light(YELLOW, pace, tuple(yellows), plan)
    return _green(pace, plan)


def warned_too_late(previous: str | None, current: str) -> bool:
    """An integrity signal: a task green on its last evaluation and red now skipped the yellow
    warning (progress overstated, or a report that hid the trouble)."""
    return previous == GREEN and current == RED


# --- tiered problems -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Escalation:
    level: int  # the level the problem should be at now
    entered_on: dt.date  # when it entered that level (today when it just climbed)
    escalated: bool  # climbed on this evaluation
    past_sla: bool  # unresolved past this level's SLA: only at the top level, lower ones climb
    sla_due_on: dt.date | None  # the last day within this level's SLA (None when resolved)
    next_climb_on: dt.date | None  # the day it climbs if still unresolved (None: top/resolved)


def escalate(
    level: int,
    entered_on: dt.date,
    resolved: bool,
    today: dt.date,
    add_working_days: AddWorkingDays,
    rules: LightRules = DEFAULT_RULES,
) -> Escalation:
    """Where a problem should be on `today`: at most one level up from `level`.

    Level L's SLA is rules.problem_sla_days[L - 1] working days after `entered_on` (the day it
    entered L; a datetime is taken by its date). It is past its SLA from the next working day
    on, and then climbs to L + 1, entering it today; the top level does not climb. Idempotent:
    `escalate(r.level, r.entered_on, resolved, today, …)` of a result `r` returns `r` unchanged
    except `escalated` False."""
    top = rules.top_problem_level
    if not 1 <= level <= top:
        raise ValueError(f"problem level {level} outside 1..{top}")
    if isinstance(entered_on, dt.datetime):
        entered_on = entered_on.date()
    if resolved:
        return Escalation(level, entered_on, False, False, None, None)
    sla = rules.problem_sla_days[level - 1]
    due = add_working_days(entered_on, sla)
    climb_on = add_working_days(due, 1)
    if today < climb_on:
        return Escalation(level, entered_on, False, False, due, climb_on if level < top else None)
    if level == top:
        return Escalation(level, entered_on, False, True, due, None)
    level += 1
    due = add_working_days(today, rules.problem_sla_days[level - 1])
    return Escalation(
        level, today, True, False, due, add_working_days(due, 1) if level < top else None
    )


# --- integrity signals (形式主义) -----------------------------------------------------------
# Signs of box-ticking a supervisor should look at; a signal is a prompt to read the report,
# not a verdict.
#
# Similarity is difflib's SequenceMatcher ratio (2·matched / total characters, matched in order)
# over the normalised texts, not a character-bigram Jaccard. Chinese has no word boundaries, so
# both work on characters; the ratio says what a reader means by "the same report again" (the
# share of the text kept, in the same order), so 0.9 reads as "nine tenths of it unchanged". A
# bigram Jaccard is 3–9 times faster (O(n), measured ~0.1 ms vs ~0.3–0.9 ms for 300 characters
# on this machine) but counts each bigram once whatever its order or repetition, and one edited
# sentence costs it about twice as much (a 7% edit gave 0.87 against the ratio's 0.93), so its
# threshold means something harder to explain. The cost is bounded where it matters:
# `near_repeat_similarity` first tries the ratio's O(n) upper bounds (length, then the
# character multiset) and runs the full match only for pairs that could reach the threshold.
# Unrelated texts of 300 characters then cost ~0.2 ms, repeats ~0.3 ms.

import difflib  # noqa: E402  (appended section: the module's own imports stay as they were)
import unicodedata  # noqa: E402

_DROPPED_CATEGORIES = ("P", "Z", "C")  # punctuation, separators (spaces), controls (newlines)


def normalise_text(text: str | None) -> str:
    """The text as compared: full-width forms folded (NFKC), case folded, and every
    punctuation mark, space and line break dropped, so re-punctuating or re-flowing a report
    does not make it new. Digits and letters stay: "完成30%" and "完成60%" differ."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(
        ch for ch in folded if not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES)
    )


def _matcher(a: str, b: str) -> difflib.SequenceMatcher:
    # autojunk off: in Chinese text common characters (的, 了, 进行) pass difflib's "popular"
    # heuristic for texts over 200 characters and would be ignored, lowering the ratio at random.
    return difflib.SequenceMatcher(None, a, b, autojunk=False)


def text_similarity(a: str | None, b: str | None) -> float:
    """How alike two texts are, 0.0–1.0, after `normalise_text`: SequenceMatcher's ratio. Two
    empty texts are alike (1.0); an empty and a non-empty one are not (0.0)."""
    x, y = normalise_text(a), normalise_text(b)
    if not x and not y:
        return 1.0
    return _matcher(x, y).ratio()


def near_repeat_similarity(
    a: str | None, b: str | None, threshold: float = 0.9, min_chars: int = 20
) -> float | None:
    """The similarity when `b` (near-)repeats `a` (ratio >= threshold), else None. Texts shorter
    than `min_chars` after normalisation never count ("无变化" twice is terse, not copied)."""
    x, y = normalise_text(a), normalise_text(b)
    if len(x) < min_chars or len(y) < min_chars:
        return None
    m = _matcher(x, y)
    if m.real_quick_ratio() < threshold or m.quick_ratio() < threshold:
        return None
    ratio = m.ratio()
    return ratio if ratio >= threshold else None


def is_near_repeat(
    a: str | None, b: str | None, threshold: float = 0.9, min_chars: int = 20
) -> bool:
    """Whether `b` (near-)repeats `a`: see `near_repeat_similarity`."""
    return near_repeat_similarity(a, b, threshold, min_chars) is not None


def jumped_to_done(
    previous_percent: int | None,
    percent: int | None,
    submitted_on: dt.date,
    deadline: dt.date | None,
    has_evidence: bool,
    working_days_between: WorkingDaysBetween,
    window: int = 3,
    below: int = 80,
) -> bool:
    """A report that moves progress to 100% from below `below`% within `window` working days of
    the deadline (or after it), with nothing attached to show it. `previous_percent` None
    (progress never reported) counts as 0, as in the light rules. A task without a deadline has
    no deadline rush to hide, so it never counts."""
    if percent is None or percent < 100 or has_evidence or deadline is None:
        return False
    if (previous_percent or 0) >= below:
        return False
    if submitted_on >= deadline:
        return True
    return working_days_between(submitted_on, deadline) <= window
