"""The README's production command serves the application: gunicorn with the project's own
settings file, and the health check a load balancer asks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_health_answers_without_logging_in(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        resp = client.get("/health/")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert client.post("/health/").status_code == 405  # nothing to write


@pytest.mark.skipif(sys.platform == "win32", reason="gunicorn runs on Unix")
def test_gunicorn_serves_with_the_project_settings(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {
        "LUOSHI_DATA_DIR": str(tmp_path),
        "LUOSHI_BIND": f"127.0.0.1:{port}",
        "LUOSHI_WEB_WORKERS": "1",
        "LUOSHI_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    env.pop("DATABASE_URL", None)  # its own file database: no test database is shared
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "luoshi.wsgi", "-c", "python:luoshi.gunicorn_conf"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and body is None:
            assert server.poll() is None, server.stdout.read().decode()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok"}
        assert "/health/" in (tmp_path / "access.log").read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
