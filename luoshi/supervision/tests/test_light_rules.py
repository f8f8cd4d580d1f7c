"""The light and escalation rules, table by table. Plain functions: no database."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luoshi.core.workdays import WorkCalendar
from luoshi.supervision import rules
from luoshi.supervision.rules import LightRules, TaskFacts, compute_light, escalate

D = dt.date
cal = WorkCalendar()
wdb = cal.working_days_between
TODAY = D(2026, 3, 18)  # a Wednesday; March 2026 has no holidays
R = rules.DEFAULT_RULES
YEAR = {"start_date": D(2026, 1, 1), "deadline": D(2026, 12, 31)}  # 序时进度 on TODAY: 20%


def light(facts, today=TODAY, light_rules=R):
    return compute_light(facts, today, light_rules, wdb)


def codes(result):
    return [(r.code, r.light) for r in result.reasons]


# --- every reason, worst wins ----------------------------------------------------------------

CASES = [
    # id, facts, light, pace, [(code, light)] in order
    ("green on plan", TaskFacts(**YEAR, percent=20), "green", "on", []),
    ("green ahead", TaskFacts(**YEAR, percent=30), "green", "ahead", []),
    ("on: 5 points ahead", TaskFacts(**YEAR, percent=25), "green", "on", []),
    ("on: 5 points behind", TaskFacts(**YEAR, percent=15), "green", "on", []),
    ("behind 6 points: green", TaskFacts(**YEAR, percent=14), "green", "behind", []),
    (
        "behind 20 points: yellow",
        TaskFacts(**YEAR, percent=0),
        "yellow",
        "behind",
        [("behind_plan", "yellow")],
    ),
    (
        "no percent counts as 0",
        TaskFacts(**YEAR, percent=None),
        "yellow",
        "behind",
        [("behind_plan", "yellow")],
    ),
    (
        "before start: plan 0",
        TaskFacts(D(2026, 12, 31), start_date=D(2026, 4, 1)),
        "green",
        "on",
        [],
    ),
    ("no start, no milestones: no pace", TaskFacts(D(2026, 12, 31), percent=0), "green", None, []),
    (
        "milestone plan, on",
        TaskFacts(
            **YEAR,
            percent=30,
            milestones=[
                ("方案", D(2026, 3, 1), 30, D(2026, 3, 1)),
                ("招标", D(2026, 5, 1), 60, None),
            ],
        ),
        "green",
        "on",
        [],
    ),
    (
        "milestone plan, behind 20",
        TaskFacts(**YEAR, percent=10, milestones=[("方案", D(2026, 3, 1), 30, D(2026, 3, 1))]),
        "yellow",
        "behind",
        [("behind_plan", "yellow")],
    ),
    (
        "milestone plan before the first milestone: 0, so ahead",
        TaskFacts(**YEAR, percent=10, milestones=[("招标", D(2026, 5, 1), 60, None)]),
        "green",
        "ahead",
        [],
    ),
    (
        "milestones without expected %: 序时进度",
        TaskFacts(**YEAR, percent=0, milestones=[("招标", D(2026, 5, 1), None, None)]),
        "yellow",
        "behind",
        [("behind_plan", "yellow")],
    ),
    (
        "deadline passed: red, plan 100, no behind-plan reason beside it",
        TaskFacts(D(2026, 3, 13), start_date=D(2026, 1, 1), percent=50),
        "red",
        "behind",
        [("deadline_overdue", "red")],
    ),
    (
        "deadline within 10 working days, progress < 80",
        TaskFacts(D(2026, 4, 1), percent=79),
        "yellow",
        None,
        [("deadline_near", "yellow")],
    ),
    ("deadline near but progress 80", TaskFacts(D(2026, 4, 1), percent=80), "green", None, []),
    ("deadline 11 working days away", TaskFacts(D(2026, 4, 2), percent=0), "green", None, []),
    (
        "deadline today",
        TaskFacts(D(2026, 3, 18), percent=50),
        "yellow",
        "behind",
        [("deadline_due", "yellow")],
    ),
    (
        "milestone overdue 5 working days: yellow",
        TaskFacts(**YEAR, percent=20, milestones=[("招标", D(2026, 3, 11), None, None)]),
        "yellow",
        "on",
        [("milestone_overdue", "yellow")],
    ),
    (
        "milestone overdue 6 working days: red",
        TaskFacts(**YEAR, percent=20, milestones=[("招标", D(2026, 3, 10), None, None)]),
        "red",
        "on",
        [("milestone_overdue", "red")],
    ),
    (
        "milestone reached late: no reason",
        TaskFacts(**YEAR, percent=20, milestones=[("招标", D(2026, 3, 2), None, D(2026, 3, 17))]),
        "green",
        "on",
        [],
    ),
    (
        "milestone due today: not yet overdue",
        TaskFacts(**YEAR, percent=20, milestones=[("招标", TODAY, None, None)]),
        "green",
        "on",
        [],
    ),
    (
        "one missed cycle: nothing yet",
        TaskFacts(**YEAR, percent=20, missed_cycles=1),
        "green",
        "on",
        [],
    ),
    (
        "two missed cycles: red",
        TaskFacts(**YEAR, percent=20, missed_cycles=2),
        "red",
        "on",
        [("reports_missed", "red")],
    ),
    (
        "this cycle's report overdue: yellow",
        TaskFacts(**YEAR, percent=20, missed_cycles=1, report_overdue=True),
        "yellow",
        "on",
        [("report_overdue", "yellow")],
    ),
    (
        "both report reasons",
        TaskFacts(**YEAR, percent=20, missed_cycles=3, report_overdue=True),
        "red",
        "on",
        [("reports_missed", "red"), ("report_overdue", "yellow")],
    ),
    (
        "open problems within SLA: nothing",
        TaskFacts(**YEAR, percent=20, problems=[(1, False), (3, False)]),
        "green",
        "on",
        [],
    ),
    (
        "problem past SLA below the top: yellow",
        TaskFacts(**YEAR, percent=20, problems=[(1, True)]),
        "yellow",
        "on",
        [("problem_past_sla", "yellow")],
    ),
    (
        "problem climbed by SLA, within its new level's: yellow",
        TaskFacts(**YEAR, percent=20, problems=[(2, False, True), (3, False, True)]),
        "yellow",
        "on",
        [("problem_escalated", "yellow"), ("problem_escalated", "yellow")],
    ),
    (
        "problem at the top level past SLA: red",
        TaskFacts(**YEAR, percent=20, problems=[(1, True), (3, True), (3, True)]),
        "red",
        "on",
        [("problem_past_sla", "red"), ("problem_past_sla", "yellow")],
    ),
    (
        "every reason at once, reds first",
        TaskFacts(
            D(2026, 3, 13),
            start_date=D(2026, 1, 1),
            percent=10,
            milestones=[("方案", D(2026, 3, 2), 40, None), ("招标", D(2026, 3, 16), 60, None)],
            missed_cycles=2,
            report_overdue=True,
            problems=[(3, True), (1, True)],
        ),
        "red",
        "behind",
        [
            ("deadline_overdue", "red"),
            ("milestone_overdue", "red"),
            ("reports_missed", "red"),
            ("problem_past_sla", "red"),
            ("milestone_overdue", "yellow"),
            ("report_overdue", "yellow"),
            ("problem_past_sla", "yellow"),
        ],
    ),
    # Ongoing (长期坚持) and undated tasks: only milestone, report and problem reasons; no pace.
    (
        "ongoing ignores a deadline",
        TaskFacts(D(2026, 3, 1), ongoing=True, start_date=D(2026, 1, 1), percent=0),
        "green",
        None,
        [],
    ),
    (
        "ongoing: milestone, reports, problems still apply",
        TaskFacts(
            ongoing=True,
            percent=0,
            milestones=[("季度检查", D(2026, 3, 2), 25, None)],
            report_overdue=True,
            problems=[(3, True)],
        ),
        "red",
        None,
        [
            ("milestone_overdue", "red"),
            ("problem_past_sla", "red"),
            ("report_overdue", "yellow"),
        ],
    ),
    ("no deadline, not ongoing", TaskFacts(start_date=D(2026, 1, 1), percent=0), "green", None, []),
    # Completed, suspended, cancelled.
    (
        "done on time",
        TaskFacts(D(2026, 3, 13), status="done", completed_on=D(2026, 3, 13), missed_cycles=5),
        "done",
        None,
        [("completed", "done")],
    ),
    (
        "done early",
        TaskFacts(D(2026, 6, 30), status="done", completed_on=D(2026, 3, 2), problems=[(3, True)]),
        "done",
        None,
        [("completed", "done")],
    ),
    (
        "done late",
        TaskFacts(D(2026, 3, 13), status="done", completed_on=D(2026, 3, 17)),
        "done_late",
        None,
        [("completed_late", "done_late")],
    ),
    (
        "done on the Sunday after a Friday deadline: 0 working days late",
        TaskFacts(D(2026, 3, 13), status="done", completed_on=D(2026, 3, 15)),
        "done",
        None,
        [("completed", "done")],
    ),
    (
        "done without a date",
        TaskFacts(D(2026, 3, 13), status="done"),
        "done",
        None,
        [],
    ),
    (
        "ongoing done",
        TaskFacts(ongoing=True, status="done", completed_on=TODAY),
        "done",
        None,
        [("completed", "done")],
    ),
    (
        "suspended",
        TaskFacts(D(2026, 1, 5), status="suspended"),
        "off",
        None,
        [("suspended", "off")],
    ),
    (
        "cancelled",
        TaskFacts(D(2026, 1, 5), status="cancelled"),
        "off",
        None,
        [("cancelled", "off")],
    ),
]


@pytest.mark.parametrize(
    ("facts", "expected_light", "expected_pace", "expected_codes"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_light(facts, expected_light, expected_pace, expected_codes):
    result = light(facts)
    assert (result.light, result.pace, codes(result)) == (
        expected_light,
        expected_pace,
        expected_codes,
    )
    assert all(isinstance(t, str) and t for t in result.texts)  # every reason renders


# --- the words a leader reads ----------------------------------------------------------------

TEXTS = [
    (
        TaskFacts(**YEAR, percent=20, milestones=[("完成招标", D(2026, 3, 3), None, None)]),
        TODAY,
        ["时间节点「完成招标」逾期11个工作日"],
    ),
    (
        TaskFacts(**YEAR, percent=20, milestones=[("", D(2026, 3, 17), None, None)]),
        TODAY,
        ["时间节点「2026-03-17」逾期1个工作日"],
    ),
    (
        TaskFacts(D(2026, 3, 13), percent=50),
        TODAY,
        ["逾期3个工作日未完成（完成时限2026-03-13）"],
    ),
    (
        TaskFacts(D(2026, 3, 27), percent=50),
        TODAY,
        ["距完成时限（2026-03-27）还有7个工作日，进度50%"],
    ),
    (TaskFacts(D(2026, 3, 18)), TODAY, ["已到完成时限（2026-03-18），进度0%"]),
    (TaskFacts(**YEAR, percent=0), TODAY, ["进度0%，落后计划进度（20%）20个百分点"]),
    (
        TaskFacts(**YEAR, percent=20, missed_cycles=2, report_overdue=True),
        TODAY,
        ["连续2期未报送进展", "本期进展逾期未报送"],
    ),
    (
        TaskFacts(**YEAR, percent=20, problems=[(3, True), (1, True), (1, True), (2, False, True)]),
        TODAY,
        [
            "1个问题在第3级（市级领导）超期未解决",
            "1个问题逾期未解决，已升至第2级（牵头领导）",
            "2个问题在第1级（责任单位）超期未解决",
        ],
    ),
    (
        TaskFacts(D(2026, 3, 13), status="done", completed_on=D(2026, 3, 17)),
        TODAY,
        ["已于2026-03-17完成，超过完成时限2个工作日"],
    ),
    (
        TaskFacts(D(2026, 3, 13), status="done", completed_on=D(2026, 3, 13)),
        TODAY,
        ["已于2026-03-13完成"],
    ),
    (TaskFacts(status="suspended"), TODAY, ["任务已暂停"]),
]


@pytest.mark.parametrize(("facts", "today", "texts"), TEXTS)
def test_reason_texts(facts, today, texts):
    assert light(facts, today).texts == texts


def test_reasons_carry_codes_and_json_ready_params():
    result = light(
        TaskFacts(**YEAR, percent=20, milestones=[("完成招标", D(2026, 3, 3), None, None)])
    )
    (reason,) = result.reasons
    assert reason.code == "milestone_overdue"
    assert reason.params == {"name": "完成招标", "days": 11, "due": "2026-03-03"}
    assert reason.text == rules.REASON_TEXTS[reason.code].format(**reason.params)


def test_labels():
    assert light(TaskFacts(**YEAR, percent=40)).pace_label == "超进度"
    assert light(TaskFacts(**YEAR, percent=20)).pace_label == "达进度"
    assert light(TaskFacts(**YEAR, percent=0)).pace_label == "欠进度"
    assert light(TaskFacts(**YEAR, percent=0)).label == "黄灯"
    assert light(TaskFacts(ongoing=True)).pace_label == ""
    assert set(rules.LIGHT_TEXTS) == {"red", "yellow", "green", "done", "done_late", "off"}


# --- working-day edge cases (the real calendar) ----------------------------------------------

SPRING_FESTIVAL = TaskFacts(ongoing=True, milestones=[("完成招标", D(2026, 2, 13), None, None)])


@pytest.mark.parametrize(
    ("today", "expected_light", "days"),
    [
        (D(2026, 2, 14), "yellow", 1),  # Saturday 14 Feb is a make-up workday
        (D(2026, 2, 23), "yellow", 1),  # 15–23 Feb off
        (D(2026, 2, 24), "yellow", 2),  # the case: 2 working days, yellow, not red
        (D(2026, 2, 27), "yellow", 5),
        (D(2026, 2, 28), "red", 6),  # so is Saturday 28 February
        (D(2026, 3, 2), "red", 7),
    ],
)
def test_milestone_over_spring_festival(today, expected_light, days):
    result = light(SPRING_FESTIVAL, today)
    assert result.light == expected_light
    assert result.texts == [f"时间节点「完成招标」逾期{days}个工作日"]


def test_spring_festival_milestone_red_under_a_stricter_plan():
    strict = LightRules(milestone_red_after=1)
    assert light(SPRING_FESTIVAL, D(2026, 2, 24), strict).light == "red"


HOLIDAY_DEADLINE = D(2026, 10, 1)  # National Day; 1–7 October off, Saturday 10 October worked


@pytest.mark.parametrize(
    ("facts", "today", "expected_light", "expected_codes"),
    [
        # within 10 working days of the holiday deadline's next working day (8 October)
        (
            TaskFacts(HOLIDAY_DEADLINE, percent=50),
            D(2026, 9, 17),
            "yellow",
            [("deadline_near", "yellow")],
        ),
        (
            TaskFacts(HOLIDAY_DEADLINE, percent=50),
            D(2026, 9, 30),
            "yellow",
            [("deadline_near", "yellow")],
        ),
        # during the holiday and on 8 October: due, not overdue
        (
            TaskFacts(HOLIDAY_DEADLINE, percent=50),
            D(2026, 10, 5),
            "yellow",
            [("deadline_due", "yellow")],
        ),
        (TaskFacts(HOLIDAY_DEADLINE, percent=90), D(2026, 10, 8), "green", []),
        # the next working day: 1 working day overdue
        (
            TaskFacts(HOLIDAY_DEADLINE, percent=90),
            D(2026, 10, 9),
            "red",
            [("deadline_overdue", "red")],
        ),
        (
            TaskFacts(HOLIDAY_DEADLINE, status="done", completed_on=D(2026, 10, 8)),
            D(2026, 10, 20),
            "done",
            [("completed", "done")],
        ),
        (
            TaskFacts(HOLIDAY_DEADLINE, status="done", completed_on=D(2026, 10, 10)),
            D(2026, 10, 20),
            "done_late",
            [("completed_late", "done_late")],
        ),
    ],
)
def test_deadline_on_a_holiday(facts, today, expected_light, expected_codes):
    result = light(facts, today)
    assert (result.light, codes(result)) == (expected_light, expected_codes)


def test_holiday_deadline_counts_from_the_next_working_day():
    def days(today):
        return light(TaskFacts(HOLIDAY_DEADLINE, percent=50), today).reasons[0].params["days"]

    assert days(D(2026, 9, 30)) == 1  # 8 October is the due day
    # 18, 20 (make-up Sunday), 21–24 (25th: Mid-Autumn), 28–30 September and 8 October
    assert days(D(2026, 9, 17)) == 10
    assert light(TaskFacts(HOLIDAY_DEADLINE, percent=50), D(2026, 9, 16)).light == "green"
    assert days(D(2026, 10, 12)) == 3  # overdue: 9, 10 (make-up Saturday), 12 October


@pytest.mark.parametrize(
    ("due", "day", "late"),
    [
        (D(2026, 2, 13), D(2026, 2, 24), 2),
        (D(2026, 2, 13), D(2026, 2, 13), 0),
        (D(2026, 2, 13), D(2026, 2, 12), 0),
        (D(2026, 2, 15), D(2026, 2, 24), 0),  # due on a day off: 24 Feb is the due day
        (D(2026, 2, 15), D(2026, 2, 25), 1),
        (D(2026, 3, 21), D(2026, 3, 23), 0),  # Saturday → Monday
        (D(2026, 3, 13), D(2026, 3, 16), 1),  # Friday → Monday
        (D(2026, 2, 14), D(2026, 2, 24), 1),  # the make-up Saturday is a working day
    ],
)
def test_working_days_late(due, day, late):
    assert rules.working_days_late(due, day, wdb) == late


# --- configurable per plan -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("light_rules", "facts", "expected_light"),
    [
        (LightRules(deadline_window=5), TaskFacts(D(2026, 3, 27), percent=50), "green"),
        (LightRules(deadline_window_percent=50), TaskFacts(D(2026, 3, 27), percent=50), "green"),
        (LightRules(behind_plan_points=30), TaskFacts(**YEAR, percent=0), "green"),
        (LightRules(missed_cycles_red=3), TaskFacts(**YEAR, percent=20, missed_cycles=2), "green"),
        (
            LightRules(problem_sla_days=(5, 10)),
            TaskFacts(**YEAR, percent=20, problems=[(2, True)]),
            "red",
        ),
        (
            LightRules(milestone_red_after=10),
            TaskFacts(**YEAR, percent=20, milestones=[("招标", D(2026, 3, 3), None, None)]),
            "red",
        ),
    ],
)
def test_rules_are_configurable(light_rules, facts, expected_light):
    assert light(facts, light_rules=light_rules).light == expected_light


def test_pace_tolerance_is_configurable():
    assert light(TaskFacts(**YEAR, percent=23)).pace == "on"
    assert (
        light(TaskFacts(**YEAR, percent=23), light_rules=LightRules(pace_tolerance=2)).pace
        == "ahead"
    )
    assert (
        light(TaskFacts(**YEAR, percent=20), light_rules=LightRules(pace_tolerance=0)).pace == "on"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"problem_sla_days": ()},
        {"problem_sla_days": (5, 0)},
        {"deadline_window_percent": 101},
        {"deadline_window": -1},
        {"missed_cycles_red": 0},
    ],
)
def test_rules_reject_nonsense(kwargs):
    with pytest.raises(ValueError):
        LightRules(**kwargs)


def test_defaults_are_the_domain_rules():
    assert dataclasses.asdict(R) == {
        "milestone_red_after": 5,
        "deadline_window": 10,
        "deadline_window_percent": 80,
        "behind_plan_points": 20,
        "missed_cycles_red": 2,
        "pace_tolerance": 5,
        "problem_sla_days": (5, 10, 15),
    }
    assert R.top_problem_level == 3


# --- the integrity signal --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "current", "signal"),
    [
        ("green", "red", True),
        ("yellow", "red", False),
        ("green", "yellow", False),
        (None, "red", False),
        ("red", "red", False),
        ("green", "done_late", False),
    ],
)
def test_warned_too_late(previous, current, signal):
    assert rules.warned_too_late(previous, current) is signal


def test_inflated_progress_goes_green_to_red():
    # 85% reported, so no deadline warning; the deadline then passes: green one day, red the next
    facts = TaskFacts(D(2026, 3, 13), start_date=D(2026, 1, 1), percent=85)
    before, after = light(facts, D(2026, 3, 13)), light(facts, D(2026, 3, 16))
    assert (before.light, after.light) == ("green", "red")
    assert rules.warned_too_late(before.light, after.light)


# --- tiered problems -------------------------------------------------------------------------

add = cal.add_working_days
MAR2 = D(2026, 3, 2)  # a Monday


@pytest.mark.parametrize(
    ("level", "entered", "resolved", "today", "expected"),
    [
        # level 1: 5 working days → due Mon 9 March, climbs Tue 10 March
        (1, MAR2, False, D(2026, 3, 9), (1, MAR2, False, False, D(2026, 3, 9), D(2026, 3, 10))),
        (
            1,
            MAR2,
            False,
            D(2026, 3, 10),
            (2, D(2026, 3, 10), True, False, D(2026, 3, 24), D(2026, 3, 25)),
        ),
        # level 2: 10 working days → due Mon 16 March, climbs Tue 17 March
        (2, MAR2, False, D(2026, 3, 16), (2, MAR2, False, False, D(2026, 3, 16), D(2026, 3, 17))),
        (2, MAR2, False, D(2026, 3, 17), (3, D(2026, 3, 17), True, False, D(2026, 4, 8), None)),
        # level 3: 15 working days → due Mon 23 March; then past SLA, never higher
        (3, MAR2, False, D(2026, 3, 23), (3, MAR2, False, False, D(2026, 3, 23), None)),
        (3, MAR2, False, D(2026, 3, 24), (3, MAR2, False, True, D(2026, 3, 23), None)),
        (3, MAR2, False, D(2027, 3, 24), (3, MAR2, False, True, D(2026, 3, 23), None)),
        # resolved never escalates, however late
        (1, MAR2, True, D(2026, 12, 31), (1, MAR2, False, False, None, None)),
        (3, MAR2, True, D(2026, 12, 31), (3, MAR2, False, False, None, None)),
        # a long-forgotten problem climbs one level per evaluation, its new SLA from today
        (
            1,
            D(2025, 1, 6),
            False,
            D(2026, 3, 18),
            (2, D(2026, 3, 18), True, False, D(2026, 4, 1), D(2026, 4, 2)),
        ),
        # over the Spring Festival: raised Thu 12 Feb → 13, 14 (make-up), 24, 25, 26 Feb
        (
            1,
            D(2026, 2, 12),
            False,
            D(2026, 2, 26),
            (1, D(2026, 2, 12), False, False, D(2026, 2, 26), D(2026, 2, 27)),
        ),
        (
            1,
            D(2026, 2, 12),
            False,
            D(2026, 2, 27),
            (2, D(2026, 2, 27), True, False, D(2026, 3, 12), D(2026, 3, 13)),  # 28 Feb worked
        ),
        # raised on a day off: the SLA counts working days after it
        (
            1,
            D(2026, 3, 21),
            False,
            D(2026, 3, 27),
            (1, D(2026, 3, 21), False, False, D(2026, 3, 27), D(2026, 3, 30)),
        ),
        # the time it entered may be a datetime
        (
            1,
            dt.datetime(2026, 3, 2, 23, 30),
            False,
            D(2026, 3, 9),
            (1, MAR2, False, False, D(2026, 3, 9), D(2026, 3, 10)),
        ),
    ],
)
def test_escalation(level, entered, resolved, today, expected):
    result = escalate(level, entered, resolved, today, add)
    assert dataclasses.astuple(result) == expected


def test_escalation_is_idempotent_for_the_same_day():
    first = escalate(1, D(2025, 1, 6), False, TODAY, add)
    again = escalate(first.level, first.entered_on, False, TODAY, add)
    assert first.escalated and not again.escalated
    assert dataclasses.replace(again, escalated=True) == first


def test_escalation_levels_follow_the_rules():
    two_levels = LightRules(problem_sla_days=(1, 2))
    assert escalate(1, MAR2, False, D(2026, 3, 4), add, two_levels).level == 2
    top = escalate(2, MAR2, False, D(2026, 3, 5), add, two_levels)
    assert (top.level, top.past_sla, top.next_climb_on) == (2, True, None)
    with pytest.raises(ValueError):
        escalate(3, MAR2, False, TODAY, add, two_levels)
    with pytest.raises(ValueError):
        escalate(0, MAR2, False, TODAY, add)


@settings(max_examples=300, deadline=None)
@given(
    level=st.integers(1, 3),
    entered=st.dates(D(2025, 1, 1), D(2026, 12, 31)),
    resolved=st.booleans(),
    wait=st.integers(0, 400),
    slas=st.lists(st.integers(1, 20), min_size=3, max_size=3),
)
def test_escalation_property(level, entered, resolved, wait, slas):
    light_rules = LightRules(problem_sla_days=tuple(slas))
    today = entered + dt.timedelta(days=wait)
    r = escalate(level, entered, resolved, today, add, light_rules)
    # never both resolved and escalated; never skips a level; never goes down
    assert not (resolved and r.escalated)
    assert r.level - level == (1 if r.escalated else 0)
    # idempotent for the same day
    again = escalate(r.level, r.entered_on, resolved, today, add, light_rules)
    assert not again.escalated and dataclasses.replace(again, escalated=r.escalated) == r
    # it climbs exactly when the working days since it entered exceed its level's SLA
    overdue = wdb(entered, today) > slas[level - 1]
    assert r.escalated == (not resolved and overdue and level < 3)
    assert r.past_sla == (not resolved and overdue and level == 3)
    if r.escalated:
        assert r.entered_on == today


@settings(max_examples=50, deadline=None)
@given(
    entered=st.dates(D(2025, 1, 1), D(2026, 10, 31)),
    slas=st.lists(st.integers(1, 20), min_size=3, max_size=3),
)
def test_daily_job_climbs_one_level_per_sla(entered, slas):
    """Run every day for 120 days: one step at a time, each after its level's full SLA."""
    light_rules = LightRules(problem_sla_days=tuple(slas))
    level, since = 1, entered
    for offset in range(1, 121):
        today = entered + dt.timedelta(days=offset)
        r = escalate(level, since, False, today, add, light_rules)
        if r.escalated:
            assert r.level == level + 1
            assert wdb(since, today) == slas[level - 1] + 1  # the first working day past its SLA
        level, since = r.level, r.entered_on
    assert level == 3 or wdb(since, today) <= slas[level - 1]


# --- the light, over random facts ------------------------------------------------------------

dates = st.dates(D(2025, 6, 1), D(2026, 12, 31))
milestones = st.lists(
    st.tuples(
        st.sampled_from(["", "招标"]), dates, st.none() | st.integers(0, 100), st.none() | dates
    ),
    max_size=4,
)
facts_strategy = st.builds(
    TaskFacts,
    deadline=st.none() | dates,
    ongoing=st.booleans(),
    start_date=st.none() | dates,
    completed_on=st.none() | dates,
    status=st.sampled_from(["not_started", "in_progress", "done", "suspended", "cancelled"]),
    percent=st.none() | st.integers(0, 100),
    milestones=milestones,
    missed_cycles=st.integers(0, 4),
    report_overdue=st.booleans(),
    problems=st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans()), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, today=dates)
def test_worst_reason_wins(facts, today):
    result = light(facts, today)
    lights = [r.light for r in result.reasons]
    if result.light in ("red", "yellow"):
        assert lights[0] == result.light and set(lights) <= {"red", "yellow"}
        assert lights == sorted(lights, key=["red", "yellow"].index)  # reds first
    elif result.light == "green":
        assert lights == []
    else:
        assert set(lights) <= {result.light} and result.pace is None
    assert result.light in ("done", "done_late") if facts.status == "done" else True
    assert all(r.text for r in result.reasons)
    assert light(facts, today) == result  # pure
