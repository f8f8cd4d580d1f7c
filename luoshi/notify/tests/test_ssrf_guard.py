"""Webhook URLs cannot reach inside: internal addresses are refused before any connection,
the checked address is the one connected to, and redirects are not followed. No traffic
leaves loopback in these tests."""

import socket
import time

import pytest
from django.core.exceptions import ValidationError

from luoshi.notify import outbound, services
from luoshi.notify.models import Status, WebhookEndpoint


@pytest.fixture(autouse=True)
def _no_digest(settings):
    settings.LUOSHI_NOTIFY_DIGEST = False


def _deliver_to(person, url, key="s"):
    endpoint = WebhookEndpoint.objects.create(name="robot", kind="wecom", url=url)
    [msg] = services.notify(
        person, subject="提醒", body="", channels=("webhook",), webhook=endpoint, dedupe_key=key
    )
    stats = services.deliver_due()
    msg.refresh_from_db()
    return msg, stats


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/cgi-bin/webhook/send?key=k",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1:8080/hook",
        "http://172.16.0.1/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0/hook",
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped IPv6
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::1]/hook",  # loopback, but only 127.0.0.1 is allowed in these tests
        "http://167772161/hook",  # 10.0.0.1 written as a number
        "http://224.0.0.1/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest/",  # 169.254.169.254 through NAT64
        "http://[64:ff9b:1::a00:1]/hook",  # a local-use NAT64 prefix
        "http://[::a9fe:a9fe]/hook",  # the deprecated IPv4-compatible form
    ],
)
def test_internal_addresses_are_refused_without_connecting(orgtree, no_connections, url):
    msg, stats = _deliver_to(orgtree.reporter_a, url)
    assert no_connections == []
    assert stats["failed"] == 1 and msg.status == Status.FAILED
    assert "internal address" in msg.last_error
    attempt = msg.deliveries.get()
    assert attempt.outcome == "error" and attempt.status_code is None


def test_a_name_resolving_inside_is_refused(orgtree, no_connections, monkeypatch):
    def fake_dns(host, port, *args, **kwargs):
        assert host == "metadata.example.test"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    msg, _ = _deliver_to(orgtree.reporter_a, "https://metadata.example.test/hook")
    assert msg.status == Status.FAILED and "169.254.169.254" in msg.last_error
    assert no_connections == []


def test_a_name_resolving_both_outside_and_inside_is_refused(no_connections, monkeypatch):
    def fake_dns(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(outbound.Refused):
        outbound.post("https://split.example.test/hook", b"{}")
    assert no_connections == []


def test_the_checked_address_is_the_one_connected_to(orgtree, robot, monkeypatch, settings):
    """DNS rebinding: the first answer passes the check, later ones point elsewhere. Only one
    lookup happens and the request reaches the first address, with the name as Host."""
    real = socket.getaddrinfo
    lookups = []

    def rebinding_dns(host, port, *args, **kwargs):
        if host != "robot.example.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        # The later answer is loopback too (never send test traffic off the machine), but not
        # allowed and with nothing listening: using it would fail the test.
        ip = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    robot.kind = "wecom"
    url = f"http://robot.example.test:{robot.port}/cgi-bin/webhook/send?key=k"
    msg, _ = _deliver_to(orgtree.reporter_a, url)
    assert msg.status == Status.SENT, msg.last_error
    assert lookups == ["robot.example.test"]
    assert robot.requests[0].headers["host"] == f"robot.example.test:{robot.port}"


def test_loopback_is_refused_unless_allowed(orgtree, robot, settings, no_connections):
    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = []
    robot.kind = "wecom"
    msg, _ = _deliver_to(orgtree.reporter_a, robot.url)
    assert msg.status == Status.FAILED and robot.requests == [] and no_connections == []


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.0/8", "localhost"])
def test_allowed_hosts_take_addresses_networks_and_names(orgtree, robot, settings, entry):
    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = [entry]
    robot.kind = "wecom"
    host = "localhost" if entry == "localhost" else "127.0.0.1"
    url = f"http://{host}:{robot.port}/cgi-bin/webhook/send?key=k"
    try:
        outbound.resolve("localhost", robot.port, [entry])
    except outbound.Refused:
        pytest.skip("localhost resolves to ::1 here as well")
    msg, _ = _deliver_to(orgtree.reporter_a, url)
    assert msg.status == Status.SENT, msg.last_error


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed(orgtree, robot, status):
    robot.kind = "wecom"
    robot.reply(status, {}, headers={"Location": f"{robot.base}/elsewhere"})
    msg, stats = _deliver_to(orgtree.reporter_a, robot.url)
    assert len(robot.requests) == 1
    assert stats["retrying"] == 1 and "redirect" in msg.last_error
    assert msg.deliveries.get().status_code == status


def test_only_http_urls(orgtree, no_connections):
    for url in ["file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://example.com/x", "http://"]:
        with pytest.raises(ValidationError):
            WebhookEndpoint(name="x", kind="generic", url=url).full_clean()
        with pytest.raises(outbound.Refused):
            outbound.post(url, b"{}", allowed=["127.0.0.1"])
    assert no_connections == []


def test_a_slow_server_times_out(robot):
    robot.kind = "generic"
    robot.on_request = lambda req: time.sleep(1.5)
    started = time.monotonic()
    with pytest.raises(outbound.OutboundError):
        outbound.post(robot.url, b"{}", allowed=["127.0.0.1"], timeout=0.5)
    assert time.monotonic() - started < 1.4


def _resolve_names_to_loopback(monkeypatch, names):
    real = socket.getaddrinfo

    def fake_dns(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)


def _trust(monkeypatch, cafile):
    import ssl

    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: real(cafile=cafile))


def test_https_checks_the_certificate_against_the_name(orgtree, tls_robot, monkeypatch):
    """Connecting to the checked address must not weaken TLS: the certificate is still
    verified for the host name in the URL."""
    robot, cafile = tls_robot
    robot.kind = "wecom"
    _resolve_names_to_loopback(monkeypatch, {"robot.example.test", "other.example.test"})
    _trust(monkeypatch, cafile)

    url = f"https://robot.example.test:{robot.port}/cgi-bin/webhook/send?key=k"
    msg, _ = _deliver_to(orgtree.reporter_a, url, key="tls-ok")
    assert msg.status == Status.SENT, msg.last_error
    assert robot.requests[0].headers["host"] == f"robot.example.test:{robot.port}"

    wrong = f"https://other.example.test:{robot.port}/cgi-bin/webhook/send?key=k"
    msg, _ = _deliver_to(orgtree.reporter_a, wrong, key="tls-wrong-name")
    assert msg.status == Status.PENDING and "certificate" in msg.last_error.lower()
    assert len(robot.requests) == 1


def test_nat64_of_a_public_address_is_public():
    import ipaddress

    assert outbound.is_public(ipaddress.ip_address("64:ff9b::5db8:d822"))  # 93.184.216.34
    assert not outbound.is_public(ipaddress.ip_address("64:ff9b::a00:1"))  # 10.0.0.1


# --- refused when saved, not first at the send ------------------------------------------------


def test_an_internal_target_is_refused_when_saved(orgtree, monkeypatch, settings):
    from luoshi.core.errors import RuleViolation

    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(RuleViolation) as refused:
        services.create_endpoint(
            actor=orgtree.admin, name="内网", kind="generic", url="http://10.0.0.7/hook"
        )
    assert refused.value.field == "url" and "10.0.0.7" in str(refused.value)
    assert "LUOSHI_WEBHOOK_ALLOWED_HOSTS" in str(refused.value)
    assert not WebhookEndpoint.objects.exists()

    def fake_dns(host, port, *args, **kwargs):
        if host == "gateway.corp.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.3.4", port))]
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    # A name this server cannot resolve yet is saved (it may resolve only where deployed).
    robot = services.create_endpoint(
        actor=orgtree.admin, name="钉钉", kind="generic", url="https://hooks.unknown.test/x"
    )
    with pytest.raises(RuleViolation, match="192.168.3.4"):
        services.update_endpoint(robot, actor=orgtree.admin, url="https://gateway.corp.test/x")
    robot.refresh_from_db()
    assert robot.url == "https://hooks.unknown.test/x"
    # Allowed by the server's administrator: saved.
    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = ["gateway.corp.test"]
    services.update_endpoint(robot, actor=orgtree.admin, url="https://gateway.corp.test/x")
    robot.refresh_from_db()
    assert robot.url == "https://gateway.corp.test/x"
    # Saving other fields does not look the URL up again.
    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = []
    services.update_endpoint(robot, actor=orgtree.admin, name="网关")
