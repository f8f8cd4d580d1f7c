"""A real HTTP server on 127.0.0.1 playing WeCom, DingTalk, Feishu or a generic receiver.

It checks signatures itself (its own implementation of each platform's rule, not ours) and
answers the way the platform would: HTTP 200 with errcode/code, so the tests see exactly what
a misconfigured robot looks like from our side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from luoshi.notify.models import WebhookEndpoint

PATHS = {
    "wecom": "/cgi-bin/webhook/send?key=wecom-key-123",
    "dingtalk": "/robot/send?access_token=ding-token-456",
    "feishu": "/open-apis/bot/v2/hook/0123456789abcdef0123",
    "generic": "/hooks/luoshi",
}


@dataclass
class Request:
    path: str
    query: dict
    headers: dict
    raw: bytes
    body: object
    sign_ok: bool | None = None


@dataclass
class Robot:
    kind: str = "wecom"
    secret: str = ""
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    replies: deque = field(default_factory=deque)
    on_request: object = None  # called in the server thread before replying

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + PATHS[self.kind]

    def reply(self, status: int = 200, body=None, headers=None) -> None:
        """Queue one scripted reply; without any, the platform's "ok" answer is given."""
        self.replies.append((status, body, headers or {}))

    def ok_body(self) -> dict:
        if self.kind == "feishu":
            return {"code": 0, "msg": "success", "data": {}}
        if self.kind == "generic":
            return {"received": True}
        return {"errcode": 0, "errmsg": "ok"}

    def check_signature(self, req: Request) -> dict | None:
        """The platform's verdict on the signature: None when fine, else its error reply."""
        if not self.secret:
            return None
        if self.kind == "dingtalk":
            ts = req.query.get("timestamp", [""])[0]
            sign = req.query.get("sign", [""])[0]  # parse_qs undoes the URL encoding
            string_to_sign = f"{ts}\n{self.secret}".encode()
            expected = base64.b64encode(
                hmac.new(self.secret.encode(), string_to_sign, hashlib.sha256).digest()
            ).decode()
            fresh = ts.isdigit() and abs(int(ts) - time.time() * 1000) < 3600 * 1000
            req.sign_ok = bool(sign) and hmac.compare_digest(sign, expected) and fresh
            return None if req.sign_ok else {"errcode": 310000, "errmsg": "sign not match"}
        if self.kind == "feishu":
            ts = str(req.body.get("timestamp", ""))
            key = f"{ts}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = ts.isdigit() and abs(int(ts) - time.time()) < 3600
            req.sign_ok = hmac.compare_digest(str(req.body.get("sign", "")), expected) and fresh
            return None if req.sign_ok else {"code": 19021, "msg": "sign match fail"}
        return None


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        robot: Robot = self.server.robot
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        req = Request(
            path=self.path,
            query=parse_qs(urlsplit(self.path).query),
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
            body=body,
        )
        robot.requests.append(req)
        if robot.on_request:
            robot.on_request(req)
        refusal = robot.check_signature(req) if isinstance(body, dict) else None
        if robot.replies:
            status, payload, headers = robot.replies.popleft()
        else:
            status, payload, headers = 200, None, {}
        if payload is None:
            payload = refusal or robot.ok_body()
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, *args):
        pass


def _serve(tls: ssl.SSLContext | None = None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.robot = Robot(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def robot():
    server = _serve()
    yield server.robot
    server.shutdown()
    server.server_close()


@pytest.fixture
def tls_robot(tmp_path):
    """An HTTPS robot whose certificate names robot.example.test; returns (robot, ca file)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=robot.example.test",
            "-addext",
            "subjectAltName=DNS:robot.example.test",
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = _serve(tls)
    yield server.robot, str(cert)
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    # The test robot listens on loopback, which the SSRF guard refuses unless listed.
    settings.LUOSHI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.LUOSHI_BASE_URL = "https://luoshi.example.gov.cn"


@pytest.fixture
def make_endpoint(robot):
    def _make(kind="wecom", secret="", *, verify_secret=None, **fields):
        robot.kind = kind
        robot.secret = secret if verify_secret is None else verify_secret
        return WebhookEndpoint.objects.create(
            name=f"{kind} robot", kind=kind, url=robot.url, secret=secret, **fields
        )

    return _make


@pytest.fixture
def no_connections(monkeypatch):
    """Records (instead of making) every outgoing TCP connection."""
    import socket

    attempts = []

    def refuse_create(address, *args, **kwargs):
        attempts.append(address)
        raise OSError("test: connections are not allowed here")

    def refuse_connect(self, address):
        attempts.append(address)
        raise OSError("test: connections are not allowed here")

    monkeypatch.setattr(socket, "create_connection", refuse_create)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    return attempts
