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
from luoshi.supervision.services import recompute_pending


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
        self._evaluation(key_work, today, supervisor)
        self._practices(key_work, plan, supervisor)
        # Lights follow a commit, as of the real today; the story's changes are lit as of its
        # own day here, inside the load's transaction, so nothing is left for the commit.
        recompute_pending(today=today)

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

    def _evaluation(self, key_work, today, supervisor):
        """Acceptance and evaluation as the city has them: one completion awaiting its lead
        leader's acceptance, one accepted, evaluated and its source answered (the answer
        awaiting acknowledgement), and two earlier results re-checked: one holds, one regressed
        and its rectification task is back in the ledger."""
        from luoshi.evaluation import services as evaluation
        from luoshi.evaluation.models import Recheck
        from luoshi.ledger.models import Task

        open_tasks = (
            Task.objects.filter(
                plan=key_work,
                status__in=("not_started", "in_progress"),
                owner__isnull=False,
                lead_leader__isnull=False,
                subtasks__isnull=True,
            )
            .select_related("plan", "owner", "lead_leader")
            .order_by("sort_key")
        )
        waiting, accepted = list(open_tasks[:2])
        evaluation.submit_completion(
            waiting,
            actor=waiting.owner,
            completed_on=today,
            summary="已全部完成，现场照片及验收报告附后。",
        )
        c = evaluation.submit_completion(
            accepted,
            actor=accepted.owner,
            completed_on=today,
            summary="按期完成全部建设内容，已通过联合验收。",
        )
        evaluation.decide_completion(
            c, actor=accepted.lead_leader, version=c.version, accept=True, comment="验收合格"
        )
        accepted.refresh_from_db()
        evaluation.evaluate(
            accepted,
            actor=supervisor,
            quality="excellent",
            effect="群众反映良好，相关投诉下降四成。",
        )
        if evaluation.rules.needs_answer(accepted.source_kind):
            evaluation.send_answer(
                accepted,
                actor=supervisor,
                issuer=accepted.lead_leader,
                outcome="任务已按期完成并通过验收，群众反映良好。",
            )
        # The key tasks completed earlier are evaluated, all but the latest two (the check and
        # the worklist show those).
        done_key = list(
            Task.objects.filter(plan=key_work, status="done", key_task=True, evaluation=None)
            .select_related("plan")
            .order_by("completed_on", "sort_key")
        )
        for i, task in enumerate(done_key[:-2]):
            evaluation.evaluate(
                task,
                actor=supervisor,
                quality=("excellent", "good", "good", "fair")[i % 4],
                effect="按期完成既定目标，群众满意度较高。",
            )
        held, regressed = (
            Recheck.objects.filter(task__plan=key_work, status="due", round=1)
            .select_related("task")
            .order_by("task__sort_key")[:2]
        )
        evaluation.record_recheck(
            held, actor=supervisor, version=held.version, held=True, findings="成果保持良好。"
        )
        evaluation.record_recheck(
            regressed,
            actor=supervisor,
            version=regressed.version,
            held=False,
            findings="部分点位出现反弹，需限期整改。",
            deadline=today + dt.timedelta(days=30),
        )
        self.stdout.write("evaluation: 1 completion awaiting acceptance, 1 accepted, 2 re-checks")

    def _practices(self, key_work, bureau, supervisor):
        """The experience library: four practices and mechanisms, three learned from tasks (the
        task page offers them to similar tasks)."""
        from luoshi.consolidation import services as consolidation
        from luoshi.ledger.models import Task

        def first(plan, word=""):
            tasks = Task.objects.filter(title__contains=word, primary_unit__isnull=False)
            return (
                (tasks if plan is None else tasks.filter(plan=plan))
                .select_related("primary_unit")
                .order_by("sort_key")
                .first()
            )

        rows = [
            (
                first(None, "老旧小区"),  # the hundred-day campaign's
                "practice",
                "老旧小区改造“居民议事会”做法",
                "改造前逐楼召开居民议事会，方案公示七天，施工期间每周通报进度，居民代表参与验收。",
                "投诉量下降六成，居民签字同意率98%",
                ["老旧小区", "基层治理"],
            ),
            (
                first(key_work),
                "mechanism",
                "重点工作周调度、月通报机制",
                "每周五收集进展，督查室汇总亮灯；每月初印发通报，点名滞后单位并限期整改。",
                "连续三个月无逾期未报",
                ["调度", "通报"],
            ),
            (
                first(bureau),
                "practice",
                "推行网格化道路巡查",
                "把城区道路划成网格，每格配一名巡查员，问题当天发现当天处置，台账销号管理。",
                "道路病害平均处置时间由5天缩短到1天",
                ["网格化", "交通"],
            ),
            (
                None,
                "mechanism",
                "督办件限时办结闭环机制",
                "督办单明确办结时限，到期前两个工作日提醒，逾期自动升级，办结后回头看。",
                "督办件按期办结率100%",
                ["督办", "闭环"],
            ),
        ]
        made = 0
        for task, kind, title, what, result, tags in rows:
            unit = task.primary_unit if task else key_work.owner_unit
            consolidation.record_practice(
                actor=supervisor,
                kind=kind,
                title=title,
                what=what,
                result=result,
                unit=unit,
                task=task,
                tags=tags,
            )
            made += 1
        self.stdout.write(f"experience library: {made} practices")

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
