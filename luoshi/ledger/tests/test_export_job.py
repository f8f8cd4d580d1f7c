"""An export too large to answer at once: offered, queued as a job, its progress polled, and
the workbook downloaded by the person who asked for it and nobody else."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import exporter, services
from luoshi.ledger.models import ExportJob


@pytest.fixture
def plan(orgtree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.LUOSHI_EXPORT_INLINE_MAX_ROWS = 2
    actor = system_actor()
    plan = services.create_plan(actor=actor, name="2026年大台账", year=2026, owner_unit=orgtree.a)
    for i in range(1, 4):
        services.create_task(
            plan, actor=actor, no=str(i), title=f"甲局任务{i}", responsible_units=[orgtree.a1]
        )
    services.deploy_plan(plan, actor=actor)
    return plan


def _download(client, job) -> list:
    resp = client.get(reverse("ledger:export_download", args=[job.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == exporter.XLSX_CONTENT_TYPE
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    return [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]


def test_a_large_export_runs_as_a_job_with_progress_and_a_link(
    orgtree, plan, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(orgtree.reporter_a)
    url = reverse("ledger:export")
    offer = client.get(url, {"plan": plan.pk})
    assert offer.status_code == 200 and 'id="export-start"' in offer.content.decode()
    assert not ExportJob.objects.exists()  # a GET only offers
    assert client.post(url, {"plan": plan.pk}).status_code == 403  # the form's token is needed

    token = client.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url, {"plan": plan.pk, "csrfmiddlewaretoken": token})
    job = ExportJob.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("ledger:export_job", args=[job.pk])
    assert (job.requester, job.plan, job.rows_total, job.status) == (
        orgtree.reporter_a,
        plan,
        3,
        "queued",
    )
    assert OrmQ.objects.count() == 1  # handed to the worker once the request committed
    page = client.get(resp.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "export-download" not in page

    assert services.run_export_job(job.pk) == "3 rows"
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.finished_at is not None) == ("done", 3, True)
    # The poll's answer: the bar replaced by the link, and no further polling.
    partial = client.get(resp.url, headers={"HX-Request": "true"}).content.decode()
    assert "export-download" in partial and "hx-trigger" not in partial
    assert _download(client, job) == ["甲局任务1", "甲局任务2", "甲局任务3"]
    actions = list(
        AuditRecord.objects.filter(object_type="ledger.exportjob").values_list(
            "action", "actor_name"
        )
    )
    assert actions == [("export_request", "甲填报"), ("export", system_actor().display_name)]


def test_only_the_requester_sees_the_job_and_downloads_it(orgtree, plan, client):
    job = services.request_export(actor=orgtree.reporter_a, plan=plan)
    services.run_export_job(job.pk)
    # The supervisor reads the plan too, but the job and its file are the requester's.
    client.force_login(orgtree.supervisor)
    assert client.get(reverse("ledger:export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("ledger:export_download", args=[job.pk])).status_code == 404
    client.force_login(orgtree.reporter_a)
    assert client.get(reverse("ledger:export_job", args=[job.pk])).status_code == 200
    assert _download(client, job) == ["甲局任务1", "甲局任务2", "甲局任务3"]


def test_the_job_exports_only_the_requesters_tasks(orgtree, plan, client):
    actor = system_actor()
    services.create_task(
        plan, actor=actor, no="9", title="乙局的任务", responsible_units=[orgtree.b1]
    )
    job = services.request_export(actor=orgtree.reporter_a, plan=None)
    assert job.rows_total == 3 and job.plan_ids == [plan.pk]
    services.run_export_job(job.pk)
    client.force_login(orgtree.reporter_a)
    assert "乙局的任务" not in _download(client, job)


def test_asking_again_while_it_runs_gives_the_same_job(orgtree, plan):
    first = services.request_export(actor=orgtree.reporter_a, plan=plan)
    assert services.request_export(actor=orgtree.reporter_a, plan=plan) == first
    services.run_export_job(first.pk)
    # Done: running it again (the worker's retry) changes nothing; asking again is a new job.
    assert services.run_export_job(first.pk) == "nothing to do"
    assert services.request_export(actor=orgtree.reporter_a, plan=plan) != first


def test_a_failed_export_says_so_and_leaves_no_file(orgtree, plan, client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exporter, "write_workbook", broken)
    job = services.request_export(actor=orgtree.reporter_a, plan=plan)
    assert services.run_export_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and "disk full" in job.error
    assert not services.export_path(job).exists()
    client.force_login(orgtree.reporter_a)
    page = client.get(reverse("ledger:export_job", args=[job.pk])).content.decode()
    assert 'id="export-failed"' in page and "hx-trigger" not in page
    assert client.get(reverse("ledger:export_download", args=[job.pk])).status_code == 404


def test_an_export_within_the_limit_is_answered_at_once(orgtree, plan, client, settings):
    settings.LUOSHI_EXPORT_INLINE_MAX_ROWS = 3
    client.force_login(orgtree.reporter_a)
    resp = client.get(reverse("ledger:export"), {"plan": plan.pk})
    assert resp.status_code == 200 and resp.streaming
    assert not ExportJob.objects.exists()


def test_prepared_exports_are_removed_after_a_week(
    tmp_path, settings, orgtree, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from luoshi.ledger import jobs

    settings.MEDIA_ROOT = str(tmp_path)
    now = timezone.now()
    made = []
    for days in (8, 1):
        job = ExportJob.objects.create(
            requester=orgtree.supervisor,
            status=ExportJob.Status.DONE,
            finished_at=now - dt.timedelta(days=days),
        )
        path = services.export_path(job)
        path.write_bytes(b"xlsx")
        ExportJob.objects.filter(pk=job.pk).update(stored_as=path.name)
        made.append((job, path))
    with django_capture_on_commit_callbacks(execute=True):  # files go when the rows have
        assert services.purge_exports(actor=system_actor(), now=now) == 1
    (old, old_file), (recent, recent_file) = made
    assert not ExportJob.objects.filter(pk=old.pk).exists() and not old_file.exists()
    assert ExportJob.objects.filter(pk=recent.pk).exists() and recent_file.exists()
    assert AuditRecord.objects.filter(action="export_purge").count() == 1
    assert jobs.purge_exports() == 0  # nothing more to do: idempotent
