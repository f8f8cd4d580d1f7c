"""The demo city's last few months of supervision, told through the real services as the people
who would have done each step: two report cycles of the city's key work (most reports in and
accepted, two copied from the month before, one jump to 100% with nothing attached, one
missing), tiered problems that climbed while the worker ran each working day, supervision orders
at every stage, extension requests and appeals, then the integrity scan and the lights.

Every date counts back from today in working days (`Clock.day(n)`: n working days ago), so the
story reads the same whenever the demo is loaded. Tasks are chosen by what the story needs (a
unit, a lead leader, an ongoing task, a title a problem fits …) with fallbacks, so any seed tells
it. The people in the demo log-ins each find something waiting: the reporter (王磊) problems he
raised and an order to answer, the unit admin a new problem, the leader (张建国) a problem and an
extension request, the supervisor orders to verify and integrity signals; and the closed-loop
check finds a few real open items (an order unanswered, a response not verified, an extension
undecided, a top-level problem unanswered past its SLA)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.desk import services as desk
from luoshi.dispatch import rules as dispatch_rules
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Cycle, Report, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Plan, Task, TaskStatus
from luoshi.org import services as org
from luoshi.org.models import Person, Role, Unit
from luoshi.supervision import rules as light_rules
from luoshi.supervision.models import Appeal, Extension, Order, Problem, Signal
from luoshi.supervision.services import due_process, integrity, orders, problems
from luoshi.supervision.services.lights import recompute_lights

from . import city

HIGHWAY = "市公路事业发展中心"  # the reporter's and the unit admin's unit
RURAL = "市城乡交通运输发展中心"
BUS = "市公共交通集团"
PERMITS = "市交通运输局行政审批处"
ENFORCEMENT = "市交通运输执法支队"
ROADS = ("道路", "枢纽", "公路", "物流园区", "慢行")  # titles a land or pipeline problem fits
# The lights passes replayed (the worker's is daily): every plan on these days (working days
# before today), the city's key work every LIGHTS_EVERY working days from the first. A pass over
# every plan costs a few tenths of a second, so not daily; but no more than 10 working days apart,
# or a task could go from green to red past its deadline without the yellow it showed in
# between (the 10 working days before a deadline), and the scan would flag it as warned too late.
FULL_LIGHTS = (30, 20, 10)
LIGHTS_EVERY = 5
STORY_DAYS = 45  # the first step of the story, in working days before today
VICE_MAYOR = {"full_name": "韩卫东", "title": "副市长"}  # city leadership: problem level 3
# What each demo log-in finds on its desk (the loader prints it beside the log-ins).
WAITING = {
    "supervisor": "orders to verify, integrity signals, reports to review, the closed-loop check,"
    " this month's reports per unit to urge (催报)",
    "leader": "a problem climbed to him (level 2), an extension request to decide,"
    " this month's reports to review",
    "unitadmin": "a new problem for the unit (level 1), the unit's reports due this month",
    "reporter": "the problems he raised, a supervision order to answer, a returned report"
    " and this month's reports to send",
}


class Clock:
    def __init__(self, today: dt.date):
        self.today = today
        self.cal = current_calendar()

    def day(self, n: int) -> dt.date:
        """n working days before today (today itself for 0)."""
        return self.cal.add_working_days(self.today, -n)

    def at(self, n: int, hm: str) -> dt.datetime:
        h, m = hm.split(":")
        return moment(self.day(n), int(h), int(m))

    def now(self) -> dt.datetime:
        """Now, or the evening of the day the story is told as of."""
        if self.today == timezone.localdate():
            return timezone.now()
        return moment(self.today, 18, 0)


def moment(day: dt.date, h: int = 10, m: int = 0) -> dt.datetime:
    """That time of day in the site's time zone, as a UTC datetime: the audit chain hashes the
    moment as given and reads it back from the database in UTC, so a moment with the local
    offset would no longer verify."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(h, m))).astimezone(dt.UTC)


def escalate(day: dt.date, actor) -> None:
    """The worker's escalation run on `day`. Run for a past day, the service dates its steps and
    audit records 08:00 in the current time zone, which would break the audit chain (see
    `moment`); with UTC as the current time zone they are dated 08:00 UTC instead."""
    if day == timezone.localdate():
        problems.escalate_problems(actor=actor, today=day)
        return
    with timezone.override(dt.UTC):
        problems.escalate_problems(actor=actor, today=day)


def month_end(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    first_next = dt.date(day.year + y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def reporter_of(unit: Unit) -> Person | None:
    return (
        Person.objects.filter(grants__role=Role.REPORTER, grants__unit=unit, is_active=True)
        .order_by("pk")
        .first()
    )


# --- the city's key work: two report cycles ------------------------------------------------

# Per category, two ways of saying a month's progress; a unit writing honestly says it
# differently each month. {p} percent, {x} {y} counts, {inv} investment (万元).
PROGRESS = {
    "项目建设": [
        (
            "项目已完成施工图设计审查和施工招标，主体工程完成{p}%，累计完成投资{inv}万元。",
            "下月完成剩余标段进场施工，加快主体结构施工进度。",
        ),
        (
            "本月完成路基土方{x}万立方米、桥梁桩基{y}根，形象进度达到{p}%，"
            "现场安全文明施工检查合格。",
            "抢抓施工黄金期，增加作业面，确保按节点完成年度投资。",
        ),
    ],
    "民生实事": [
        (
            "已完成{x}个点位建设并投入使用，惠及群众约{y}户，完成年度目标的{p}%。",
            "继续推进剩余点位建设，同步做好群众满意度回访。",
        ),
        (
            "本月新增完成{x}个点位，组织第三方对已建成点位开展质量抽查，合格率100%，总体进度{p}%。",
            "倒排剩余点位工期，落实专人跟踪，确保年底前全部建成。",
        ),
    ],
    "改革攻坚": [
        (
            "已出台实施方案及配套细则{x}项，在{y}个区县开展试点，改革任务完成{p}%。",
            "总结试点经验，研究制定全市推广方案。",
        ),
        (
            "本月召开改革专题推进会，梳理堵点问题{x}个、已解决{y}个，"
            "相关事项办理时限平均压缩30%，总体进度{p}%。",
            "对未解决的堵点问题逐项明确责任单位和销号时限。",
        ),
    ],
    "生态环保": [
        (
            "完成问题点位整治{x}处，开展联合执法检查{y}次，整改任务完成{p}%。",
            "加强巡查频次，防止已整治点位问题反弹。",
        ),
        (
            "本月新增完成整治{x}处，建立长效管护台账，辖区监测指标稳中向好，总体进度{p}%。",
            "持续开展常态化巡查，推动问题动态清零。",
        ),
    ],
}
STUCK = (
    "受征地拆迁影响，项目主体工程仅完成{p}%，已超过完成时限，正在协调属地加快推进。",
    "征地拆迁尚有{x}户未签订补偿协议。",
    "提请属地政府召开专题协调会，力争下月完成拆迁扫尾。",
)
STUCK_AGAIN = "拆迁扫尾仍在进行，本月完成主体工程{p}%，剩余路段待交地后组织施工。"
FUNDS = "年度计划投资{inv}万元，市级补助资金仅拨付40%，影响工程款支付和施工进度。"
JUMP = ("项目已全面完成，完成率100%。", "做好竣工验收准备。")


def _pace(task: Task, day: dt.date) -> int:
    """序时进度: the elapsed share of the task's span on `day`."""
    start = task.start_date or dt.date(day.year, 1, 1)
    span = max(1, (task.deadline - start).days)
    return max(0, min(100, round(100 * (day - start).days / span)))


def _text(task: Task, k: int, p: int, numbers: dict) -> tuple[str, str]:
    templates = PROGRESS.get(task.category.name if task.category_id else "", PROGRESS["项目建设"])
    progress, steps = templates[k % len(templates)]
    return progress.format(p=p, **numbers), steps


def _done(task: Task, on: dt.date, *, actor) -> None:
    task = Task.objects.get(pk=task.pk)
    ledger.update_task(
        task,
        actor=actor,
        version=task.version,
        status=TaskStatus.DONE,
        completed_on=on,
        percent=100,
    )


def _open_cycle(plan: Plan, due: dt.date) -> Cycle:
    # The worker opens a cycle when its period begins; a week before the due date is in it.
    dispatch.open_due_cycles(moment(due - dt.timedelta(days=6), 8, 0))
    return Cycle.objects.get(plan=plan, due_at__date=due)


def _report(slot: Slot, when: dt.datetime, progress: str, steps: str, percent: int, **more):
    author = slot.owner or reporter_of(slot.unit)
    report, _created = dispatch.start_report(slot, actor=author)
    return dispatch.submit_report(
        report,
        actor=author,
        version=report.version,
        now=when,
        progress=progress,
        next_steps=steps,
        percent=percent,
        **more,
    )


def report_history(plan: Plan, *, today: dt.date, rng: random.Random, reviewer) -> dict:
    """The city's key work (`plan`, deployed, monthly) over its last two report cycles. Run
    while it is the only deployed plan: opening a past cycle opens it for every deployed plan.

    Tasks due well before the first cycle were completed (a quarter late), except three still
    stuck; of those due between the cycles about half were completed before the second, the rest
    late after it; those due since the second mostly too, one still open at 90%. Returns the
    report that raises a problem and the tasks the rest of the story should leave alone."""
    cal = current_calendar()
    spec = dispatch.spec_of(dispatch.ensure_schedule(plan, actor=system_actor()))
    dues = dispatch_rules.due_dates(spec, today - dt.timedelta(days=100), today - dt.timedelta(1))
    if len(dues) < 2:
        return {}
    d1, d2 = dues[-2:]
    tasks = list(
        plan.tasks.filter(deadline__isnull=False).select_related("category").order_by("sort_key")
    )
    early = [t for t in tasks if t.deadline < d1 - dt.timedelta(days=7)]
    between = [t for t in tasks if d1 - dt.timedelta(days=7) <= t.deadline < d2]
    recent = [t for t in tasks if d2 <= t.deadline < today]
    stuck = [t.pk for t in rng.sample(early, min(3, len(early)))]
    # The jump: 55% last month, 100% this month, at or after the deadline, nothing attached.
    jump = between[0].pk if between else None
    # Green at 90% up to its deadline, then red without a yellow day: warned too late.
    late_due = [t for t in between + recent if t.pk != jump]
    warned = late_due[-1].pk if late_due else None
    finishing = {t.pk for t in between[1::2]} - {warned}  # completed late, after the 2nd cycle
    keep = {*stuck, jump, warned} - {None}

    for t in early:
        if t.pk in keep:
            continue
        if rng.random() < 0.25:  # completed late, still before the first cycle
            on = min(t.deadline + dt.timedelta(days=rng.randint(4, 30)), d1 - dt.timedelta(10))
        else:
            on = t.deadline - dt.timedelta(days=rng.randint(0, 15))
        _done(t, max(on, t.start_date or on), actor=reviewer)

    numbers = {
        t.pk: {"x": rng.randint(3, 40), "y": rng.randint(2, 30), "inv": rng.randint(8, 60) * 100}
        for t in tasks
    }
    first: dict[int, tuple[str, str, int]] = {}

    # Cycle 1: everyone reports a few working days early; the supervisor accepts.
    for slot in _slots(_open_cycle(plan, d1)):
        t = slot.task
        if t.pk in stuck:
            p = rng.randint(55, 75)
            progress, steps = STUCK[0].format(p=p), STUCK[2]
        elif t.pk == jump:
            p = 55
            progress, steps = _text(t, t.pk, p, numbers[t.pk])
        else:
            p = max(5, min(95, _pace(t, d1) + rng.randint(-4, 10)))
            if t.pk in finishing or t.pk == warned:
                p = max(p, 82)
            progress, steps = _text(t, t.pk, p, numbers[t.pk])
        report = _report(slot, _when(cal, d1, rng), progress, steps, p)
        first[t.pk] = (progress, steps, p)
        dispatch.review_report(report, actor=reviewer, accept=True, now=moment(d1, 9, 30))

    for t in between:
        if t.pk not in keep and t.pk not in finishing:
            day = t.deadline + dt.timedelta(days=rng.randint(-6, 3))
            _done(t, min(day, d2 - dt.timedelta(3)), actor=reviewer)

    # Cycle 2: one stuck unit and one other copy last month's text, one unit does not report,
    # two reports wait for review, one report raises a funding problem.
    slots = _slots(_open_cycle(plan, d2))
    others = [s.task_id for s in slots if s.task_id not in keep]
    ahead = [s.task_id for s in slots if s.task.deadline >= today and s.task_id not in keep]
    repeats = set(stuck[:1]) | set((ahead or others)[:1])
    missing = set(ahead[-1:]) - repeats
    rest = [pk for pk in others if pk not in repeats | missing]
    unreviewed = set(rest[:2])
    funds = rest[0] if rest else next(iter(repeats - set(stuck)), None)
    # The jump, the task warned too late and the missing report keep their story; the stuck
    # tasks are where the supervision office looks next.
    out: dict = {"keep": {jump, warned, *missing} - {None}}
    for slot in slots:
        t = slot.task
        if t.pk in missing:
            continue
        before = first.get(t.pk, ("", "", 0))[2]
        more = {}
        if t.pk in repeats and t.pk in first:
            p = min(95, before + rng.randint(2, 6))
            progress, steps, _p = first[t.pk]
            progress = progress.replace(f"{before}%", f"{p}%")
        elif t.pk == jump:
            p, (progress, steps) = 100, JUMP
        elif t.pk in stuck:
            p = min(90, before + rng.randint(3, 8))
            progress, steps = STUCK_AGAIN.format(p=p), STUCK[2]
            more["problems"] = STUCK[1].format(x=rng.randint(3, 12))
        else:
            if t.pk == warned:
                p = 90
            elif t.deadline < today:
                p = 100
            else:
                p = max(before + 2, min(95, _pace(t, d2) + rng.randint(-3, 10)))
            progress, steps = _text(t, t.pk + 1, p, numbers[t.pk])
        if t.pk == funds:
            more["problems"] = FUNDS.format(inv=numbers[t.pk]["inv"] * 3)
        report = _report(slot, _when(cal, d2, rng), progress, steps, p, **more)
        if t.pk == funds:
            out["funds"] = report
        if t.pk not in unreviewed:
            dispatch.review_report(report, actor=reviewer, accept=True, now=moment(d2, 9, 30))

    for t in recent:
        if t.pk not in keep:
            _done(t, t.deadline - dt.timedelta(days=rng.randint(0, 3)), actor=reviewer)
    for t in between:
        if t.pk in finishing or t.pk == jump:
            _done(
                t,
                min(today - dt.timedelta(1), d2 + dt.timedelta(rng.randint(0, 5))),
                actor=reviewer,
            )
    return out


def _slots(cycle: Cycle) -> list[Slot]:
    return list(
        cycle.slots.select_related("task__category", "unit", "owner").order_by("task__sort_key")
    )


def _when(cal, due: dt.date, rng: random.Random) -> dt.datetime:
    """A report's submission: one to three working days before its due date, in office hours."""
    day = cal.add_working_days(due, -rng.randint(1, 3))
    return moment(day, rng.randint(9, 16), rng.choice((5, 20, 40, 55)))


# --- the supervision office's last few months ------------------------------------------------


class Picker:
    """Tasks for the story, each used once: the first of the querysets that has one."""

    def __init__(self, fallback: QuerySet[Task]):
        self.fallback = fallback
        self.used: set[int] = set()

    def __call__(self, *choices: QuerySet[Task]) -> Task:
        for qs in (*choices, self.fallback):
            task = (
                qs.exclude(pk__in=self.used)
                .select_related("plan", "primary_unit", "lead_leader", "owner")
                .order_by("plan_id", "sort_key")
                .first()
            )
            if task is not None:
                self.used.add(task.pk)
                return task
        raise LookupError("the demo city has no task left for its story")


def titled(qs: QuerySet[Task], *words: str) -> QuerySet[Task]:
    """The tasks whose title has one of the words: a problem reads right on its task."""
    q = Q()
    for word in words:
        q |= Q(title__contains=word)
    return qs.filter(q)


def _fresh(model, obj):
    return model.objects.get(pk=obj.pk)


class Story:
    def __init__(
        self, today: dt.date, units: dict[str, Unit], bureau: Plan, key_work: Plan, history: dict
    ):
        self.clock = Clock(today)
        self.events: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.units = units
        self.system = system_actor()
        self.supervisor = Person.objects.get(username="supervisor")
        # City leadership, to whom problems climb at the top level.
        org.create_people(
            [{**VICE_MAYOR, "unit": units[city.CITY], "roles": [Role.LEADER]}], actor=self.system
        )
        self.bureau = bureau.tasks.filter(
            status__in=(TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
        )
        self.key_work = key_work.tasks.filter(
            status__in=(TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
        )
        self.key_work_plan = key_work
        self.pick = Picker(self.bureau)
        # The report history's own cases (the jump, the task warned too late, …) keep their story.
        self.funds = history.get("funds")
        self.pick.used |= set(history.get("keep", ()))
        if self.funds is not None:
            self.pick.used.add(self.funds.slot.task_id)
        self.p: dict[str, Problem] = {}
        self.o: dict[str, Order] = {}
        self.e: dict[str, Extension] = {}
        self.a: dict[str, Appeal] = {}

    # scheduling
    def on(self, n: int, hm: str, step: Callable[[], object]) -> None:
        self.at(self.clock.at(n, hm), step)

    def at(self, when: dt.datetime, step: Callable[[], object]) -> None:
        self.events.append((when, len(self.events), step))

    def tasks(self, unit: str | None = None, leader: str | None = None, **filters):
        qs = self.bureau
        if unit is not None:
            qs = qs.filter(primary_unit=self.units[unit])
        if leader is not None:
            qs = qs.filter(lead_leader__full_name=leader)
        return qs.filter(**filters)

    def raiser(self, task: Task) -> Person:
        return (
            (task.primary_unit and reporter_of(task.primary_unit)) or task.owner or self.supervisor
        )

    # problems
    def raise_(
        self,
        key: str,
        n: int | dt.datetime,
        hm: str,
        task: Task,
        title: str,
        description: str,
        by: Person | None = None,
        report: Report | None = None,
    ) -> None:
        when = n if isinstance(n, dt.datetime) else self.clock.at(n, hm)

        def step():
            self.p[key] = problems.raise_problem(
                task,
                actor=by or self.raiser(task),
                title=title,
                description=description,
                report=report,
                now=when,
            )

        self.at(when, step)

    def _holder(self, p: Problem, who) -> Person:
        """`who` is "assignee" (whoever holds it now), "lead" (the task's lead leader) or a
        person."""
        if who == "assignee":
            return p.assignee or self.supervisor
        if who == "lead":
            return p.task.lead_leader or self.supervisor
        return who

    def respond(self, key: str, n: int, hm: str, text: str, who="assignee") -> None:
        def step():
            p = _fresh(Problem, self.p[key])
            problems.respond_problem(
                p,
                actor=self._holder(p, who),
                version=p.version,
                text=text,
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    def resolve(self, key: str, n: int, hm: str, text: str, who="assignee") -> None:
        def step():
            p = _fresh(Problem, self.p[key])
            problems.resolve_problem(
                p,
                actor=self._holder(p, who),
                version=p.version,
                resolution=text,
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    def unsolvable(self, key: str, n: int, hm: str, text: str, who="assignee") -> None:
        def step():
            p = _fresh(Problem, self.p[key])
            problems.declare_unsolvable(
                p,
                actor=self._holder(p, who),
                version=p.version,
                reasons=text,
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    # orders
    def issue(
        self, key: str, n: int, hm: str, unit: Unit, tasks: list[Task], demand: str, days: int = 5
    ) -> None:
        def step():
            now = self.clock.at(n, hm)
            self.o[key] = orders.issue_order(
                actor=self.supervisor,
                unit=unit,
                tasks=tasks,
                demand=demand,
                respond_by=self.clock.cal.add_working_days(now.date(), days),
                now=now,
            )

        self.on(n, hm, step)

    def answer_order(self, key: str, n: int, hm: str, text: str) -> None:
        def step():
            order = _fresh(Order, self.o[key])
            by = reporter_of(order.unit) or self.supervisor
            orders.respond_order(
                order, actor=by, version=order.version, response=text, now=self.clock.at(n, hm)
            )

        self.on(n, hm, step)

    def verify(self, key: str, n: int, hm: str, accept: bool, comment: str) -> None:
        def step():
            order = _fresh(Order, self.o[key])
            orders.verify_order(
                order,
                actor=self.supervisor,
                version=order.version,
                accept=accept,
                comment=comment,
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    # due process
    def ask_extension(self, key: str, n: int, hm: str, task: Task, months: int, reason) -> None:
        def step():
            fresh = Task.objects.get(pk=task.pk)
            new = month_end(max(fresh.deadline, self.clock.day(n)), months)
            self.e[key] = due_process.request_extension(
                fresh,
                actor=self.raiser(fresh),
                requested_deadline=new,
                reason=reason(fresh, new),
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    def decide_extension(self, key: str, n: int, hm: str, approve: bool, reason, who) -> None:
        def step():
            ext = _fresh(Extension, self.e[key])
            actor = (ext.task.lead_leader or self.supervisor) if who == "lead" else who
            due_process.decide_extension(
                ext,
                actor=actor,
                version=ext.version,
                approve=approve,
                reason=reason(ext),
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    def appeal(self, key: str, n: int, hm: str, candidates: list[QuerySet[Task]], reason) -> None:
        def step():
            # The light is the one shown that day: choose a task whose light is a warning.
            for qs in candidates:
                task = (
                    qs.exclude(pk__in=self.pick.used)
                    .filter(shown_light__light__in=due_process.APPEALABLE)
                    .order_by("plan_id", "sort_key")
                    .first()
                )
                if task is not None:
                    break
            else:
                return
            self.pick.used.add(task.pk)
            self.a[key] = due_process.appeal_light(
                task, actor=self.raiser(task), reason=reason(task), now=self.clock.at(n, hm)
            )

        self.on(n, hm, step)

    def decide_appeal(self, key: str, n: int, hm: str, uphold: bool, reason, who=None) -> None:
        def step():
            if key not in self.a:
                return
            appeal = _fresh(Appeal, self.a[key])
            task = appeal.task
            due_process.decide_appeal(
                appeal,
                actor=who or task.lead_leader or self.supervisor,
                version=appeal.version,
                uphold=uphold,
                reason=reason(appeal),
                now=self.clock.at(n, hm),
            )

        self.on(n, hm, step)

    # running
    def run(self) -> None:
        """Replay the working days from the story's first: each morning the worker climbs the
        problems past their SLA (and every few days recomputes the lights), then the day's
        steps happen in the order of their times."""
        pending = sorted(self.events, key=lambda e: e[:2], reverse=True)
        for n in range(STORY_DAYS, 0, -1):
            day = self.clock.day(n)
            # The worker's run that day; one that would climb nothing is skipped (it changes
            # nothing and records nothing), which keeps the loader fast.
            if Problem.objects.filter(status=Problem.Status.OPEN, sla_due_on__lt=day).exists():
                escalate(day, self.system)
            if n in FULL_LIGHTS:
                recompute_lights(actor=self.system, today=day)
            elif n < max(FULL_LIGHTS) and (max(FULL_LIGHTS) - n) % LIGHTS_EVERY == 0:
                recompute_lights(actor=self.system, today=day, plan=self.key_work_plan)
            while pending and timezone.localtime(pending[-1][0]).date() <= day:
                pending.pop()[2]()
        today = self.clock.today
        for _when, _seq, step in reversed(pending):  # none, unless a step was dated today
            step()
        dispatch.close_due_cycles(self.clock.now())
        escalate(today, self.system)
        recompute_lights(actor=self.system, today=today)
        integrity.scan_signals(actor=self.system, today=today)


def supervision(
    *, today: dt.date, units: dict[str, Unit], bureau: Plan, key_work: Plan, history: dict
) -> dict:
    """The problems, orders, extension requests and appeals of the last few months, then the
    integrity scan and today's lights. Returns counts for the loader's summary line."""
    s = Story(today, units, bureau, key_work, history)
    pick, t = s.pick, s.tasks
    overdue = {"deadline__lt": s.clock.day(STORY_DAYS)}
    zhang, li, liu = "张建国", "李红梅", "刘志强"
    ahead = s.key_work.filter(deadline__gte=today)  # the key work still running

    # --- problems: twelve, across the levels ---------------------------------------------
    # P1 climbed to the lead leader, who has not answered yet; the reporter follows it.
    task = pick(
        titled(t(HIGHWAY, zhang, **overdue), *ROADS),
        t(HIGHWAY, zhang, **overdue),
        t(HIGHWAY, zhang),
        t(HIGHWAY),
    )
    s.raise_(
        "P1",
        12,
        "09:40",
        task,
        "枢纽配套道路征地拆迁资金缺口约2600万元",
        "项目沿线需拆迁房屋47户，区级配套补偿资金仅到位1100万元，尚有约2600万元缺口，"
        "部分被拆迁户未签订补偿协议，路基施工无法进场。",
    )
    s.respond(
        "P1",
        10,
        "16:10",
        "已两次会同区政府协调，补偿资金缺口仍需市级统筹解决，提请分管局领导协调市财政局。",
    )
    # P2 new at level 1: the unit admin's to answer.
    task = pick(titled(t(HIGHWAY), "建设", "桥梁", "客运站", "停车"), t(HIGHWAY))
    s.raise_(
        "P2",
        2,
        "10:25",
        task,
        "施工许可审批慢，影响开工",
        "施工图审查已于上月完成，但施工许可申办材料被要求补正3次，至今未取得施工许可证，"
        "原定开工时间已推迟。建议协调行政审批部门开辟绿色通道。",
    )
    # P3 resolved at level 1 within its SLA.
    task = pick(titled(t(HIGHWAY), "桥梁", *ROADS), t(HIGHWAY))
    s.raise_(
        "P3",
        26,
        "11:00",
        task,
        "临时用地手续未批复",
        "项目需临时用地约35亩用于拌合站和材料堆场，临时用地申请已报自然资源部门，尚未批复。",
    )
    s.respond("P3", 25, "15:30", "已与市自然资源和规划局对接，对方答复资料齐全，本周内办结。")
    s.resolve("P3", 23, "17:05", "临时用地已于本周批复，拌合站开始建设，问题销号。")
    # P4 climbed to the lead leader and was resolved there.
    task = pick(titled(t(RURAL), *ROADS), t(RURAL), t(BUS))
    s.raise_(
        "P4",
        30,
        "09:15",
        task,
        "交叉口燃气管线迁改排期滞后",
        "项目交叉口下方有中压燃气管线需迁改，燃气公司排期至明年一季度，影响路面施工。",
    )
    s.resolve(
        "P4",
        19,
        "16:45",
        "经分管局领导与燃气公司协调，管线迁改已纳入本月施工计划，已于本周完成切改，路面施工恢复。",
    )
    # P5 climbed to city leadership and was declared unsolvable, with the reasons.
    task = pick(ahead.filter(category__name="项目建设"), titled(t(), *ROADS), t(PERMITS))
    s.raise_(
        "P5",
        45,
        "10:00",
        task,
        "项目线位涉及永久基本农田",
        "项目K3+200至K4+100段线位占用永久基本农田约12.6亩，农用地转用需报省政府审批，"
        "按当前进度年内无法取得用地批复。",
    )
    s.respond(
        "P5",
        43,
        "14:20",
        "已向市自然资源和规划局咨询，占用永久基本农田须报省政府审批，单位层面无法解决。",
    )
    s.respond("P5", 35, "10:30", "已提请市政府研究线位调整方案。", who="lead")
    s.unsolvable(
        "P5",
        20,
        "15:00",
        "按现行政策，占用永久基本农田须报省政府审批，年内无法办结。经市政府专题会议研究，"
        "调整线位避让基本农田，原线位方案不再推进，调整方案另行立项。",
    )
    # P6 at city leadership past its SLA, unanswered: its task is red because of it.
    task = pick(
        titled(t(HIGHWAY, ongoing=True), *ROADS, "停车"),
        titled(t(ongoing=True), *ROADS, "停车"),
        t(HIGHWAY, ongoing=True),
        t(ongoing=True),
        t(HIGHWAY),
    )
    s.raise_(
        "P6",
        42,
        "09:50",
        task,
        "城区段供水管网迁改资金缺口1800万元",
        "城区段施工需迁改DN600供水主管2.3公里，迁改费用约1800万元，供水公司与项目单位对费用"
        "分担意见不一，管网迁改迟迟无法启动，已影响后续工序。",
    )
    s.respond(
        "P6", 40, "15:40", "已组织供水公司和项目单位两次协商，费用分担仍未达成一致，需上级协调。"
    )
    s.respond("P6", 33, "11:20", "已提请市政府专题研究费用分担和资金来源。", who="lead")
    # P7 new at level 1, answered.
    task = pick(titled(t(RURAL), "农村公路"), titled(t(), "农村公路"), t(RURAL))
    s.raise_(
        "P7",
        4,
        "10:05",
        task,
        "农村公路养护资金下达滞后",
        "省级农村公路养护补助资金尚未下达，县级配套资金不足，部分路段日常养护无法按计划开展。",
    )
    s.respond("P7", 2, "14:50", "已向市财政局行文申请提前下达养护补助资金，待批复。")
    # P8 at the lead leader, who has answered.
    task = pick(titled(t(BUS), "公交", "客运站"), t(BUS, li), t(BUS), t(leader=li))
    s.raise_(
        "P8",
        15,
        "09:30",
        task,
        "公交场站用地规划调整未完成",
        "新建公交首末站用地现状规划为商业用地，需调整控制性详细规划后方可办理用地手续。",
    )
    s.respond(
        "P8",
        6,
        "16:00",
        "已与市自然资源和规划局沟通，控规调整方案拟于本月底提交规委会审议。",
        who="lead",
    )
    # P9 at city leadership, within its SLA, answered by the supervision office.
    task = pick(ahead.filter(category__name="项目建设"), ahead, titled(t(), *ROADS), t(PERMITS))
    s.raise_(
        "P9",
        28,
        "10:40",
        task,
        "项目资本金到位不足，银行贷款无法发放",
        "项目总投资4.2亿元，资本金应到位8400万元，目前仅到位3000万元，银行贷款无法按合同发放，"
        "施工单位已出现垫资压力。",
    )
    s.respond(
        "P9",
        5,
        "11:10",
        "已列入市政府下周专题会议议题，请项目单位准备资金平衡方案。",
        who=s.supervisor,
    )
    # P10 resolved at level 1 in a few days.
    task = pick(t(BUS), t(PERMITS))
    s.raise_(
        "P10",
        35,
        "08:50",
        task,
        "施工单位劳务人员不足",
        "受秋收影响，施工单位现场作业人员由120人减至55人，关键工序进度滞后。",
    )
    s.resolve("P10", 31, "17:20", "施工单位已增派作业人员60人，新增两个作业面，进度已基本追回。")
    # P11 resolved by city leadership.
    task = pick(titled(t(), "充电设施"), ahead, t(PERMITS))
    s.raise_(
        "P11",
        44,
        "14:30",
        task,
        "充电设施电力增容配套费用分担未明确",
        "新建公共充电站需电力增容2400千伏安，供电公司要求建设单位承担外线工程费用约680万元，"
        "项目预算未列支该项费用。",
    )
    s.resolve(
        "P11",
        16,
        "16:30",
        "经市政府常务会议研究，外线工程费用由市财政和供电公司按6:4分担，资金已拨付到位。",
    )
    # P12 raised in a report on the city's key work.
    if s.funds is not None:
        report = s.funds
        s.raise_(
            "P12",
            report.slot.submitted_at + dt.timedelta(minutes=3),
            "",
            report.slot.task,
            "市级补助资金拨付滞后",
            report.problems,
            by=report.author,
            report=report,
        )

    # --- supervision orders, 督办〔YYYY〕N号 in the order issued ---------------------------------
    highway, bus, rural = units[HIGHWAY], units[BUS], units[RURAL]
    late = pick(t(BUS, **overdue), t(BUS))
    s.issue(
        "O7",
        40,
        "10:00",
        bus,
        [late],
        f"「{late.title}」已超过完成时限且进度滞后，请于5个工作日内书面报送滞后原因及整改措施。",
    )
    s.answer_order(
        "O7",
        33,
        "16:40",
        "逾期原因：车辆采购招标两次流标。整改措施：已调整招标文件技术参数，第三次招标已挂网，"
        "预计下月完成采购并投入运营。",
    )
    s.verify("O7", 31, "10:20", True, "整改措施可行，同意销号。该单位未按时回复，计入督办超期。")
    closed = pick(t(HIGHWAY, **overdue), t(HIGHWAY))
    s.issue(
        "O6",
        30,
        "09:30",
        highway,
        [closed],
        f"「{closed.title}」连续亮红灯，请于5个工作日内报送整改方案，明确责任人和完成时限。",
    )
    s.answer_order(
        "O6",
        26,
        "15:20",
        "已成立工作专班，由分管副主任牵头，倒排工期：本月底前完成施工图审查，下月中旬进场施工，"
        "每周报送进展。",
    )
    s.verify("O6", 23, "11:00", True, "经实地核查，工作专班已到位，施工图审查已完成，同意销号。")
    returned = pick(s.key_work.filter(deadline__lt=today), s.key_work, t(ENFORCEMENT))
    s.issue(
        "O5",
        18,
        "10:15",
        returned.primary_unit,
        [returned],
        f"「{returned.title}」已超过完成时限仍未完成，请于5个工作日内报送整改方案，"
        "明确剩余工程量、资金保障措施和完成时限。",
    )
    s.answer_order("O5", 14, "17:00", "我单位高度重视，将加快推进，确保完成年度目标任务。")
    s.verify(
        "O5",
        3,
        "15:10",
        False,
        "回复内容空泛，未说明滞后原因，整改方案未明确资金来源、时间节点和责任人，请补充完善后重新报送。",
    )
    unverified = pick(
        s.key_work.exclude(primary_unit=returned.primary_unit), t(ENFORCEMENT), t(BUS)
    )
    s.issue(
        "O4",
        15,
        "14:00",
        unverified.primary_unit,
        [unverified],
        f"「{unverified.title}」上报进度与现场核查情况不符，请于5个工作日内说明情况并报送佐证材料。",
    )
    s.answer_order(
        "O4",
        10,
        "16:30",
        "经核实，上报进度含已签合同未开工部分，已按实际完成工程量更正，现场照片及监理月报已上传。",
    )
    unanswered = pick(t(PERMITS, **overdue), t(PERMITS), t(BUS))
    s.issue(
        "O2",
        12,
        "09:00",
        unanswered.primary_unit,
        [unanswered],
        f"「{unanswered.title}」已逾期且未报送进展，请于5个工作日内书面说明原因并报送下一步推进计划。",
    )
    verify_me = pick(t(RURAL, **overdue), t(RURAL))
    s.issue(
        "O3",
        7,
        "10:30",
        rural,
        [verify_me],
        f"「{verify_me.title}」连续两个月进度无变化，请于5个工作日内核实实际进展并报送整改情况。",
    )
    s.answer_order(
        "O3",
        3,
        "11:45",
        "经核实，该任务前期因设计变更暂停，变更已于上周批复，已恢复施工，附设计变更批复及施工日志。",
    )
    awaiting = [pick(t(HIGHWAY, zhang, **overdue), t(HIGHWAY, **overdue), t(HIGHWAY))]
    awaiting.append(pick(t(HIGHWAY, **overdue), t(HIGHWAY)))
    s.issue(
        "O1",
        3,
        "09:20",
        highway,
        awaiting,
        f"你单位牵头的「{awaiting[0].title}」等{len(awaiting)}项任务已超过完成时限，"
        "台账进度仍为0%，连续亮红灯。请于5个工作日内报送整改方案，明确整改措施、责任人和"
        "完成时限，逾期未报送的将在全市通报。",
    )

    # --- extension requests ----------------------------------------------------------------
    def asked(reason):
        return lambda task, new: reason.format(old=task.deadline.isoformat(), new=new.isoformat())

    approved = pick(
        t(HIGHWAY, zhang, deadline__isnull=False), t(leader=zhang, deadline__isnull=False)
    )
    s.ask_extension(
        "E3",
        20,
        "10:10",
        approved,
        3,
        asked(
            "该任务涉及的村民补偿协议至今未全部签订，征地工作较原计划延后约两个月，"
            "申请将完成时限由{old}延至{new}。"
        ),
    )
    s.decide_extension(
        "E3",
        17,
        "15:30",
        True,
        lambda e: (
            f"情况属实，同意延期至{e.requested_deadline.isoformat()}。请倒排工期，确保按新时限完成。"
        ),
        "lead",
    )
    rejected = pick(t(leader=liu, deadline__isnull=False), t(deadline__isnull=False))
    s.ask_extension(
        "E4",
        14,
        "09:45",
        rejected,
        6,
        asked("因施工单位人员调整，申请将完成时限由{old}延至{new}。"),
    )
    s.decide_extension(
        "E4",
        11,
        "16:20",
        False,
        lambda e: (
            "申请理由不充分：施工单位人员调整属单位内部管理问题，不构成延期理由。"
            "该任务为年度重点工作，请加大力量投入，确保尽快完成。"
        ),
        s.supervisor,
    )
    old_pending = pick(
        t(leader=li, deadline__isnull=False).exclude(primary_unit=units[HIGHWAY]),
        t(deadline__isnull=False),
    )
    s.ask_extension(
        "E2",
        9,
        "14:15",
        old_pending,
        4,
        asked(
            "项目用地预审需等待国土空间规划调整批复，预计下季度方能取得，"
            "申请将完成时限由{old}延至{new}。"
        ),
    )
    pending = pick(t(HIGHWAY, zhang, deadline__isnull=False), t(HIGHWAY, deadline__isnull=False))
    s.ask_extension(
        "E1",
        2,
        "10:30",
        pending,
        4,
        asked(
            "受今年汛期延长影响，桥梁水下基础加固需在枯水期施工，无法按原计划完成，"
            "申请将完成时限由{old}延至{new}。"
        ),
    )

    # --- appeals ---------------------------------------------------------------------------
    s.appeal(
        "A1",
        8,
        "15:00",
        [t(HIGHWAY, zhang), t(HIGHWAY), s.bureau],
        lambda task: (
            "该任务主体工程已于上月完工，因竣工验收资料尚未报送，台账进度未及时更新，"
            "实际进度与亮灯依据不符，申请复核后撤销红灯。"
        ),
    )
    s.decide_appeal(
        "A1",
        6,
        "10:40",
        False,
        lambda a: (
            "经核查，截至目前该任务尚未通过竣工验收，也未提交完工佐证材料，亮灯依据充分，"
            "维持原亮灯。请尽快报送验收资料后按程序更新进度。"
        ),
    )
    s.appeal(
        "A2",
        1,
        "16:20",
        [t(BUS), t(RURAL), s.bureau],
        lambda task: (
            "该任务逾期系初步设计审批未按期批复所致：我单位已按时报送审批材料，"
            "审批部门至今未出具批复意见，非我单位原因。申请复核亮灯，并将审批部门列为配合单位。"
        ),
    )

    s.run()
    current_round(s)
    return {
        "problems": Problem.objects.count(),
        "orders": Order.objects.count(),
        "extensions": Extension.objects.count(),
        "appeals": Appeal.objects.count(),
        "signals": Signal.objects.count(),
        "red": Task.objects.filter(shown_light__light=light_rules.RED).count(),
    }


# --- this month's round, begun: what the homes (工作台) show today ---------------------------

CURRENT_PROGRESS = (
    "本月已完成施工图审查，正在办理施工许可，累计完成年度计划投资约{p}%。",
    "已召开专题推进会，明确各节点责任人，本月完成阶段性工作，累计完成约{p}%。",
)
RETURN_COMMENT = "请补充本月完成的实物工作量和投资金额，并附现场照片。"


def current_round(s: Story) -> None:
    """The worker has opened this month's cycles (every deployed plan). The reporter (王磊) sent
    a report that the lead leader (张建国) returned for more detail, so it is pinned on his
    home; another of his unit's reports and one of another unit wait for 张建国's review; a few
    units are in and accepted; and an hour ago the supervisor urged (催报) the reporter's unit,
    whose other reports are not in. Each demo log-in's home (工作台) has something to do."""
    now = s.clock.now()
    dispatch.open_due_cycles(now)
    leader = Person.objects.filter(username="leader").first()
    highway = s.units.get(HIGHWAY)
    slots = list(
        Slot.objects.filter(cycle__status=Cycle.Status.OPEN, status=Slot.Status.PENDING)
        .select_related("task", "unit", "owner", "cycle")
        .order_by("cycle__due_at", "task__plan_id", "task__sort_key", "pk")
    )
    if leader is None or highway is None or not slots:
        return
    led = [x for x in slots if x.task.lead_leader_id == leader.pk]
    ours = [x for x in led if x.unit_id == highway.pk]
    others = [x for x in led if x.unit_id != highway.pk]
    used: set[int] = set()

    def send(slot: Slot, n: int, hm: str, k: int) -> Report:
        used.add(slot.pk)
        p = 40 + 7 * k
        text = CURRENT_PROGRESS[k % len(CURRENT_PROGRESS)].format(p=p)
        return _report(slot, s.clock.at(n, hm), text, "按计划推进下一阶段工作。", p)

    if ours:  # returned by the lead leader: pinned on the reporter's home
        report = send(ours[0], 2, "15:20", 0)
        dispatch.review_report(
            report, actor=leader, accept=False, comment=RETURN_COMMENT, now=s.clock.at(1, "10:05")
        )
    for k, slot in enumerate([*ours[1:2], *others[:1]], start=1):  # waiting for his review
        send(slot, 1, "16:40", k)
    # A few other units are in, accepted by the supervision office.
    in_units: set[int] = {highway.pk}
    for slot in slots:
        if len(in_units) > 4:
            break
        if slot.pk in used or slot.unit_id in in_units or slot.task.lead_leader_id == leader.pk:
            continue
        in_units.add(slot.unit_id)
        report = send(slot, 1, "11:30", len(in_units))
        dispatch.review_report(report, actor=s.supervisor, accept=True, now=s.clock.at(1, "17:10"))
    # 催报: the reporter's unit still owes reports in the first of its open cycles.
    mine = [x for x in slots if x.unit_id == highway.pk and x.pk not in used]
    if mine:
        desk.urge_unit(mine[0].cycle, highway, actor=s.supervisor, now=now - dt.timedelta(hours=1))
