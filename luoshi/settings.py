"""Settings come from environment variables with safe defaults.

DATABASE_URL   default: SQLite file in $LUOSHI_DATA_DIR (WAL mode)
SECRET_KEY     required when DEBUG is off
ALLOWED_HOSTS  comma-separated, default 127.0.0.1,localhost
DEBUG          "1"/"true" to turn on; off by default
LUOSHI_DATA_DIR  where the SQLite file and uploaded files live (outside the web root)
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(os.environ.get("LUOSHI_DATA_DIR", Path.cwd() / "var")).resolve()

# Known to everyone who has read this file: `luoshi check --deploy` refuses it (core/checks.py).
DEV_SECRET_KEY = "luoshi-development-only-key-change-me-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("LUOSHI_INSECURE_DEV_KEY", True):
        # A fixed development key keeps sessions valid across `make demo` restarts; production
        # deployments set SECRET_KEY (the README's systemd unit does) and LUOSHI_INSECURE_DEV_KEY=0.
        SECRET_KEY = DEV_SECRET_KEY
    else:
        raise RuntimeError("SECRET_KEY must be set")
# The audit chain's key (HMAC-SHA256, core/audit.py): without it, someone who can write to the
# database cannot recompute the hashes of records they rewrite. Set it apart from SECRET_KEY and
# keep it: records written under one key verify only with that key. Unset, it is derived from
# SECRET_KEY, and `luoshi check --deploy` warns (luoshi.W002).
LUOSHI_AUDIT_KEY = os.environ.get("LUOSHI_AUDIT_KEY", "")
# Checkpoints of the chain's head, appended where the database cannot rewrite them (and to the
# log): removing the newest records is then detected back to the last checkpoint.
LUOSHI_AUDIT_CHECKPOINTS = Path(
    os.environ.get("LUOSHI_AUDIT_CHECKPOINTS", DATA_DIR / "audit-checkpoints.jsonl")
)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "django_q",
    "luoshi.org.apps.LockoutConfig",  # django-axes
    # The loop, in dependency order: each app imports only the ones above it.
    "luoshi.core",
    "luoshi.org",
    "luoshi.notify",
    "luoshi.ledger",
    "luoshi.dispatch",
    "luoshi.supervision",
    "luoshi.rollup",
    "luoshi.assessment",
    "luoshi.bulletins",
    "luoshi.cockpit",
    "luoshi.evaluation",
    "luoshi.consolidation",
    "luoshi.desk",
    "luoshi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "luoshi.core.middleware.ServiceErrorsMiddleware",
    # Last: turns a log-in refused for too many failures into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luoshi.urls"
WSGI_APPLICATION = "luoshi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "luoshi.notify.context_processors.inbox",
                "luoshi.supervision.context_processors.supervision",
                "luoshi.core.context_processors.calendar_notice",
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'luoshi.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE makes writers queue for the lock instead of failing with "database is locked"
        # half-way through a transaction; FULL sync because scores, bulletins and the audit chain
        # must survive a power loss (RELIABILITY.md).
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;"
        ),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The scope filters' subqueries are costed above the JIT threshold, and compiling them
    # took 0.5 s per ledger page while running them took 20 ms (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
    "LUOSHI_DB_POOL"
):
    # One pool of connections per process (psycopg_pool) instead of a connection per request:
    # for PgBouncer-less deployments with many workers. LUOSHI_DB_POOL is the pool's maximum.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django requires it with a pool
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ["LUOSHI_DB_POOL"]),
        "timeout": 10,
    }
if os.environ.get("DATABASE_REPLICA_URL"):
    # A PostgreSQL read replica for read-only requests (core/routers.py, README).
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["luoshi.core.routers.ReadReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "luoshi.core.routers.ReplicaReadsMiddleware",
    )
    REPLICA_PIN_SECONDS = int(os.environ.get("LUOSHI_REPLICA_PIN_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Independent heavy reads of one page (the cockpit's) side by side on a second connection
# (core/concurrent.py). On SQLite it saves the page a quarter; on PostgreSQL the second
# connection's start-up cost more than it saved in the benchmark, so it is off there.
LUOSHI_CONCURRENT_READS = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# Above this many rows in scope, an export runs as a job with a progress bar. The exporter writes
# 12,000-14,000 rows/s on SQLite and PostgreSQL (`make bench`, loop export): 100,000 rows answer
# within a third of gunicorn's 30 s, leaving room for a slower or busier server.
LUOSHI_EXPORT_INLINE_MAX_ROWS = int(os.environ.get("LUOSHI_EXPORT_INLINE_MAX_ROWS", "100000"))
AUTH_USER_MODEL = "org.Person"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Content-Security-Policy (django-csp) on every response: scripts only from this server (no inline
# script or handler anywhere: luoshi/behaviours.js reads data-* attributes instead), nothing
# framed by other sites, forms posting only here. Inline styles stay allowed: templates size
# bars and charts with style attributes, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],  # as X_FRAME_OPTIONS = "DENY"
    }
}

# Log-in lockout (django-axes): after LUOSHI_LOGIN_FAILURES wrong passwords in a row for one
# account from one address, that pair is refused for LUOSHI_LOGIN_COOLOFF_MINUTES, on the log-in
# page and /api/token/ alike; a success resets the count. By account *and* address, so that
# nobody can lock a colleague out by typing wrong passwords under their name from elsewhere.
AUTHENTICATION_BACKENDS = [
    "luoshi.org.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LUOSHI_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LUOSHI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "luoshi.org.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "luoshi.org.lockout.client_ip"
# Reverse proxies in front of the server that append to X-Forwarded-For (0: none).
LUOSHI_PROXY_HOPS = int(os.environ.get("LUOSHI_PROXY_HOPS", "0"))
# Failures are kept (AccessAttempt); each successful log-in is not another row.
AXES_DISABLE_ACCESS_LOG = True
# Unlocking goes through org's admin (audited), not axes' own.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# API tokens (/api/token/) expire this many days after they are issued; a password change
# revokes them.
LUOSHI_TOKEN_DAYS = int(os.environ.get("LUOSHI_TOKEN_DAYS", "30"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are kept outside the web root and served only through scoped views.
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Upload bounds: Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not cover file data.
# One store and one limit for every uploaded file: workbooks to import and report attachments.
LUOSHI_MAX_UPLOAD_BYTES = int(os.environ.get("LUOSHI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
LUOSHI_UPLOAD_DIR = MEDIA_ROOT / "uploads"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "luoshi.org.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "luoshi.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        # ?search= on the views that name search_fields (units, people).
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "luoshi.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "luoshi.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Luoshi API",
    "DESCRIPTION": "Closed-loop task implementation: units, people, plans, tasks, milestones.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG and env_bool("LUOSHI_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# The worker (`luoshi worker`): django-q2 with the database as its broker, so the default
# install needs no Redis. Jobs are at-least-once (a killed job runs again after `retry`
# seconds), so every job is idempotent, keyed on what it does.
Q_CLUSTER = {
    "name": "luoshi",
    "orm": "default",
    "workers": int(os.environ.get("LUOSHI_WORKERS", "1")),
    "timeout": 240,
    "retry": 300,
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    "ack_failures": True,
    "poll": 2,
    "label": "Worker",
}

LUOSHI_JOBS = {
    "luoshi.open_cycles": ("luoshi.dispatch.jobs.open_cycles", 10),
    "luoshi.close_cycles": ("luoshi.dispatch.jobs.close_cycles", 10),
    "luoshi.remind": ("luoshi.dispatch.jobs.remind", 10),
    "luoshi.notify_deliver": ("luoshi.notify.jobs.deliver", 1),
    # Hourly, but it runs once a working day (a day already recomputed is skipped).
    "luoshi.lights": ("luoshi.supervision.jobs.daily_lights", 60),
    # Hourly on working days; a problem climbs at most one level a day (idempotent).
    "luoshi.escalate_problems": ("luoshi.supervision.jobs.escalate_problems", 60),
    # Daily enough; prepared exports are kept ledger.services.EXPORT_KEEP_DAYS days.
    "luoshi.purge_exports": ("luoshi.ledger.jobs.purge_exports", 360),
    # Hourly: what a truncated audit trail can hide is at most the last hour.
    "luoshi.audit_checkpoint": ("luoshi.core.audit.checkpoint", 60),
}
# Links in e-mails and robot messages are made absolute with this.
LUOSHI_BASE_URL = os.environ.get("LUOSHI_BASE_URL", "")
# Webhook targets on private networks must be listed (SSRF guard); intranets name their gateways.
LUOSHI_WEBHOOK_ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("LUOSHI_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
]
LUOSHI_REMINDER_CHANNELS = tuple(
    c.strip()
    for c in os.environ.get("LUOSHI_REMINDER_CHANNELS", "inbox,email,webhook").split(",")
    if c.strip()
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "luoshi@localhost")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Bulletins: the 发文字号 prefix a new draft starts with (督 → 督〔2026〕3号; editable per draft),
# and LibreOffice, which turns the bulletin's .docx into its PDF.
LUOSHI_BULLETIN_PREFIX = os.environ.get("LUOSHI_BULLETIN_PREFIX", "督")
LUOSHI_SOFFICE = os.environ.get("LUOSHI_SOFFICE", "soffice")
LUOSHI_SOFFICE_TIMEOUT = int(os.environ.get("LUOSHI_SOFFICE_TIMEOUT", "120"))
