"""Each robot gets exactly the request its platform expects, checked by a real HTTP server
that verifies DingTalk's and Feishu's signatures itself."""

import hashlib
import hmac

import pytest

from luoshi.notify import services
from luoshi.notify.models import Delivery, Status

SUBJECT = "请于周五前报送进展"
BODY = "第3项任务\n节点：6月30日"


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def _send(person, endpoint, *, key="t1", urgent=False):
    [msg] = services.notify(
        person,
        subject=SUBJECT,
        body=BODY,
        url="/tasks/7/",
        channels=("webhook",),
        webhook=endpoint,
        urgent=urgent,
        dedupe_key=key,
    )
    stats = services.deliver_due()
    msg.refresh_from_db()
    return msg, stats


def test_wecom_gets_markdown(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    msg, stats = _send(orgtree.reporter_a, endpoint)
    assert stats["sent"] == 1 and msg.status == Status.SENT and msg.sent_at
    [req] = robot.requests
    assert req.path == "/cgi-bin/webhook/send?key=wecom-key-123"
    assert req.headers["content-type"].startswith("application/json")
    assert set(req.body) == {"msgtype", "markdown"}
    assert req.body["msgtype"] == "markdown"
    content = req.body["markdown"]["content"]
    assert set(req.body["markdown"]) == {"content"}
    assert SUBJECT in content and BODY in content
    assert "(https://luoshi.example.gov.cn/tasks/7/)" in content
    [attempt] = Delivery.objects.filter(message=msg)
    assert attempt.outcome == "ok" and attempt.status_code == 200 and attempt.attempt == 1
    assert attempt.endpoint == endpoint


def test_dingtalk_gets_signed_markdown(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("dingtalk", secret="SECd1e2a3b4c5+/=")
    msg, _ = _send(orgtree.reporter_a, endpoint, urgent=True)
    assert msg.status == Status.SENT
    [req] = robot.requests
    assert req.sign_ok is True
    assert req.query["access_token"] == ["ding-token-456"]
    assert set(req.query) == {"access_token", "timestamp", "sign"}
    assert len(req.query["timestamp"][0]) == 13  # milliseconds
    assert req.body["msgtype"] == "markdown"
    assert set(req.body["markdown"]) == {"title", "text"}
    assert SUBJECT in req.body["markdown"]["title"]
    assert SUBJECT in req.body["markdown"]["text"] and BODY in req.body["markdown"]["text"]


def test_dingtalk_without_a_secret_sends_no_signature(orgtree, robot, make_endpoint):
    msg, _ = _send(orgtree.reporter_a, make_endpoint("dingtalk"))
    assert msg.status == Status.SENT
    assert set(robot.requests[0].query) == {"access_token"}


def test_dingtalk_wrong_secret_is_a_failure(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("dingtalk", secret="SECours", verify_secret="SECtheirs")
    msg, stats = _send(orgtree.reporter_a, endpoint)
    assert robot.requests[0].sign_ok is False
    assert stats["retrying"] == 1 and msg.status == Status.PENDING
    assert "310000" in msg.last_error
    [attempt] = msg.deliveries.all()
    assert attempt.outcome == "error" and attempt.status_code == 200


def test_feishu_gets_signed_text(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("feishu", secret="feishu-secret-789")
    msg, _ = _send(orgtree.reporter_a, endpoint)
    assert msg.status == Status.SENT
    [req] = robot.requests
    assert req.sign_ok is True
    assert set(req.body) == {"timestamp", "sign", "msg_type", "content"}
    assert isinstance(req.body["timestamp"], str) and len(req.body["timestamp"]) == 10
    assert req.body["msg_type"] == "text"
    text = req.body["content"]["text"]
    assert SUBJECT in text and BODY in text and "https://luoshi.example.gov.cn/tasks/7/" in text


def test_feishu_code_not_zero_is_a_failure(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("feishu", secret="ours", verify_secret="theirs")
    msg, stats = _send(orgtree.reporter_a, endpoint)
    assert stats["retrying"] == 1 and "19021" in msg.last_error


def test_generic_gets_the_documented_json(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("generic", secret="generic-secret")
    msg, _ = _send(orgtree.reporter_a, endpoint, urgent=True)
    assert msg.status == Status.SENT
    [req] = robot.requests
    assert set(req.body) == {"subject", "body", "url", "recipient", "urgent", "sent_at"}
    assert req.body["subject"] == SUBJECT and req.body["body"] == BODY
    assert req.body["url"] == "https://luoshi.example.gov.cn/tasks/7/"
    assert req.body["recipient"] == {"username": "reporter_a", "name": "甲填报"}
    assert req.body["urgent"] is True and req.body["sent_at"]
    ts = req.headers["x-luoshi-timestamp"]
    expected = hmac.new(b"generic-secret", f"{ts}.".encode() + req.raw, hashlib.sha256)
    assert req.headers["x-luoshi-signature"] == "sha256=" + expected.hexdigest()


def test_generic_http_error_is_a_failure(orgtree, robot, make_endpoint):
    robot.kind = "generic"
    endpoint = make_endpoint("generic")
    robot.reply(404, {"detail": "no such hook"})
    msg, stats = _send(orgtree.reporter_a, endpoint)
    assert stats["retrying"] == 1 and msg.deliveries.get().status_code == 404


def test_a_reply_that_is_not_json_is_a_failure(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    robot.reply(200, b"<html>gateway maintenance</html>")
    msg, _ = _send(orgtree.reporter_a, endpoint)
    assert msg.status == Status.PENDING and "unexpected reply" in msg.last_error


def test_a_long_message_is_cut_to_the_platform_limit(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    services.notify(
        orgtree.reporter_a,
        subject="长消息",
        body="落实" * 3000,
        channels=("webhook",),
        webhook=endpoint,
        dedupe_key="long",
    )
    services.deliver_due()
    content = robot.requests[0].body["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("…")


def test_the_unit_robot_is_used_when_none_is_given(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom", unit=orgtree.a)  # bureau A's group; reporter_a is in A1
    [msg] = services.notify(
        orgtree.reporter_a, subject=SUBJECT, body="", channels=("webhook",), dedupe_key="unit"
    )
    assert msg.webhook == endpoint
    services.deliver_due()
    assert len(robot.requests) == 1
    # Nobody in unit B is reached through A's robot.
    assert (
        services.notify(
            orgtree.reporter_b, subject=SUBJECT, body="", channels=("webhook",), dedupe_key="unit-b"
        )
        == []
    )


def test_a_title_cannot_smuggle_a_link_into_the_group_chat(orgtree, robot, make_endpoint):
    endpoint = make_endpoint("wecom")
    [msg] = services.notify(
        orgtree.reporter_a,
        subject="[点这里领取](http://evil.example/)",
        body="<font color=warning>伪造</font>",
        url="/tasks/7/",
        channels=("webhook",),
        webhook=endpoint,
        dedupe_key="smuggle",
    )
    services.deliver_due()
    content = robot.requests[0].body["markdown"]["content"]
    assert "](http://evil.example/)" not in content and "<font" not in content
    assert "［点这里领取］" in content and "(https://luoshi.example.gov.cn/tasks/7/)" in content
