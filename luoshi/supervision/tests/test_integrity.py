"""The integrity scan: each kind of signal is found from the rows (a repeated report, a jump to
100% at the deadline without evidence, green until the day it went red), a rescan adds
nothing, the query count does not grow with the number of reports, and only supervisors,
administrators and the system actor scan."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope
from luoshi.core.models import AuditRecord
from luoshi.dispatch.models import Attachment, Cycle, Report, Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.supervision.models import LightChange, Signal
from luoshi.supervision.services.integrity import scan_signals

D = dt.date
TODAY = D(2026, 7, 10)

PROGRESS = "本月完成了道路改造工程的招标工作，施工单位已进场，正在进行路基施工，进展顺利。"
NEXT = "下月继续推进路基施工，同步开展管网迁改。"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def report(
    task,
    unit,
    due: dt.date,
    *,
    progress=PROGRESS,
    next_steps=NEXT,
    percent=None,
    submitted: dt.date | None = None,
    status="accepted",
) -> Report:
    """A report of one cycle, as the rows stand after it was submitted (and reviewed)."""
    schedule, _ = Schedule.objects.get_or_create(plan=task.plan, task=None)
    cycle, _ = Cycle.objects.get_or_create(
        schedule=schedule,
        due_at=at(due, 17),
        defaults={
            "plan": task.plan,
            "period_start": due - dt.timedelta(days=27),
            "closes_at": at(due + dt.timedelta(days=7), 17),
        },
    )
    slot = Slot.objects.create(
        cycle=cycle,
        task=task,
        unit=unit,
        due_at=cycle.due_at,
        status=status,
        submitted_at=at(submitted or due),
    )
    return Report.objects.create(
        slot=slot, progress=progress, next_steps=next_steps, percent=percent
    )


@pytest.fixture
def world(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="形式主义", year=2026, owner_unit=orgtree.office)

    def task(title, unit, **kw):
        return ledger.create_task(plan, actor=actor, title=title, responsible_units=[unit], **kw)

    return {
        "o": orgtree,
        "copy": task("照抄任务", orgtree.a1, deadline=D(2026, 12, 31)),
        "fresh": task("如实任务", orgtree.a1, deadline=D(2026, 12, 31)),
        "jump": task("突击完成", orgtree.b1, deadline=D(2026, 6, 30)),
        "proof": task("有据完成", orgtree.b1, deadline=D(2026, 6, 30)),
        "steady": task("稳步完成", orgtree.b1, deadline=D(2026, 6, 30)),
    }


def fill(world):
    o = world["o"]
    # Copied: May's report again in June (re-punctuated), and again in July.
    report(world["copy"], o.a1, D(2026, 5, 25), percent=30)
    june = report(
        world["copy"],
        o.a1,
        D(2026, 6, 25),
        percent=30,
        progress=PROGRESS.replace("，", "；"),
    )
    july = report(world["copy"], o.a1, D(2026, 7, 3), percent=35, next_steps=NEXT + "。")
    # Honest: a new text every month.
    report(world["fresh"], o.a1, D(2026, 5, 25), percent=30)
    report(
        world["fresh"],
        o.a1,
        D(2026, 6, 25),
        percent=60,
        progress="路基施工完成过半，完成管网迁改1.2公里，协调解决了临时用地问题。",
        next_steps="启动路面摊铺。",
    )
    # 40% in May, 100% two working days before the deadline, nothing attached.
    report(
        world["jump"],
        o.b1,
        D(2026, 5, 25),
        percent=40,
        progress="推进中，完成四成。",
        next_steps="",
    )
    jumped = report(
        world["jump"],
        o.b1,
        D(2026, 6, 25),
        percent=100,
        submitted=D(2026, 6, 26),
        progress="已全部完成。",
        next_steps="",
    )
    # The same jump with a photo attached: evidence, no signal.
    report(world["proof"], o.b1, D(2026, 5, 25), percent=40, progress="推进中。", next_steps="")
    proved = report(
        world["proof"],
        o.b1,
        D(2026, 6, 25),
        percent=100,
        submitted=D(2026, 6, 26),
        progress="已完成。",
        next_steps="",
    )
    Attachment.objects.create(
        report=proved, name="验收.jpg", stored_as="x.jpg", content_type="image/jpeg", size=1
    )
    # 85% then 100%: a steady finish.
    report(world["steady"], o.b1, D(2026, 5, 25), percent=85, progress="基本完成。", next_steps="")
    report(
        world["steady"],
        o.b1,
        D(2026, 6, 25),
        percent=100,
        submitted=D(2026, 6, 29),
        progress="已完成。",
        next_steps="",
    )
    # Green until 2 July, then red; another task went yellow first (warned in time).
    LightChange.objects.create(task=world["jump"], on=D(2026, 5, 1), was=None, now="green")
    LightChange.objects.create(
        task=world["jump"],
        on=D(2026, 7, 2),
        was="green",
        now="red",
        reasons=[{"code": "deadline_overdue", "text": "逾期2个工作日未完成（完成时限2026-06-30）"}],
    )
    LightChange.objects.create(task=world["fresh"], on=D(2026, 6, 1), was="green", now="yellow")
    LightChange.objects.create(task=world["fresh"], on=D(2026, 7, 1), was="yellow", now="red")
    return {"june": june, "july": july, "jumped": jumped, "proved": proved}


def test_the_scan_finds_each_kind(world):
    made = fill(world)
    result = scan_signals(actor=system_actor(), today=TODAY)
    assert (result["repeated_text"], result["jump_to_done"], result["warned_late"]) == (2, 1, 1)
    assert result["added"] == 4 and result["since"] == "2026-05-31"

    repeated = {s.report_id: s for s in Signal.objects.filter(kind="repeated_text")}
    assert set(repeated) == {made["june"].pk, made["july"].pk}
    june = repeated[made["june"].pk]
    assert june.key == f"report:{made['june'].pk}"
    assert june.detail["similarity"] == 1.0
    assert (
        june.detail["previous_report"]
        == Report.objects.get(slot__task=world["copy"], slot__due_at=at(D(2026, 5, 25), 17)).pk
    )
    assert (june.task, june.unit, june.on) == (world["copy"], world["o"].a1, D(2026, 6, 25))
    assert "100%" in june.text
    assert repeated[made["july"].pk].detail["previous_report"] == made["june"].pk

    [jump] = Signal.objects.filter(kind="jump_to_done")
    assert (jump.report_id, jump.unit, jump.on) == (
        made["jumped"].pk,
        world["o"].b1,
        D(2026, 6, 26),
    )
    assert jump.detail["previous_percent"] == 40 and jump.detail["working_days_before"] == 2
    assert "40%" in jump.text and "2026-06-30" in jump.text

    [late] = Signal.objects.filter(kind="warned_late")
    assert (late.task, late.key, late.on) == (
        world["jump"],
        f"task:{world['jump'].pk}:2026-07-02",
        D(2026, 7, 2),
    )
    assert late.unit == world["o"].b1 and "逾期2个工作日" in late.text

    record = AuditRecord.objects.get(object_type="supervision.signals", action="scan")
    assert record.changes["added"][1] == {"repeated_text": 2, "jump_to_done": 1, "warned_late": 1}
    assert record.context["today"] == "2026-07-10"


def test_the_texts_are_written_in_the_site_language(world, monkeypatch):
    """Whatever language the scanning request or job runs in, the stored texts are rendered in
    settings.LANGUAGE_CODE (Chinese): gettext is called under it."""
    from django.utils import translation

    from luoshi.supervision.services import integrity

    def tagged(message):
        return f"[{translation.get_language()}]{message}"

    def tagged_plural(singular, plural, n):
        return tagged(singular if n == 1 else plural)

    monkeypatch.setattr(integrity, "_", tagged)
    monkeypatch.setattr(integrity, "ngettext", tagged_plural)
    fill(world)
    with translation.override("en"):
        scan_signals(actor=system_actor(), today=TODAY)
    texts = list(Signal.objects.values_list("text", flat=True))
    assert len(texts) == 4 and all(t.startswith("[zh-hans]") for t in texts), texts


def test_a_rescan_adds_nothing(world):
    fill(world)
    scan_signals(actor=system_actor(), today=TODAY)
    before = list(Signal.objects.order_by("pk").values_list("pk", "kind", "key"))
    again = scan_signals(actor=system_actor(), today=TODAY)
    assert again["added"] == 0 and again["found"] == 4
    assert list(Signal.objects.order_by("pk").values_list("pk", "kind", "key")) == before
    assert AuditRecord.objects.filter(object_type="supervision.signals").count() == 2


def test_since_bounds_the_reports_and_changes_looked_at(world):
    fill(world)
    result = scan_signals(actor=system_actor(), today=TODAY, since=D(2026, 7, 1))
    # Only July's copy and the 2 July change are in the window.
    assert (result["repeated_text"], result["jump_to_done"], result["warned_late"]) == (1, 0, 1)
    # A day before any of it: nothing.
    assert scan_signals(actor=system_actor(), today=D(2026, 5, 20))["added"] == 0


def test_reports_not_submitted_or_returned_are_not_compared(world):
    o = world["o"]
    report(world["copy"], o.a1, D(2026, 5, 25))
    report(world["copy"], o.a1, D(2026, 6, 25), status="returned")
    report(world["copy"], o.a1, D(2026, 6, 26), status="draft")
    assert scan_signals(actor=system_actor(), today=TODAY)["added"] == 0


def test_the_first_report_and_other_units_are_not_paired(world):
    o = world["o"]
    # Two units of one task write the same text: not a repeat of one's own previous report.
    task = world["copy"]
    ledger.update_task(
        task, actor=system_actor(), version=task.version, responsible_units=[o.a1, o.b1]
    )
    report(task, o.a1, D(2026, 6, 25))
    report(task, o.b1, D(2026, 6, 25))
    report(world["jump"], o.b1, D(2026, 6, 25), percent=100, submitted=D(2026, 6, 29))
    assert scan_signals(actor=system_actor(), today=TODAY)["added"] == 0


def test_the_query_count_does_not_grow_with_the_reports(world):
    o = world["o"]

    def many(n, start):
        for i in range(n):
            t = ledger.create_task(
                world["copy"].plan,
                actor=system_actor(),
                title=f"批量{start + i}",
                responsible_units=[o.a1],
                deadline=D(2026, 6, 30),
            )
            report(t, o.a1, D(2026, 5, 25), percent=10)
            report(t, o.a1, D(2026, 6, 25), percent=100)  # repeated and jumped
            LightChange.objects.create(task=t, on=D(2026, 7, 1), was="green", now="red")

    many(3, 0)
    with CaptureQueriesContext(connection) as small:
        first = scan_signals(actor=system_actor(), today=TODAY)
    many(30, 100)
    with CaptureQueriesContext(connection) as large:
        second = scan_signals(actor=system_actor(), today=TODAY)
    assert first["added"] == 9 and second["added"] == 90
    assert len(large) == len(small) <= 14, [q["sql"][:80] for q in large]


@pytest.mark.parametrize("who", ["reporter_a", "leader_a", "unitadmin_a"])
def test_only_supervisors_scan(world, who):
    fill(world)
    with pytest.raises(OutOfScope):
        scan_signals(actor=getattr(world["o"], who), today=TODAY)
    assert not Signal.objects.exists()
    assert scan_signals(actor=world["o"].supervisor, today=TODAY)["added"] == 4
