"""The one settings module. Every value comes from the environment; with none set, embedded defaults apply.

See README.md ("Configuration") for each variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from mutualaid.project import embedded
from mutualaid.project.dburl import parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("MUTUALAID_ENV", "development")
PRODUCTION = ENV == "production"
HOME = embedded.home()


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _required_in_production(name: str) -> str | None:
    value = _env(name)
    if PRODUCTION and not value:
        raise ImproperlyConfigured(f"{name} must be set when MUTUALAID_ENV=production")
    return value


_secret_key = _required_in_production("SECRET_KEY")
_field_key = _required_in_production("FIELD_ENCRYPTION_KEY")
_lookup_key = _required_in_production("LOOKUP_HASH_KEY")
_database_url = _required_in_production("DATABASE_URL")
_broker_url = _required_in_production("CELERY_BROKER_URL")

if not (_secret_key and _field_key and _lookup_key):
    _generated = embedded.generated_secrets()
    _secret_key = _secret_key or _generated["SECRET_KEY"]
    _field_key = _field_key or _generated["FIELD_ENCRYPTION_KEY"]
    _lookup_key = _lookup_key or _generated["LOOKUP_HASH_KEY"]

SECRET_KEY = _secret_key
FIELD_ENCRYPTION_KEY = _field_key  # ID and phone numbers: AES-256-GCM key derived from it (Fernet before)
LOOKUP_HASH_KEY = _lookup_key  # HMAC key for look-ups of encrypted values

DEBUG = _env("DEBUG", "0" if PRODUCTION else "1") == "1"

# Production refuses what would make it unsafe rather than warning about it.
_PLACEHOLDER_SECRETS = {"change-me", "changeme", "secret", "secret-key", "insecure", "development", "dev"}


def _weak_secret(value: str) -> str | None:
    """Why ``value`` is not a production SECRET_KEY (Django's own test for --deploy, plus placeholders)."""
    if value.strip().lower() in _PLACEHOLDER_SECRETS or value.startswith("django-insecure-"):
        return "a placeholder or Django's generated development key"
    if len(value) < 50 or len(set(value)) < 5:
        return "shorter than 50 characters or fewer than 5 different characters"
    return None


if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when MUTUALAID_ENV=production")
    if (_weakness := _weak_secret(SECRET_KEY)) is not None:
        raise ImproperlyConfigured(f"SECRET_KEY is not fit for production: {_weakness}")
BASE_DOMAIN = _env("MUTUALAID_BASE_DOMAIN", "localhost")
# Where people reach the platform (printed addresses of towns); `serve` sets it from its own port.
PUBLIC_URL = (_env("MUTUALAID_PUBLIC_URL") or f"http://{BASE_DOMAIN}:8000").rstrip("/")
ALLOWED_HOSTS = (_env("ALLOWED_HOSTS") or f"{BASE_DOMAIN},.{BASE_DOMAIN},127.0.0.1,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in (_env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]

# --- tenancy (django-tenants: one PostgreSQL schema per town) ---------------------------------------------
SHARED_APPS = [
    # Before django_tenants: its admin index/app_list templates read ``request.tenant.schema_name``, and the
    # public site (where the admin lives) has no tenant, so with them every admin page was a 500.
    "django.contrib.admin",
    "django_tenants",
    "mutualaid.project",
    "mutualaid.platform",
    "mutualaid.platform.regions",
    "mutualaid.platform.accounts",
    "mutualaid.platform.audit",
    "mutualaid.tenants",
    "mutualaid.drg",
    "mutualaid.enrolment_index",
    "mutualaid.claims_queue",
    "mutualaid.reporting",
    "mutualaid.web",
    "django_htmx",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "graphene_django",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "mutualaid.platform.audit",
    "mutualaid.policies",
    "mutualaid.funds",
    "mutualaid.enrolment",
    "mutualaid.claims",
    "mutualaid.payouts",
    "mutualaid.disclosure",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Town"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_TEMPLATE_SCHEMA = "town_template"  # migrated once, cloned for every new town
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "mutualaid.project.urls_public"
TOWN_URLCONF = "mutualaid.project.urls_town"
ROOT_URLCONF = PUBLIC_SCHEMA_URLCONF
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

_database = parse_database_url(
    _database_url or embedded.embedded_database_url(), "django_tenants.postgresql_backend"
)
_database["CONN_MAX_AGE"] = int(_env("DATABASE_CONN_MAX_AGE", "0") or 0)
# A kept connection is checked before a request reuses it: after a database restart the request reconnects
# instead of failing on the dead connection.
_database["CONN_HEALTH_CHECKS"] = _database["CONN_MAX_AGE"] > 0
_database["TEST"] = {"NAME": _env("TEST_DATABASE_NAME", "test_mutualaid")}
DATABASES = {"default": _database}
# Parallel migrations of town schemas open at most this many connections at once.
MIGRATE_CONCURRENCY = int(_env("MUTUALAID_MIGRATE_CONCURRENCY", "4") or 4)

MIDDLEWARE = [
    "mutualaid.project.db_outage.DatabaseOutageMiddleware",  # outermost: a database outage is a typed 503
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mutualaid.project.middleware.TownRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mutualaid.web.middleware.ChineseByDefaultMiddleware",  # zh-hans unless the person chose English
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mutualaid.platform.accounts.middleware.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
            ]
        },
    }
]
WSGI_APPLICATION = "mutualaid.project.wsgi.application"

# --- accounts -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["mutualaid.platform.accounts.backends.ThrottledModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCESS_TOKEN_TTL_SECONDS = int(_env("ACCESS_TOKEN_TTL_SECONDS", "3600") or 3600)
REFRESH_TOKEN_TTL_SECONDS = int(_env("REFRESH_TOKEN_TTL_SECONDS", str(14 * 24 * 3600)) or 0)
LOGIN_FAILURE_LIMIT = int(_env("LOGIN_FAILURE_LIMIT", "5") or 5)
LOGIN_FAILURE_WINDOW_SECONDS = int(_env("LOGIN_FAILURE_WINDOW_SECONDS", "900") or 900)
# After LOGIN_FAILURE_LIMIT failures of one account from one address, that address waits this long, doubling.
LOGIN_THROTTLE_BASE_DELAY_SECONDS = int(_env("LOGIN_THROTTLE_BASE_DELAY_SECONDS", "30") or 30)
LOGIN_THROTTLE_MAX_DELAY_SECONDS = int(_env("LOGIN_THROTTLE_MAX_DELAY_SECONDS", "900") or 900)
# Roster error reports (full ID numbers, encrypted at rest) are deleted this many days after their import.
ROSTER_ERROR_REPORT_RETENTION_DAYS = int(_env("ROSTER_ERROR_REPORT_RETENTION_DAYS", "7") or 7)
LOGIN_URL = "web-login"  # the web console's sign-in page (in the platform's and every town's URL conf)
SESSION_COOKIE_SAMESITE = "Lax"


def _flag(name: str, default: bool) -> bool:
    value = _env(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


# --- transport security: on in production unless the environment turns it off (plain HTTP on localhost) -------
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("SECURE_COOKIES", PRODUCTION)
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # readiness probes speak plain HTTP inside the cluster
SECURE_HSTS_SECONDS = int(_env("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0") or 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)  # towns are sub-domains
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", PRODUCTION)
# Behind a TLS-terminating proxy or ingress: the header it sets, e.g. HTTP_X_FORWARDED_PROTO (value "https").
_proxy_ssl_header = _env("SECURE_PROXY_SSL_HEADER")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None

# --- Celery ---------------------------------------------------------------------------------------------------
_broker_dir = HOME / "broker"
CELERY_BROKER_URL = _broker_url or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control in the working folder
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis: an unacknowledged task whose worker vanished whole is delivered again after this many seconds
        # (a killed pool process is re-queued at once: CELERY_TASK_REJECT_ON_WORKER_LOST).
        "visibility_timeout": int(_env("CELERY_VISIBILITY_TIMEOUT", "3600") or 3600),
    }
)
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir.mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True  # task state lives in domain rows (town status, import jobs)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# e.g. redis://redis:6379/2 (tasks ignore their results by default; task state lives in domain rows)
CELERY_RESULT_BACKEND = _env("CELERY_RESULT_BACKEND")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs run by ``celery beat`` (one beat process per deployment). Apps add entries here; an empty schedule is
# valid. MUTUALAID_HEARTBEAT_SECONDS adds an idempotent heartbeat (the fault runs count its runs per slot).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Roster error reports past their retention and uploads of finished imports are deleted, daily.
    "enrolment-purge-roster-files": {
        "task": "enrolment.purge_roster_files",
        "schedule": crontab(minute="15", hour="3"),
    },
    # Participation's change rows below the oldest running transaction are pruned, daily.
    "enrolment-prune-participation-changes": {
        "task": "enrolment.prune_participation_changes",
        "schedule": crontab(minute="45", hour="3"),
    },
    # Each town's payout batch of last month's approved subsidies, at 01:00 on the 1st (idempotent per town/month).
    "payouts-monthly-batches": {
        "task": "payouts.prepare_monthly_batches",
        "schedule": crontab(minute="0", hour="1", day_of_month="1"),
    },
    # Each town's draft disclosure of last month, at 02:00 on the 2nd (idempotent per town/month).
    "disclosure-monthly-drafts": {
        "task": "disclosure.draft_monthly_disclosures",
        "schedule": crontab(minute="0", hour="2", day_of_month="2"),
    },
    # Supervision rollups: every town nightly, month-end snapshots on the 1st, quarterly report reminders daily.
    "reporting-nightly-rollups": {
        "task": "reporting.refresh_all_rollups",
        "schedule": crontab(minute="30", hour="2"),
    },
    "reporting-monthly-snapshots": {
        "task": "reporting.monthly_snapshots",
        "schedule": crontab(minute="0", hour="3", day_of_month="1"),
    },
    "reporting-report-reminders": {
        "task": "reporting.quarterly_report_reminders",
        "schedule": crontab(minute="0", hour="9"),
    },
}
if _env("MUTUALAID_HEARTBEAT_SECONDS"):
    _heartbeat = float(_env("MUTUALAID_HEARTBEAT_SECONDS") or 60)
    CELERY_BEAT_SCHEDULE["heartbeat"] = {
        "task": "project.heartbeat",
        "schedule": _heartbeat,
        "kwargs": {"period": _heartbeat},
        "options": {"expires": _heartbeat},  # a tick missed while no worker ran is not run late
    }

# --- external services behind interfaces ------------------------------------------------------------------------
# Development writes messages to $MUTUALAID_HOME/sms/outbox.jsonl (`mutualaid sms outbox` shows them); the test
# suite records them in memory; production plugs in its gateway's adapter.
SMS_BACKEND = _env("SMS_BACKEND") or (
    "mutualaid.platform.sms.RecordingSmsBackend"
    if PRODUCTION or "pytest" in sys.modules
    else "mutualaid.platform.sms.FileSmsBackend"
)
# Aliyun SMS (SMS_BACKEND=mutualaid.platform.sms_aliyun.AliyunSmsBackend): see that module for each setting.
SMS_ALIYUN_ACCESS_KEY_ID = _env("SMS_ALIYUN_ACCESS_KEY_ID")
SMS_ALIYUN_ACCESS_KEY_SECRET = _env("SMS_ALIYUN_ACCESS_KEY_SECRET")
SMS_ALIYUN_SIGN_NAME = _env("SMS_ALIYUN_SIGN_NAME")
# JSON list: [{"code": "SMS_1", "pattern": "验证码(?P<code>\\d{6})"}]; named groups are the template's parameters
SMS_ALIYUN_TEMPLATES = _env("SMS_ALIYUN_TEMPLATES", "[]")
SMS_ALIYUN_DEFAULT_TEMPLATE = _env("SMS_ALIYUN_DEFAULT_TEMPLATE")
SMS_ALIYUN_ENDPOINT = _env("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
SMS_ALIYUN_REGION = _env("SMS_ALIYUN_REGION", "cn-hangzhou")
SMS_ALIYUN_MAX_ATTEMPTS = int(_env("SMS_ALIYUN_MAX_ATTEMPTS", "3") or 3)
SMS_ALIYUN_BACKOFF_SECONDS = float(_env("SMS_ALIYUN_BACKOFF_SECONDS", "0.5") or 0.5)
SMS_ALIYUN_TIMEOUT_SECONDS = float(_env("SMS_ALIYUN_TIMEOUT_SECONDS", "5") or 5)

# --- caches (keys are tenant-prefixed) ----------------------------------------------------------------------------
_redis_cache = _env("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_cache}
        if _redis_cache
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
    | {
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# --- i18n -----------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# The web console's English catalogue: mutualaid/web/locale/*.po compiled here at start (no gettext needed).
LOCALE_PATHS = [HOME / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": HOME / "media"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files (claim documents, roster files): local disk by default, an S3-compatible bucket (django-storages)
# when MUTUALAID_S3_BUCKET is set. Private objects; links are signed.
if _env("MUTUALAID_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _env("MUTUALAID_S3_BUCKET"),
            "endpoint_url": _env("MUTUALAID_S3_ENDPOINT_URL") or None,
            "region_name": _env("MUTUALAID_S3_REGION") or None,
            "access_key": _env("MUTUALAID_S3_ACCESS_KEY_ID") or None,
            "secret_key": _env("MUTUALAID_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = True
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "mutualaid.project.vendor.VendorFinder",  # the npm files of package.json, never a CDN
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Claim documents (phone photos, PDFs): larger uploads are refused with a typed error.
# The CJK font embedded in payout printouts (PDF); Debian's fonts-noto-cjk by default (.ci/run installs it).
PAYOUTS_PDF_FONT = _env("PAYOUTS_PDF_FONT") or "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CLAIM_DOCUMENT_MAX_BYTES = int(_env("CLAIM_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)) or 10 * 1024 * 1024)

GRAPHENE = {"SCHEMA": "mutualaid.graphql.api.platform_schema", "ATOMIC_MUTATIONS": False}
# What one GraphQL request may ask for (typed errors QUERY_TOO_DEEP, TOO_MANY_ALIASES, QUERY_TOO_COSTLY).
GRAPHQL_MAX_DEPTH = int(_env("GRAPHQL_MAX_DEPTH", "10") or 10)
GRAPHQL_MAX_ALIASES = int(_env("GRAPHQL_MAX_ALIASES", "30") or 30)
GRAPHQL_MAX_COST = int(_env("GRAPHQL_MAX_COST", "20000") or 20000)
# Unmasked ID/phone numbers one user may be shown per window (counted in the audit log; over it: refused).
PERSONAL_DATA_READ_BUDGET = int(_env("PERSONAL_DATA_READ_BUDGET", "2000") or 0)
PERSONAL_DATA_READ_WINDOW_SECONDS = int(_env("PERSONAL_DATA_READ_WINDOW_SECONDS", "3600") or 3600)

# ID and phone numbers never reach the logs: the filter masks 18-digit IDs and 11-digit mobiles.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "mutualaid.platform.logmask.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
