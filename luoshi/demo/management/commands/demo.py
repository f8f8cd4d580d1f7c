import datetime as dt
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from luoshi.assessment import rules as assessment_rules
from luoshi.assessment import services as assessment
from luoshi.core.actors import system_actor
from luoshi.demo import city, story, workbooks
from luoshi.ledger import services
from luoshi.ledger.importer.service import ImportFailed, Options, run
from luoshi.ledger.models import Assignment, Plan
from luoshi.org.models import Person, Role, RoleGrant, Unit, UnitKind


class Command(BaseCommand):
    help = (
        "Load the demo city: ~120 units, people in every role, three plans, and a few months "
        "of supervision (reports, problems, orders, extension requests, appeals, signals)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="also import a generated ledger of N tasks (benchmarks)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the log-ins) when units already exist",
        )
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="tell the months of supervision as of this day, YYYY-MM-DD (default: today; "
            "tests pin it so the story does not move with the calendar)",
        )

    def handle(self, *args, seed, scale, if_empty, quiet, today=None, **o):
        rng = random.Random(seed)
        if Unit.objects.exists():
            if if_empty:
                self._logins()
                return
        else:
            self._load(rng, seed, today or timezone.localdate())
        if scale:
            self.load_scale(rng, scale)
        if not quiet:
            self._logins()

    @transaction.atomic
    def _load(self, rng, seed, today):
        actor = system_actor()
        units = city.build_city(rng, actor=actor)
        # Plan 1: the bureau's 151-task ledger, as a workbook through the real importer.
        data = workbooks.bureau_ledger(rng)
        opts = Options(
            plan_name="2026年市交通运输局重点工作任务台账",
            year=2026,
            owner_unit=units[city.TRANSPORT],
        )
        try:
            report = run(data, opts, actor=actor, commit=True)
        except ImportFailed as exc:
            for e in exc.report.errors[:20]:
                self.stderr.write(f"row {e['row']} {e['column']}: {e['reason']}")
            raise
        plan = Plan.objects.get(name=opts.plan_name, year=2026)
        self.stdout.write(f"bureau ledger: {report.rows} tasks in {report.categories} categories")
        # Plans 2 and 3: the city's key work and a hundred-day campaign, entered as tasks. The
        # key work's last two report cycles are replayed while it is the only deployed plan
        # (opening a past cycle opens it for every deployed plan); the bureau deploys after.
        key_work = self._city_plan(rng, units, actor)
        # Its own generator: the ledgers stay what they were for a seed whatever the story does.
        story_rng = random.Random(seed * 31 + 7)
        supervisor = Person.objects.get(username="supervisor")
        history = story.report_history(key_work, today=today, rng=story_rng, reviewer=supervisor)
        services.deploy_plan(plan, actor=actor)
        pending = list(
            Assignment.objects.filter(task__plan=plan, ack="pending")
            .select_related("task", "unit")
            .order_by("id")
        )
        services.acknowledge(pending[: len(pending) * 2 // 3], actor=actor)
        education = self._education_plan(units, actor)
        counts = story.supervision(
            today=today, units=units, bureau=plan, key_work=key_work, history=history
        )
        self.stdout.write(
            "supervision: {problems} problems, {orders} orders, {extensions} extension requests, "
            "{appeals} appeals, {signals} integrity signals, {red} red lights".format(**counts)
        )
        # Deployed after the story: its months of cycles belong to the plans deployed then.
        services.deploy_plan(education, actor=actor)
        self._assessments(key_work, today, supervisor)
        self._bulletins(key_work, today, supervisor)

    def _education_plan(self, units, actor):
        """Plan 4: the education bureau's list with targets and actuals (the roll-up's seed
        figures), through the importer; deployed by the caller."""
        opts = Options(
            plan_name="2026年市教育局为民办实事项目清单",
            year=2026,
            owner_unit=Unit.objects.get(name="市教育局"),
        )
        owners = {
            g.unit.name: g.person.display_name
            for g in RoleGrant.objects.filter(role=Role.REPORTER, unit__name__in=city.DISTRICTS)
            .select_related("unit", "person")
            .order_by("-pk")
        }
        report = run(workbooks.education_ledger(owners), opts, actor=actor, commit=True)
        self.stdout.write(f"education list: {report.rows} tasks with targets and actuals")
        return Plan.objects.get(name=opts.plan_name, year=2026)

    def _assessments(self, key_work, today, supervisor):
        """The key work assessed: last month locked, this month a draft."""
        period = f"{today.year:04d}-{today.month:02d}"
        before = assessment_rules.previous_period(period)
        last = assessment.compute(key_work, before, actor=supervisor, today=today)
        assessment.lock(last, actor=supervisor)
        assessment.compute(key_work, period, actor=supervisor, today=today)
        self.stdout.write(f"assessment: {before} locked, {period} draft")

    def _bulletins(self, key_work, today, supervisor):
        """The key work's bulletin of last month, approved by the vice-mayor and published with
        its files, and this month's draft."""
        from luoshi.bulletins import documents
        from luoshi.bulletins import services as bulletins

        leader = (
            Person.objects.filter(grants__role=Role.LEADER, grants__unit__parent=None)
            .order_by("pk")
            .first()
        ) or system_actor()
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        b = bulletins.draft(actor=supervisor, plan=key_work, today=last_month_end)
        b = bulletins.edit(b, actor=supervisor, version=b.version, prefix="济督")
        b = bulletins.approve(b, actor=leader, version=b.version)
        try:
            b = bulletins.publish(b, actor=supervisor, version=b.version)
        except documents.DocumentError as exc:  # no LibreOffice here: the .docx only
            self.stderr.write(f"bulletin PDF skipped: {exc}")
            b = bulletins.publish(b, actor=supervisor, version=b.version, pdf=False)
        bulletins.draft(actor=supervisor, plan=key_work, today=today)
        self.stdout.write(f"bulletins: {b.number} published, this month's drafted")

    @transaction.atomic
    def _city_plan(self, rng, units, actor):
        office = units[city.SUPERVISION_OFFICE]
        bureaus = [u for u in units.values() if u.kind == UnitKind.BUREAU and u.depth == 1]
        districts = [u for u in units.values() if u.kind == UnitKind.DISTRICT]
        plan = services.create_plan(
            actor=actor,
            name="2026年市政府重点工作",
            year=2026,
            owner_unit=office,
            frequency="monthly",
        )
        campaign = services.create_plan(
            actor=actor,
            name="2026年城市更新百日攻坚行动",
            year=2026,
            owner_unit=office,
            frequency="weekly",
        )
        cats = [
            services.create_category(plan, actor=actor, name=n)
            for n in ["项目建设", "民生实事", "改革攻坚", "生态环保"]
        ]
        leaders = list(Person.objects.filter(grants__role="leader").distinct())
        start = dt.date(2026, 1, 1)
        for i in range(40):
            unit = rng.choice(bureaus + districts)
            deadline = start + dt.timedelta(days=rng.randint(60, 360))
            services.create_task(
                plan,
                actor=actor,
                category=cats[i % 4],
                title=f"市政府重点工作第{i + 1}项",
                content="按年度目标推进",
                responsible_units=[unit],
                cooperating_units=[rng.choice(bureaus)],
                lead_leader=rng.choice(leaders),
                owner=unit.people.first(),
                start_date=start,
                deadline=deadline,
                key_task=i % 3 == 0,
                target=rng.choice([None, 10, 50]),
                measure="个",
            )
        for i in range(20):
            unit = rng.choice(districts)
            services.create_task(
                campaign,
                actor=actor,
                title=f"老旧小区改造攻坚任务{i + 1}",
                responsible_units=[unit],
                owner=unit.people.first(),
                start_date=dt.date(2026, 9, 1),
                deadline=dt.date(2026, 12, 10),
                key_task=True,
            )
        services.deploy_plan(plan, actor=actor)
        return plan

    def load_scale(self, rng, n):
        names = list(Unit.objects.filter(depth__gte=1).values_list("name", flat=True))
        counts = {}
        for name in Person.objects.values_list("full_name", flat=True):
            counts[name] = counts.get(name, 0) + 1
        unique = [n for n, c in counts.items() if c == 1]
        data = workbooks.scale_ledger(rng, n, names, unique, ["张建国(副局长)", "李红梅(副局长)"])
        owner = Unit.objects.get(name=city.SUPERVISION_OFFICE)
        report = run(
            data,
            Options(plan_name=f"规模测试台账{n}", year=2026, owner_unit=owner),
            actor=system_actor(),
            commit=True,
        )
        self.stdout.write(f"scale ledger: {report.rows} tasks")

    def _logins(self):
        self.stdout.write("\nLuoshi demo city is loaded. Open http://127.0.0.1:8000 and log in:")
        for username, name, title, unit, role in city.LOGINS:
            self.stdout.write(
                f"  {role.label:<22} {username:<11} / {city.DEMO_PASSWORD}"
                f"   ({name}, {title}, {unit})"
            )
            if username in story.WAITING:
                self.stdout.write(f"  {'':<22} {'':<11}   waiting: {story.WAITING[username]}")
