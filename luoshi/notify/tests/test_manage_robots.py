"""Group robots in the admin: changes audited without their credentials, the secret never
shown back, a test message sent on request; messages and attempts are read-only."""

import pytest
from django.contrib.messages import get_messages

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord
from luoshi.notify import services
from luoshi.notify.models import Delivery, Message, Status, WebhookEndpoint
from luoshi.org.models import Person

ADD = "/admin/notify/webhookendpoint/add/"
LIST = "/admin/notify/webhookendpoint/"


@pytest.fixture
def root(db, client):
    person = Person.objects.create_superuser("root", "root@example.gov.cn", "pw", full_name="超管")
    client.force_login(person)
    return person


def _form(url, **over):
    data = {
        "name": "甲局工作群",
        "kind": "dingtalk",
        "url": url,
        "secret": "SECtop-secret-value",
        "unit": "",
        "is_active": "on",
        "rate_per_minute": "20",
    }
    data.update(over)
    return data


def test_adding_a_robot_is_audited_without_credentials(root, client, robot):
    robot.kind = "dingtalk"
    resp = client.post(ADD, _form(robot.url))
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == "SECtop-secret-value" and endpoint.url == robot.url
    record = AuditRecord.objects.get(object_type="notify.webhookendpoint")
    assert record.action == "create" and record.actor_id == root.pk
    text = str(record.changes)
    assert "ding-token-456" not in text and "top-secret" not in text
    assert record.changes["secret"] == [None, "***"]


def test_the_secret_is_never_shown_and_kept_when_left_empty(root, client, robot):
    endpoint = services.create_endpoint(
        actor=system_actor(), name="群", kind="dingtalk", url=robot.url, secret="SECkeep-me"
    )
    page = client.get(f"{LIST}{endpoint.pk}/change/").content.decode()
    assert "SECkeep-me" not in page and "ding-token-456" not in client.get(LIST).content.decode()
    resp = client.post(f"{LIST}{endpoint.pk}/change/", _form(robot.url, secret="", name="新名"))
    assert resp.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.name == "新名" and endpoint.secret == "SECkeep-me"
    client.post(
        f"{LIST}{endpoint.pk}/change/",
        _form(robot.url, name="新名", secret="", clear_secret="on"),
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == ""
    changes = [r.changes for r in AuditRecord.objects.filter(action="update").order_by("id")]
    assert changes[0] == {"name": ["群", "新名"]}
    assert changes[1] == {"secret": ["***", None]}


def test_a_non_http_url_is_refused_by_the_form(root, client):
    resp = client.post(ADD, _form("file:///etc/passwd"))
    assert resp.status_code == 200 and "url" in resp.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_send_test_message_action(root, client, robot):
    robot.kind = "dingtalk"
    robot.secret = "SECtest"
    endpoint = services.create_endpoint(
        actor=system_actor(), name="群", kind="dingtalk", url=robot.url, secret="SECtest"
    )
    resp = client.post(
        LIST, {"action": "send_test_message", "_selected_action": [endpoint.pk]}, follow=True
    )
    assert resp.status_code == 200
    [note] = [str(m) for m in get_messages(resp.wsgi_request)]
    assert "群" in note
    [req] = robot.requests
    assert req.sign_ok and "群" in req.body["markdown"]["text"]
    msg = Message.objects.get()
    assert msg.status == Status.SENT and msg.recipient == root


def test_a_failing_test_message_is_reported_and_not_retried(root, client, robot):
    robot.kind = "wecom"
    robot.reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    endpoint = services.create_endpoint(
        actor=system_actor(), name="群", kind="wecom", url=robot.url
    )
    resp = client.post(
        LIST, {"action": "send_test_message", "_selected_action": [endpoint.pk]}, follow=True
    )
    [note] = [m for m in get_messages(resp.wsgi_request)]
    assert note.level_tag == "error" and "93000" in str(note)
    assert Message.objects.get().status == Status.FAILED


def test_a_switched_off_robot_is_not_tested(root, robot):
    endpoint = services.create_endpoint(
        actor=system_actor(), name="群", kind="wecom", url=robot.url, is_active=False
    )
    with pytest.raises(RuleViolation):
        services.send_test(endpoint, actor=root)
    assert robot.requests == []


def test_messages_and_attempts_are_read_only(root, client, orgtree):
    [msg] = services.notify(orgtree.reporter_a, subject="只读", body="", dedupe_key="ro")
    Delivery.objects.create(message=msg, attempt=1, at=msg.created_at, outcome="ok")
    for model in ("message", "delivery"):
        base = f"/admin/notify/{model}/"
        assert client.get(base).status_code == 200
        assert client.get(base + "add/").status_code == 403
    obj = Delivery.objects.get()
    assert client.get(f"/admin/notify/message/{msg.pk}/change/").status_code == 200
    assert client.post(f"/admin/notify/delivery/{obj.pk}/delete/").status_code == 403


def test_only_admins_and_the_units_admins_manage_robots(orgtree):
    url = "https://oapi.dingtalk.com/robot/send?access_token=t"
    own = services.create_endpoint(
        actor=orgtree.unitadmin_a, name="甲", kind="dingtalk", url=url, unit=orgtree.a
    )
    with pytest.raises(OutOfScope):
        services.create_endpoint(
            actor=orgtree.unitadmin_a, name="乙", kind="dingtalk", url=url, unit=orgtree.b
        )
    with pytest.raises(OutOfScope):
        services.create_endpoint(actor=orgtree.unitadmin_a, name="市", kind="dingtalk", url=url)
    with pytest.raises(OutOfScope):
        services.update_endpoint(own, actor=orgtree.unitadmin_a, unit=orgtree.b)
    with pytest.raises(OutOfScope):
        services.update_endpoint(own, actor=orgtree.reporter_a, name="改")
    services.update_endpoint(own, actor=orgtree.admin, url=url.replace("=t", "=rotated"))
    record = AuditRecord.objects.filter(action="update").get()
    assert record.changes == {"url_credential": ["***", "*** (changed)"]}
