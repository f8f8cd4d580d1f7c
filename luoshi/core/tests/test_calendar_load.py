"""Loading the State Council's notice into the calendar: service, command and admin page."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from luoshi.core import audit
from luoshi.core.actors import system_actor
from luoshi.core.arrangement import NoticeError, parse_notice
from luoshi.core.calendar import current_calendar, load_arrangement
from luoshi.core.models import AuditRecord, CalendarDay, CalendarYear
from luoshi.core.tests.test_calendar_notice import NOTICE_2026, NOTICE_2027, days_of
from luoshi.core.workdays import WorkCalendar

D = dt.date

pytestmark = pytest.mark.django_db

# The 2027 fixture corrected: 春节 shortened to Feb 6-12 with other make-up days (still invented).
NOTICE_2027_CORRECTED = NOTICE_2027.replace(
    "二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。"
    "1月31日（周日）、2月20日（周六）上班。",
    "二、春节：2月6日（农历正月初一、周六）至12日（农历正月初七、周五）放假调休，共7天。"
    "2月20日（周六）、2月21日（周日）上班。",
)
# TEST FIXTURE — invented: a 2028 notice whose 元旦 starts on New Year's Eve 2027.
NOTICE_2028 = "国务院办公厅关于2028年部分节假日安排的通知\n" + (
    "一、元旦：12月31日（周五）至1月2日（周日）放假，共3天。"
)


def rows(year=None):
    qs = CalendarDay.objects.order_by("date")
    if year:
        qs = qs.filter(date__year=year)
    return [(r.date, r.is_working_day, r.note) for r in qs]


def calendar_records(year):
    return list(AuditRecord.objects.filter(object_type="core.calendar", object_id=str(year)))


def test_loading_2026_writes_the_year_and_agrees_with_the_package(orgtree):
    plan = load_arrangement(NOTICE_2026, actor=orgtree.admin)
    assert plan.changed and plan.confirms
    assert len(rows(2026)) == 33 + 6
    assert (D(2026, 2, 15), False, "春节") in rows(2026)
    assert (D(2026, 2, 14), True, "春节调休") in rows(2026)
    year = CalendarYear.objects.get(year=2026)
    assert year.source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
    (rec,) = calendar_records(2026)
    assert (rec.action, rec.object_repr, rec.actor_id) == (
        "create",
        "2026年部分节假日安排",
        orgtree.admin.pk,
    )
    assert rec.changes["2026-02-14"] == [None, "workday 春节调休"]
    assert rec.changes["confirmed"] == [False, True]
    assert audit.verify_chain()[0]
    loaded, package = current_calendar(), WorkCalendar()
    assert all(loaded.is_working_day(d) == package.is_working_day(d) for d in days_of(2026))
    assert loaded.describe(D(2026, 2, 28)) == "make-up workday: 春节调休"


def test_loading_2027_confirms_it():
    before = current_calendar()
    assert before.is_provisional(D(2027, 5, 4)) and not before.is_working_day(D(2027, 5, 4))
    load_arrangement(parse_notice(NOTICE_2027), source="测试", actor=system_actor())
    cal = current_calendar()
    assert not cal.is_provisional(D(2027, 5, 4))
    assert cal.is_working_day(D(2027, 5, 4))  # the package's guess is gone
    assert cal.is_working_day(D(2027, 1, 31))  # a make-up Sunday from the notice
    assert cal.describe(D(2027, 2, 5)) == "holiday: 春节"
    assert cal.working_days_between(D(2027, 2, 4), D(2027, 2, 15)) == 1
    assert CalendarYear.objects.get(year=2027).source == "测试"


def test_reloading_the_same_notice_changes_nothing():
    load_arrangement(NOTICE_2027, actor=system_actor())
    ids = list(
        CalendarDay.objects.order_by("date").values_list("id", "date", "is_working_day", "note")
    )
    n_audit = AuditRecord.objects.count()
    again = load_arrangement(NOTICE_2027, actor=system_actor())
    assert not again.changed and again.lines() == [] and again.unchanged == len(ids)
    assert (
        list(
            CalendarDay.objects.order_by("date").values_list("id", "date", "is_working_day", "note")
        )
        == ids
    )
    assert AuditRecord.objects.count() == n_audit
    # Parsed or text, same result.
    assert not load_arrangement(parse_notice(NOTICE_2027), actor=system_actor()).changed


def test_a_corrected_notice_replaces_the_years_rows():
    load_arrangement(NOTICE_2027, actor=system_actor())
    # A hand-made override in 2027 and the 2028 notice's New Year's Eve row.
    CalendarDay.objects.create(date=D(2027, 3, 8), is_working_day=False, note="本地")
    load_arrangement(NOTICE_2028, actor=system_actor())
    assert (D(2027, 12, 31), False, "元旦") in rows(2027)
    assert current_calendar().describe(D(2027, 12, 31)) == "holiday: 元旦"

    plan = load_arrangement(NOTICE_2027_CORRECTED, actor=system_actor())
    assert plan.changed and not plan.confirms
    assert set(plan.delete) == {D(2027, 1, 31), D(2027, 2, 5), D(2027, 2, 13), D(2027, 3, 8)}
    assert set(plan.create) == {D(2027, 2, 21)}
    assert plan.update == {}
    got = rows(2027)
    assert (D(2027, 2, 5), False, "春节") not in got
    assert (D(2027, 2, 21), True, "春节调休") in got
    assert (D(2027, 12, 31), False, "元旦") in got  # the 2028 notice's row stays
    assert len(got) == len(parse_notice(NOTICE_2027_CORRECTED).dates()) + 1
    rec = calendar_records(2027)[-1]
    assert rec.action == "update"
    assert rec.changes["2027-02-05"] == ["holiday 春节", None]
    assert rec.changes["2027-03-08"] == ["holiday 本地", None]
    assert rec.changes["2027-02-21"] == [None, "workday 春节调休"]
    cal = current_calendar()
    assert cal.is_working_day(D(2027, 2, 5)) and cal.is_working_day(D(2027, 2, 21))
    # And back again.
    plan = load_arrangement(NOTICE_2027, actor=system_actor())
    assert set(plan.create) == {D(2027, 1, 31), D(2027, 2, 5), D(2027, 2, 13)}
    assert set(plan.delete) == {D(2027, 2, 21)}


def test_a_notice_owns_its_december_rows():
    # A 2028 notice corrected so 元旦 no longer starts in 2027: its 2027 row goes.
    load_arrangement(NOTICE_2028, actor=system_actor())
    plan = load_arrangement(
        "国务院办公厅关于2028年部分节假日安排的通知\n一、元旦：1月1日（周六）至2日（周日）放假，共2天。",
        actor=system_actor(),
    )
    assert set(plan.delete) == {D(2027, 12, 31)}
    assert rows(2027) == []


def test_dry_run_and_bad_input_write_nothing():
    plan = load_arrangement(NOTICE_2027, dry_run=True, actor=system_actor())
    assert len(plan.create) == 27 + 4 and plan.confirms
    with pytest.raises(NoticeError, match="line 3"):
        load_arrangement(
            NOTICE_2027.replace("1月1日（周五）", "1月1日（周六）"), actor=system_actor()
        )
    with pytest.raises(ValueError, match="for 2027, but year 2026"):
        load_arrangement(parse_notice(NOTICE_2027), year=2026, actor=system_actor())
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()
    assert not AuditRecord.objects.exists()


# --- the command ---------------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("import_calendar", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_writes_nothing(tmp_path):
    f = tmp_path / "2027.txt"
    f.write_text(NOTICE_2027, encoding="utf-8")
    out = run(str(f), "--dry-run")
    assert "春节: off 2027-02-05（周五） – 2027-02-13（周六）, 9 days" in out
    assert "+ 2027-01-31 workday 春节调休" in out
    assert "dry run, nothing written: 31 to add" in out
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()
    assert not AuditRecord.objects.exists()


def test_command_loads_and_reloads(tmp_path):
    f = tmp_path / "2026.txt"
    f.write_bytes(NOTICE_2026.encode("gb18030"))  # as saved by Windows tools
    out = run(str(f))
    assert "loaded 2026: 39 to add" in out
    assert len(rows(2026)) == 39
    assert "nothing changed" in run(str(f))
    assert len(calendar_records(2026)) == 1


def test_command_year_and_errors(tmp_path):
    f = tmp_path / "items.txt"
    f.write_text("二、春节：2月15日（周日）至23日（周一）放假调休，共9天。", encoding="utf-8")
    with pytest.raises(CommandError, match="no year"):
        run(str(f))
    run(str(f), "--year", "2026")
    assert CalendarYear.objects.filter(year=2026).exists()
    f.write_text("2026年部分节假日安排\n二、春节：2月15日（周一）至23日放假。", encoding="utf-8")
    with pytest.raises(CommandError, match=r'line 2 "二、春节.*2026-02-15 is a 周日, not 周一'):
        run(str(f))
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.txt"))


# --- the admin page ------------------------------------------------------------------------


def test_admin_preview_then_load(admin_client):
    url = reverse("admin:core_calendaryear_load")
    assert url in admin_client.get(reverse("admin:core_calendaryear_changelist")).content.decode()
    assert admin_client.get(url).status_code == 200

    page = admin_client.post(url, {"text": NOTICE_2027, "_preview": "1"}).content.decode()
    assert "2027-02-05（周五） – 2027-02-13（周六）" in page
    assert "+ 2027-01-31 workday 春节调休" in page
    assert not CalendarDay.objects.exists()

    resp = admin_client.post(url, {"text": NOTICE_2027, "_load": "1"})
    assert resp.status_code == 302
    assert len(rows(2027)) == 31 and CalendarYear.objects.filter(year=2027).exists()
    (rec,) = calendar_records(2027)
    assert rec.actor_name

    page = admin_client.post(url, {"text": NOTICE_2027, "_preview": "1"}).content.decode()
    assert '<p id="notice-changes">' in page and '<pre id="notice-changes">' not in page


def test_admin_shows_the_bad_line(admin_client):
    url = reverse("admin:core_calendaryear_load")
    bad = NOTICE_2027.replace("10月1日（周五）", "10月1日（周四）")
    page = admin_client.post(url, {"text": bad, "_load": "1"}).content.decode()
    assert "line 9" in page and "2027-10-01 is a 周五, not 周四" in page
    assert not CalendarDay.objects.exists()


def test_admin_requires_calendar_permissions(login, orgtree):
    client = login(orgtree.reporter_a)
    resp = client.get(reverse("admin:core_calendaryear_load"))
    assert resp.status_code in (302, 403)
    assert not CalendarDay.objects.exists()


def test_admin_hand_edits_are_audited(admin_client):
    resp = admin_client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2027-03-08", "is_working_day": "", "note": "本地"},
    )
    assert resp.status_code == 302
    day = CalendarDay.objects.get()
    (rec,) = AuditRecord.objects.filter(object_type="core.calendarday")
    assert rec.action == "create" and rec.changes["note"] == [None, "本地"]
    admin_client.post(reverse("admin:core_calendarday_delete", args=[day.pk]), {"post": "yes"})
    assert not CalendarDay.objects.exists()
    assert AuditRecord.objects.filter(object_type="core.calendarday", action="delete").count() == 1


def test_administrators_are_told_to_load_a_missing_year(orgtree, client, settings):
    import datetime as dt
    from unittest import mock

    from luoshi.core.models import CalendarYear

    orgtree.admin.is_staff = True
    orgtree.admin.save(update_fields=["is_staff"])
    client.force_login(orgtree.admin)
    with mock.patch("django.utils.timezone.localdate", return_value=dt.date(2026, 11, 25)):
        body = client.get("/plans/").content.decode()
        assert 'id="calendar-notice"' in body and "2027" in body
        CalendarYear.objects.create(year=2027, source="test")
        assert 'id="calendar-notice"' not in client.get("/plans/").content.decode()
    client.force_login(orgtree.reporter_a)  # not an administrator: no banner
    assert 'id="calendar-notice"' not in client.get("/plans/").content.decode()
