"""The public pages: without log-in, published bulletins only, with their files."""

from luoshi.bulletins import services
from luoshi.bulletins.models import Bulletin


def test_public_pages_are_anonymous_and_show_only_published(world, client):
    o = world.o
    draft = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    pub = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    services.edit(pub, actor=o.supervisor, version=1, title="已发布的通报")
    pub = services.approve(pub, actor=world.leader, version=2)
    pub = services.publish(pub, actor=o.supervisor, version=3, pdf=False)
    Bulletin.objects.filter(pk=pub.pk).update(pdf=b"%PDF-1.4 test")

    page = client.get("/bulletins/public/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "已发布的通报" in body and pub.number in body and draft.title not in body

    detail = client.get(f"/bulletins/public/{pub.pk}/").content.decode()
    assert pub.sha256 in detail and "甲红灯任务一" in detail and "编辑草稿" not in detail
    resp = client.get(f"/bulletins/public/{pub.pk}/bulletin.docx")
    assert resp.status_code == 200 and resp.content.startswith(b"PK")
    assert "attachment" in resp["Content-Disposition"]
    resp = client.get(f"/bulletins/public/{pub.pk}/bulletin.pdf")
    assert resp.status_code == 200 and resp.content == b"%PDF-1.4 test"

    for url in (
        f"/bulletins/public/{draft.pk}/",
        f"/bulletins/public/{draft.pk}/bulletin.docx",
        f"/bulletins/public/{draft.pk}/bulletin.pdf",
    ):
        assert client.get(url).status_code == 404, url
    # The signed-in pages still ask for a log-in.
    assert client.get(f"/bulletins/{pub.pk}/").status_code == 302
    assert client.get("/bulletins/").status_code == 302
