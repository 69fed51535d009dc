"""Settings for Plex Kiosk, read from the environment (and `.env` when present).

Every variable is documented in the README's configuration table. With nothing set
the app runs "embedded": SQLite and Celery's filesystem transport under DATA_DIR,
so a fresh machine needs no server.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A `.env` file next to manage.py is read when present; real environment variables win.
if not env.bool("PLEXKIOSK_SKIP_DOTENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _env(name: str, cast: type, default: object) -> object:
    """Read one variable, turning a bad value into an error that names it."""
    try:
        return env(name, cast=cast, default=default)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = str(_env(name, str, default)).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _bounded(name: str, cast: type, default: float, *, low: float, high: float) -> float:
    """Read a number that must lie between `low` and `high`, naming the variable if not."""
    raw = env.str(name, default=str(default))
    try:
        value = cast(raw)
    except ValueError:
        kind = "an integer" if cast is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low:g} and {high:g}, not {raw!r}")
    return value


def parse_path_map(value: str) -> list[tuple[str, str]]:
    """Parse `app_path=plex_path` pairs (comma-separated), longest app prefix first.

    PLEX_PATH_MAP, e.g. `/data/media/Movies=/movies,/data/media/TV=/tv` when Plex runs in
    another container and sees the library folders under other names.
    """
    pairs = []
    for chunk in value.split(","):
        if not chunk.strip():
            continue
        app_side, sep, plex_side = chunk.partition("=")
        if not sep or not app_side.strip() or not plex_side.strip():
            raise ImproperlyConfigured(
                f"PLEX_PATH_MAP entries look like /app/path=/plex/path, not {chunk.strip()!r}"
            )
        pairs.append((str(PurePosixPath(app_side.strip())), str(PurePosixPath(plex_side.strip()))))
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


DEBUG = _env("DEBUG", bool, False)

SECRET_KEY = _env("SECRET_KEY", str, "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Put one in the environment or in .env "
            "(`make setup` writes a .env with a fresh key), or set DEBUG=true for development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"  # noqa: S105

DATA_DIR = Path(_env("DATA_DIR", str, str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

ALLOWED_HOSTS = _env("ALLOWED_HOSTS", list, ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = _env("CSRF_TRUSTED_ORIGINS", list, [])
CORS_ALLOWED_ORIGINS = _env("CORS_ALLOWED_ORIGINS", list, [])
# The app's address as other machines reach it (qBittorrent's "on torrent finished" call).
APP_URL = str(_env("APP_URL", str, "http://127.0.0.1:8000")).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "corsheaders",
    "axes",
    "django_celery_beat",
    "django_celery_results",
    "core",
    "plexkiosk",
    "library",
    "downloads",
    "requests_app",
]

MIDDLEWARE = [
    # Outermost: its Server-Timing header counts the time of every middleware below.
    "plexkiosk.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer (WhiteNoise, CommonMiddleware), as its docs ask.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and fragments gzipped (a home page's 35 kB of HTML is ~4 kB on the wire), after
    # WhiteNoise, which sends its own pre-compressed static files. BREACH: see the class.
    "plexkiosk.middleware.PageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "plexkiosk.urls"
WSGI_APPLICATION = "plexkiosk.wsgi.application"
ASGI_APPLICATION = "plexkiosk.asgi.application"

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
                "plexkiosk.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASE_URL = _env("DATABASE_URL", str, f"sqlite:///{DATA_DIR / 'plexkiosk.sqlite3'}")
try:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
except Exception as exc:  # django-environ raises several types for a bad URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
DATABASES["default"]["CONN_MAX_AGE"] = _env("DATABASE_CONN_MAX_AGE", int, 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: wait for locks
    # instead of failing at once, and let readers run beside the writer (WAL).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django 6 makes https the default scheme of URL form fields; opt in now.
FORMS_URLFIELD_ASSUME_HTTPS = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username+address before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# The browser's language is used when it is one of LANGUAGES; else LANGUAGE_CODE.
LANGUAGE_CODE = _env("LANGUAGE_CODE", str, "en")
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _env("TIME_ZONE", str, "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(_env("STATIC_ROOT", str, str(DATA_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Security -----------------------------------------------------------------------
# Off by default: a home kiosk is usually reached over plain http on the LAN. Behind a
# TLS-terminating proxy set SECURE_SSL=true (secure cookies, X-Forwarded-Proto trusted).
SECURE_SSL = _env("SECURE_SSL", bool, False)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = _env("SECURE_SSL_REDIRECT", bool, False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_SSL else None
SECURE_HSTS_SECONDS = _env("SECURE_HSTS_SECONDS", int, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env("SECURE_HSTS_INCLUDE_SUBDOMAINS", bool, False)
SECURE_HSTS_PRELOAD = _env("SECURE_HSTS_PRELOAD", bool, False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = _env("SILENCED_SYSTEM_CHECKS", list, [])

# Cross-origin API use is closed unless origins are listed; never with the session cookie,
# so another site can at most use a token its user pasted into it.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False

# Failed logins (kiosk page, admin) lock that username from that address for a while.
AXES_FAILURE_LIMIT = _env("LOGIN_FAILURE_LIMIT", int, 5)
AXES_COOLOFF_TIME = _env("LOGIN_COOLOFF_MINUTES", int, 15) / 60  # hours, as axes reads it
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= 0:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be above 0")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "plexkiosk.lockout.lockout_response"
# The client's address is the socket's unless proxies are declared: X-Forwarded-For is
# whatever a client wants it to be, so trusting it unasked would let anyone dodge the lock.
TRUSTED_PROXY_COUNT = _env("TRUSTED_PROXY_COUNT", int, 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
AXES_CLIENT_IP_CALLABLE = "plexkiosk.lockout.client_address"

# --- REST API -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pages",
    "PAGE_SIZE": 20,
    # API_RATE_USER holds for every API call of a person (creation has its own rate too).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": _env("API_RATE_USER", str, "600/minute"),
        "request_create": _env("API_RATE_REQUEST_CREATE", str, "30/minute"),
        # qBittorrent's "torrent finished" calls, by address (downloads.api.DownloadFinished).
        "qbittorrent_hook": _env("API_RATE_QBITTORRENT_HOOK", str, "120/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Plex Kiosk API",
    "DESCRIPTION": "Request movies and TV seasons; follow them into Plex.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {"RequestStatusEnum": "requests_app.models.Status"},
}

# --- Celery -------------------------------------------------------------------------
# Read by plexkiosk/celery.py through `config_from_object(..., namespace="CELERY")`.
CELERY_BROKER_URL = _env("CELERY_BROKER_URL", str, "filesystem://")
BROKER_DIR = DATA_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers a message not acked within visibility_timeout; it must exceed
    # the longest task (hard limit 3600 s) plus the longest retry countdown.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _env("CELERY_VISIBILITY_TIMEOUT", int, 7200),
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # A Redis down, blackholed or hung must not hold a page: without socket timeouts
        # redis-py waits for ever, and a save that queues a task never answers.
        _broker_timeout = _bounded("CELERY_BROKER_TIMEOUT", float, 3, low=0.5, high=60)
        CELERY_BROKER_TRANSPORT_OPTIONS |= {
            "socket_connect_timeout": _broker_timeout,
            "socket_timeout": _broker_timeout,
        }
# On Redis each worker says it is alive this often; one silent for
# WORKER_DEAD_AFTER_SECONDS is dead, and the others give the messages it held back to
# their queues at once, not after the visibility timeout (plexkiosk/worker_recovery.py).
# RabbitMQ needs none of it: it requeues a dead consumer's messages when its connection drops.
WORKER_HEARTBEAT_SECONDS = _bounded("WORKER_HEARTBEAT_SECONDS", int, 10, low=1, high=300)
WORKER_DEAD_AFTER_SECONDS = _bounded("WORKER_DEAD_AFTER_SECONDS", int, 30, low=3, high=3600)
if WORKER_DEAD_AFTER_SECONDS < 2 * WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "WORKER_DEAD_AFTER_SECONDS must be at least twice WORKER_HEARTBEAT_SECONDS"
    )
CELERY_TIMEZONE = TIME_ZONE
# django-celery-results ("django-db"), whose *started* mark cannot fail a task.
CELERY_RESULT_BACKEND = "plexkiosk.results:DatabaseBackend"
CELERY_RESULT_EXTENDED = True
# No result_expires: beat would then install its own `celery.backend_cleanup` row. The
# `cleanup-expired-results` row (plexkiosk.tasks) owns expiry, with this retention.
CELERY_RESULT_EXPIRES = None
TASK_RESULT_RETENTION_DAYS = _env("TASK_RESULT_RETENTION_DAYS", int, 7)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Kept empty on purpose: beat upserts this setting over admin edits at every start.
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_TASK_ALWAYS_EAGER = False
TEMP_DIR = DATA_DIR / "tmp"
TEMP_FILE_MAX_AGE_HOURS = _env("TEMP_FILE_MAX_AGE_HOURS", int, 24)

# --- External services (used by the library, downloads and requests apps) -------------
PLEX_URL = str(_env("PLEX_URL", str, "")).rstrip("/")
PLEX_TOKEN = _env("PLEX_TOKEN", str, "")
PLEX_TIMEOUT = _bounded("PLEX_TIMEOUT", float, 30.0, low=0.1, high=3600)
PLEX_PAGE_SIZE = _bounded("PLEX_PAGE_SIZE", int, 1000, low=1, high=10_000)
PLEX_PATH_MAP = parse_path_map(_env("PLEX_PATH_MAP", str, ""))
# Where "Play in Plex" links point: Plex's web app (it hands over to the app on phones and
# tablets), or the server's own, e.g. http://plex.lan:32400/web/index.html.
PLEX_WEB_URL = str(_env("PLEX_WEB_URL", str, "https://app.plex.tv/desktop")).rstrip("/")
if not PLEX_WEB_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PLEX_WEB_URL must be an http(s) URL, not {PLEX_WEB_URL!r}")
QBITTORRENT_URL = _env("QBITTORRENT_URL", str, "")
QBITTORRENT_USERNAME = _env("QBITTORRENT_USERNAME", str, "admin")
QBITTORRENT_PASSWORD = _env("QBITTORRENT_PASSWORD", str, "")
QBITTORRENT_CATEGORY = _env("QBITTORRENT_CATEGORY", str, "plexkiosk")
# plex.tv (sign in with Plex, the household's users) and its watchlist service; the
# simulator (plexkiosk/simulators/plextv/) serves all three on one port.
PLEX_TV_URL = str(_env("PLEX_TV_URL", str, "https://plex.tv")).rstrip("/")
_DISCOVER = "https://discover.provider.plex.tv"
PLEX_DISCOVER_URL = str(_env("PLEX_DISCOVER_URL", str, _DISCOVER)).rstrip("/")
PLEX_AUTH_APP_URL = str(_env("PLEX_AUTH_APP_URL", str, "https://app.plex.tv/auth")).rstrip("/")
PLEX_TV_TIMEOUT = _bounded("PLEX_TV_TIMEOUT", float, 10.0, low=0.1, high=300)
for _name in ("PLEX_TV_URL", "PLEX_DISCOVER_URL", "PLEX_AUTH_APP_URL"):
    # Plex tokens are sent there: only to an http(s) address, and never inside it.
    if not re.fullmatch(r"https?://[^\s/@?#]+(/[^\s?#]*)?", globals()[_name]):
        # The value is not repeated: a URL with a user or a query may hold a secret.
        raise ImproperlyConfigured(f"{_name} must be an http(s) URL with no user, ? or #")
# Encrypts the Plex tokens kept in the database; empty: a key derived from SECRET_KEY.
PLEX_TOKEN_KEY = _env("PLEX_TOKEN_KEY", str, "")
if PLEX_TOKEN_KEY and len(PLEX_TOKEN_KEY) < 32:
    raise ImproperlyConfigured(
        "PLEX_TOKEN_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)"
    )
TMDB_API_KEY = _env("TMDB_API_KEY", str, "")
TMDB_URL = _env("TMDB_URL", str, "https://api.themoviedb.org/3")
TMDB_TIMEOUT = _env("TMDB_TIMEOUT", float, 8.0)
# Optional AI tie-break among the best acceptable releases (downloads/llm.py): any
# OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama. Off when empty.
LLM_URL = _env("LLM_URL", str, "")
LLM_MODEL = _env("LLM_MODEL", str, "")
LLM_API_KEY = _env("LLM_API_KEY", str, "")
LLM_TIMEOUT = _env("LLM_TIMEOUT", float, 10.0)
DOWNLOADS_DIR = Path(_env("DOWNLOADS_DIR", str, str(DATA_DIR / "downloads")))
MOVIES_DIR = Path(_env("MOVIES_DIR", str, str(DATA_DIR / "media" / "Movies")))
TV_DIR = Path(_env("TV_DIR", str, str(DATA_DIR / "media" / "TV")))
TRANSFER_MODE = _choice("TRANSFER_MODE", "hardlink", ("hardlink", "copy", "move"))
NOTIFY_URLS = _env("NOTIFY_URLS", list, [])
DOWNLOAD_STALL_TIMEOUT = _env("DOWNLOAD_STALL_TIMEOUT", int, 6 * 3600)
DOWNLOAD_NO_SEEDERS_TIMEOUT = _env("DOWNLOAD_NO_SEEDERS_TIMEOUT", int, 3600)
# The secret qBittorrent sends when a torrent finishes (POST /api/v1/downloads/finished/,
# the line `manage.py qbittorrent_hook --show` prints); empty: one derived from SECRET_KEY.
QBITTORRENT_HOOK_TOKEN = (
    _env("QBITTORRENT_HOOK_TOKEN", str, "")
    or hashlib.sha256(f"plexkiosk:qbittorrent-hook:{SECRET_KEY}".encode()).hexdigest()
)
_hook_chars = QBITTORRENT_HOOK_TOKEN.replace("-", "").replace("_", "")
if len(QBITTORRENT_HOOK_TOKEN) < 24 or not (_hook_chars.isascii() and _hook_chars.isalnum()):
    # It travels in qBittorrent's command line, which splits on spaces and quotes.
    raise ImproperlyConfigured(
        "QBITTORRENT_HOOK_TOKEN must be 24 or more letters, digits, - or _ "
        "(e.g. `openssl rand -hex 32`)"
    )
# Workers write that line into qBittorrent's options at start-up (else the admin does).
QBITTORRENT_SET_HOOK = _env("QBITTORRENT_SET_HOOK", bool, False)
SEED_RATIO_LIMIT = _env("SEED_RATIO_LIMIT", float, 2.0)
SEED_DAYS_LIMIT = _env("SEED_DAYS_LIMIT", int, 14)
# Set by `manage.py demo` only: shows a banner saying the services are simulated.
SIMULATED_SERVICES = _env("SIMULATED_SERVICES", bool, False)

# --- Requests -----------------------------------------------------------------------
REQUESTS_NEED_APPROVAL = _env("REQUESTS_NEED_APPROVAL", bool, True)
REQUEST_QUOTA_MOVIES = _env("REQUEST_QUOTA_MOVIES", int, 10)
REQUEST_QUOTA_SEASONS = _env("REQUEST_QUOTA_SEASONS", int, 10)
REQUEST_QUOTA_DAYS = _env("REQUEST_QUOTA_DAYS", int, 7)
REQUEST_MAX_FAILOVERS = _env("REQUEST_MAX_FAILOVERS", int, 3)
# A season on the air reads TMDB again at least this often, for air dates that moved.
TV_AIRING_CHECK_MINUTES = _bounded("TV_AIRING_CHECK_MINUTES", int, 360, low=1, high=7 * 24 * 60)

# --- Kiosk pages --------------------------------------------------------------------
# Posters and backdrops the pages show, fetched from TMDB once and kept here.
IMAGE_CACHE_DIR = Path(_env("IMAGE_CACHE_DIR", str, str(DATA_DIR / "images")))
IMAGE_CACHE_MAX_MB = _bounded("IMAGE_CACHE_MAX_MB", int, 500, low=1, high=1_000_000)
# A shared wall tablet logs its person out after this many idle minutes (0: never).
KIOSK_IDLE_MINUTES = _bounded("KIOSK_IDLE_MINUTES", float, 0, low=0, high=24 * 60)

# --- Error mail ---------------------------------------------------------------------
# Server errors (a page's 500, a task failing for good) are mailed to these addresses,
# secrets masked (core.log_redaction.RedactingAdminEmailHandler). Empty: no mail.
try:
    ADMINS = [("", address.strip()) for address in _env("ADMINS", list, []) if address.strip()]
    EMAIL_CONFIG = env.email_url_config(_env("EMAIL_URL", str, "smtp://localhost:25"))
except Exception as exc:
    raise ImproperlyConfigured(f"ADMINS or EMAIL_URL: {exc}") from exc
vars().update(EMAIL_CONFIG)  # EMAIL_BACKEND, EMAIL_HOST…, as django-environ documents
SERVER_EMAIL = DEFAULT_FROM_EMAIL = _env("SERVER_EMAIL", str, "plexkiosk@localhost")
EMAIL_SUBJECT_PREFIX = "[Plex Kiosk] "
EMAIL_TIMEOUT = 10

# --- Cache and logging --------------------------------------------------------------
try:
    CACHES = {"default": env.cache_url_config(_env("CACHE_URL", str, "locmemcache://"))}
except Exception as exc:
    raise ImproperlyConfigured(f"CACHE_URL is not a cache URL: {exc}") from exc

LOG_LEVEL = _choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
LOG_FORMAT = _choice("LOG_FORMAT", "text", ("text", "json"))
# Error reports (the DEBUG page, admin e-mails) mask tokens Django's own filter misses.
DEFAULT_EXCEPTION_REPORTER = "core.log_redaction.RedactingExceptionReporter"
# And hide local variables named like secrets (a person's Plex token, a Home PIN).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.log_redaction.RedactingReporterFilter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # One JSON object a line, with the extra fields (request_id, task_id, duration).
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # Libraries log URLs with API keys and tokens at DEBUG: mask them before any handler.
    "filters": {
        "redact_secrets": {"()": "core.log_redaction.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secrets"],
        },
        # Its own masking (subject, body and report), so it needs no filter that would
        # strip the traceback from the record before the report is made.
        "mail_admins": {
            "class": "core.log_redaction.RedactingAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's own `django` handlers: its console one duplicated the root's.
        "django": {"handlers": ["mail_admins"], "level": LOG_LEVEL},
        # A task that failed for good (after its retries) is logged here at ERROR.
        "celery.app.trace": {"handlers": ["mail_admins"], "level": LOG_LEVEL},
        # urllib3 logs full URLs at DEBUG, and some carry API keys in the query string.
        "urllib3": {"level": "WARNING"},
        # django-axes logs every login at INFO; its lockouts (WARNING) are what matter.
        "axes": {"level": "WARNING"},
    },
}
