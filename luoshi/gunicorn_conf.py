"""gunicorn settings for production: `gunicorn luoshi.wsgi -c python:luoshi.gunicorn_conf`.
Each can be overridden on the command line or by the environment variable named."""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("LUOSHI_BIND", "127.0.0.1:8000")
# Sync workers: every request is short database work. Two per core, at least two, so one slow
# export or import never leaves the city without a server.
workers = int(os.environ.get("LUOSHI_WEB_WORKERS", max(2, 2 * multiprocessing.cpu_count())))
# A request past this is killed and answers 502: long work (big exports, imports of large
# workbooks) runs as a job instead (README, "Exports").
timeout = int(os.environ.get("LUOSHI_TIMEOUT", "30"))
graceful_timeout = 30
# A worker is replaced after this many requests (with jitter so they don't all go at once),
# bounding what a slow leak in any library could grow to.
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("LUOSHI_ACCESS_LOG", "-")
errorlog = "-"
# The application is loaded before the workers fork, so a broken setting stops the start
# rather than every worker failing one by one.
preload_app = True
