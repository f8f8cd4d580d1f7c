"""The pages: the searchable list (htmx too), a practice, recording from a task, editing with a
stale version, documents, and the similar-practices panel on the task page."""

from django.urls import reverse
from django.utils import translation

from luoshi.consolidation.models import Practice

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_searching_in_chinese_finds_a_practice_by_a_word_inside(orgtree, world, client):
    client.force_login(orgtree.reporter_a)
    body = client.get(reverse("consolidation:list"), {"q": "网格"}).content.decode()
    assert "推行网格化管理" in body and "营商环境" not in body
    resp = client.get(
        reverse("consolidation:list"),
        {"q": "投诉闭环"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="practice-results",
    )
    body = resp.content.decode()
    assert "营商环境投诉闭环机制" in body and '<nav class="navbar' not in body
    body = client.get(reverse("consolidation:list"), {"unit": orgtree.a.pk}).content.decode()
    assert "中小学校建设一校一策" in body and "推行网格化管理" not in body


def test_the_task_link_shows_only_to_those_who_read_the_task(orgtree, world, client):
    url = reverse("consolidation:detail", args=[world.grid.pk])
    client.force_login(orgtree.reporter_a)
    body = client.get(url).content.decode()
    assert "推行网格化管理" in body and "乙局机密任务" not in body
    assert client.get(f"/api/practices/{world.grid.pk}/").json()["task"] is None
    client.force_login(orgtree.reporter_b)
    body = client.get(url).content.decode()
    assert "乙局机密任务" in body and 'id="practice-task"' in body
    assert client.get(f"/api/practices/{world.grid.pk}/").json()["task"] == world.task_b.pk


def test_recording_from_a_task_prefills_and_links_it(orgtree, world, client):
    client.force_login(orgtree.reporter_a)
    url = reverse("consolidation:create") + f"?task={world.task_a.pk}"
    page = client.get(url).content.decode()
    assert "推进社区网格化服务管理" in page and "基层治理" in page
    resp = client.post(
        url,
        {
            "kind": "practice",
            "title": "网格员每日巡查",
            "unit": orgtree.a1.pk,
            "what": "每天巡查一遍",
            "result": "",
            "tags": "网格化，基层治理",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    p = Practice.objects.get(title="网格员每日巡查")
    assert p.task == world.task_a
    assert sorted(p.tags.values_list("name", flat=True)) == ["基层治理", "网格化"]
    # Without a task a reporter records nothing; B's task is not found.
    assert client.get(reverse("consolidation:create")).status_code == 403
    assert (
        client.get(reverse("consolidation:create") + f"?task={world.task_b.pk}").status_code == 404
    )


def test_a_stale_edit_is_refused_with_a_clear_message(orgtree, world, client):
    client.force_login(orgtree.supervisor)
    url = reverse("consolidation:edit", args=[world.school.pk])
    assert 'name="version"' in client.get(url).content.decode()
    data = {
        "kind": "practice",
        "title": "一校一策",
        "unit": orgtree.a.pk,
        "what": "每所学校一张表",
        "result": "",
        "tags": "",
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    with translation.override("en"):
        resp = client.post(url, {**data, "title": "旧的"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 409
    assert "changed by someone else" in resp.content.decode()
    assert Practice.objects.get(pk=world.school.pk).title == "一校一策"
    client.force_login(orgtree.reporter_b)
    assert client.get(url).status_code == 403


def test_documents_upload_download_remove(orgtree, world, client, settings, tmp_path):
    settings.LUOSHI_UPLOAD_DIR = tmp_path
    client.force_login(orgtree.supervisor)
    from django.core.files.uploadedfile import SimpleUploadedFile

    add = reverse("consolidation:document_add", args=[world.school.pk])
    client.post(add, {"file": SimpleUploadedFile("进度表.png", PNG, "image/png")})
    doc = world.school.documents.get()
    # Everyone reading the library downloads it; only editors remove it.
    client.force_login(orgtree.reporter_b)
    resp = client.get(reverse("consolidation:document", args=[doc.pk]))
    assert resp.status_code == 200 and resp.content == PNG
    assert client.post(reverse("consolidation:document_remove", args=[doc.pk])).status_code == 403
    assert client.post(add, {"file": SimpleUploadedFile("x.png", PNG)}).status_code == 403
    client.force_login(orgtree.supervisor)
    client.post(reverse("consolidation:document_remove", args=[doc.pk]))
    assert not world.school.documents.exists()


def test_the_task_page_offers_similar_practices_and_recording(orgtree, world, client):
    client.force_login(orgtree.reporter_a)
    body = client.get(reverse("ledger:task_detail", args=[world.task_a.pk])).content.decode()
    assert 'id="practices-panel"' in body
    assert "推行网格化管理" in body  # shares 网格 and the tag 基层治理 with the task
    assert "中小学校建设一校一策" not in body
    assert 'id="task-record-practice"' in body
    client.force_login(orgtree.leader_a)
    body = client.get(reverse("ledger:task_detail", args=[world.task_a.pk])).content.decode()
    assert "推行网格化管理" in body and 'id="task-record-practice"' not in body


def test_anonymous_is_sent_to_log_in(world, client):
    assert client.get(reverse("consolidation:list")).status_code == 302
    assert client.get("/api/practices/").status_code in (401, 403)
