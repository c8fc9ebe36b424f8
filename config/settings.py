"""The one settings module, driven by environment variables.

Development defaults are safe and need nothing installed (SQLite, eager Celery, console e-mail).
`DJANGO_ENV=production` insists on what production needs and refuses to start without it.
Every variable is listed in the README.
"""

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from operations.jobs import BEAT_SCHEDULE  # the job registry: plain data, importable before the apps load

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, production or test")
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"

DEBUG = env_bool("DEBUG", default=not PRODUCTION and DJANGO_ENV != "test")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be switched on when DJANGO_ENV=production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# In development without SITE_URL, absolute links follow the address served (config/site_url.py); jobs keep SITE_URL.
SITE_URL_FROM_REQUEST = DEBUG and not env_str("SITE_URL")

INSTALLED_APPS = [
    "config.apps.ConsoleAdminConfig",  # Django's admin on the console's site: every ModelAdmin asks authority
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "dsfr",
    "widget_tweaks",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "core",
    "accounts",
    "api",
    "directory",
    "sites",
    "missions",
    "billing",
    "prosante",
    "planning",
    "demarches",
    "installation",
    "notifications",
    "operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.site_url.SiteUrlMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

if DEBUG:  # our 404 page, not Django's technical one (config/not_found.py)
    MIDDLEWARE.insert(
        MIDDLEWARE.index("config.site_url.SiteUrlMiddleware") + 1, "config.not_found.OwnNotFoundMiddleware"
    )

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# The admin's history is read-only: a « Rétablir » would move a booking, a doctor or a statement back without the
# service of that transition (config/admin_authority.py also refuses a POST to a past version's page).
SIMPLE_HISTORY_REVERT_DISABLED = True
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 600 if PRODUCTION else 0),
            conn_health_checks=True,
        )
    }
    # Parameters bound by the server, and statements the connection runs often prepared once: PostgreSQL then
    # skips parsing and planning them (the booking transaction's planning cost more than its execution).
    # DB_PREPARE_THRESHOLD=none turns preparation off, for a transaction-mode pooler (PgBouncer) in between.
    # JIT compilation off: it pays off for long analytical scans, not for the short queries of a web request
    # (on the national data set it once spent 5.8 s compiling a billing query that then ran in 1 s).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # DATABASE_URL may also name SQLite
        _prepare = env_str("DB_PREPARE_THRESHOLD", "5").lower()
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options.update(
            server_side_binding=True,
            prepare_threshold=None if _prepare in {"", "none", "off"} else int(_prepare),
            options=f"{_options.get('options', '')} -c jit=off".strip(),
        )
else:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL (PostgreSQL) is required when DJANGO_ENV=production")
    SQLITE_PATH = Path(env_str("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")))
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                # Immediate transactions serialise writers: the booking rules hold on SQLite too.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production requires a PostgreSQL DATABASE_URL")
if env_str("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without stepping on each other.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis unreachable costs a request at most a second: the throttles then let it through (and log).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# A commit that enqueues mail asks for a relay unless one is already queued and not yet started (flag in the
# cache, which the web processes and the workers must share: Redis). 0 turns this off.
OUTBOX_RELAY_DEBOUNCE_SECONDS = env_int("OUTBOX_RELAY_DEBOUNCE_SECONDS", 30 if REDIS_URL and CELERY_BROKER_URL else 0)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# A task never outlives the visibility timeout (Redis would hand it to a second worker meanwhile).
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The queue the app publishes to and workers consume: one name per deployment sharing a Redis database.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# The schedule is code, derived from the job registry (operations/jobs.py); beat's default scheduler keeps the
# last run of each entry in this small file (give beat a persistent, writable path in production).
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
CELERY_BEAT_SCHEDULER = "celery.beat:PersistentScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))

# --- E-mail -----------------------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mails"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Un médecin près de chez vous <ne-pas-repondre@ars.sante.fr>")
ARS_CONTACT_EMAIL = env_str("ARS_CONTACT_EMAIL", "ars-solidarite-medicale@ars.sante.fr")
# Retention (the `retention` job): recorded idempotent responses, bodies of sent messages, sent messages.
IDEMPOTENCY_RETENTION_DAYS = env_int("IDEMPOTENCY_RETENTION_DAYS", 7)
OUTBOX_SENT_BODY_RETENTION_DAYS = env_int("OUTBOX_SENT_BODY_RETENTION_DAYS", 30)
OUTBOX_SENT_RETENTION_DAYS = env_int("OUTBOX_SENT_RETENTION_DAYS", 365)
# 10 attempts with the relay's growing delays (1, 5, 15, 30 min, 1, 2, 4, 8, 12 h): about 28 hours before `failed`.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)

# --- The mission's rules (DESIGN.md §3) ----------------------------------------------------------------------
MAX_DAYS_PER_MONTH = Decimal(env_str("MAX_DAYS_PER_MONTH", "2"))
BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 180)
LATE_CANCEL_HOURS = env_int("LATE_CANCEL_HOURS", 48)
CONFIRM_REMINDER_DAYS = env_int("CONFIRM_REMINDER_DAYS", 3)
# R8: who pays the flat rate. "doctor" = the CPAM of the doctor's main practice (CPAM de rattachement).
FLAT_RATE_PAYER = env_str("FLAT_RATE_PAYER", "doctor")

# --- Pro Santé Connect (prosante/): OpenID Connect login of health professionals -------------------------------
# The client the ARS (or its operator) obtains through the ANS enrolment (README « Pro Santé Connect »). Without all
# three, the button is hidden and the pages answer 404: password login is unchanged.
PSC_CLIENT_ID = env_str("PSC_CLIENT_ID")
PSC_CLIENT_SECRET = env_str("PSC_CLIENT_SECRET")
PSC_DISCOVERY_URL = env_str("PSC_DISCOVERY_URL")
PSC_TIMEOUT_SECONDS = env_int("PSC_TIMEOUT_SECONDS", 10)
# --- Démarches Simplifiées (README « Démarches Simplifiées »): hidden when DS_API_TOKEN or DS_DEMARCHE_NUMBER is unset
DS_API_URL = env_str("DS_API_URL", "https://www.demarches-simplifiees.fr/api/v2/graphql")
DS_API_TOKEN = env_str("DS_API_TOKEN")  # a secret: never logged, never shown (demarches.client)
DS_DEMARCHE_NUMBER = env_int("DS_DEMARCHE_NUMBER", 0)
DS_INSTRUCTEUR_ID = env_str("DS_INSTRUCTEUR_ID")  # the instructeur (a Profile id) deciding in DS; unset: no write-back
DS_FIELD_MAP = env_str("DS_FIELD_MAP", str(BASE_DIR / "data" / "demarches" / "field_map.toml"))
DS_WEBHOOK_SECRET = env_str("DS_WEBHOOK_SECRET")  # the last part of the webhook's URL; unset: no webhook
DS_TIMEOUT_SECONDS = env_int("DS_TIMEOUT_SECONDS", 30)

# --- Internationalisation ----------------------------------------------------------------------------------
LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the application itself (no CDN) -----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Files the application produces (the statements' XLSX and PDF, billing.exports.background): written by the Celery
# workers, read by the web processes, so one directory both reach (a shared volume in production). Never served by
# URL: every download goes through a view that asks accounts/authority.py. Keep it out of the reverse proxy's root.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/fichiers-non-publics/"  # required by FileField; nothing is routed there
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.static_files.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Auth --------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True

# --- API -----------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("THROTTLE_TOKEN", "10/min"),
        "registration": env_str("THROTTLE_REGISTRATION", "5/hour"),
    },
    # Throttles count per client address: the same trusted-proxy count as the lockout (TRUSTED_PROXY_COUNT below);
    # 0 = REMOTE_ADDR, never a client-supplied X-Forwarded-For.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API « Un médecin près de chez vous »",
    "DESCRIPTION": (
        "API v1 de la mission de solidarité territoriale des médecins. JSON ; listes paginées "
        "`{count, next, previous, results}` ; dates ISO 8601. Authentification : `POST /api/v1/auth/token/` "
        "puis l'en-tête `Authorization: Token <jeton>`, ou la session (avec le jeton CSRF). Erreurs : 400 "
        "`{champ: [messages]}`, 401 sans identifiants, 403 rôle non autorisé, 404 objet invisible, 409 "
        "`{code, detail}` refus d'une règle métier, 429 trop de requêtes."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    # Swagger UI served by the application (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PeriodEnum": "sites.models.Period",
        "SlotStatusEnum": "sites.models.SlotStatus",
        "BookingStatusEnum": "missions.models.BookingStatus",
        "DoctorStatusEnum": "missions.models.DoctorStatus",
        "StatementStatusEnum": "billing.models.StatementStatus",
    },
}

# --- Design system -------------------------------------------------------------------------------------------
DSFR_USE_INTEGRITY_CHECKSUMS = False

# --- Security (README « Sécurité »): CSP, second factor, lockout, cookies --------------------------------------
# Installed here, next to their settings, so the blocks above stay readable; the order in MIDDLEWARE matters.
from datetime import timedelta  # noqa: E402

from config.security import content_security_policy  # noqa: E402

INSTALLED_APPS.insert(INSTALLED_APPS.index("accounts"), "axes")  # before accounts: see accounts/lockout.py
INSTALLED_APPS += ["csp", "django_otp", "django_otp.plugins.otp_totp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
_auth_at = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE[_auth_at + 1 : _auth_at + 1] = [
    "django_otp.middleware.OTPMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "accounts.audit.AccessLogMiddleware",
    "config.cache_control.PersonalDataNoStoreMiddleware",
]
MIDDLEWARE.insert(MIDDLEWARE.index("csp.middleware.CSPMiddleware") + 1, "config.security_input.BodySizeLimitMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("config.security_input.BodySizeLimitMiddleware") + 1,
    "config.security_input.BadCharactersMiddleware",
)
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
TEMPLATES[0]["OPTIONS"]["context_processors"].append("csp.context_processors.nonce")
# The « S'identifier avec Pro Santé Connect » button on the login and registration pages, when configured.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("prosante.context_processors.pro_sante_connect")
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Request bodies: 1 MB at most (nothing we accept comes near; the zones CSV is loaded from the command line).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["config.security_input.StrictJSONParser"]

CONTENT_SECURITY_POLICY = content_security_policy(
    report_uri=env_str("CSP_REPORT_URI"), upgrade_insecure_requests=PRODUCTION
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Our pages carry the CSRF token in their forms (and Swagger UI in its page); no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Second factor (django-otp, TOTP): mandatory for ARS staff and superusers, everywhere unless switched off
# outside production (OTP_REQUIRED=false). The demo accounts carry a TOTP device with a published secret.
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=True)
if PRODUCTION and not OTP_REQUIRED:
    raise ImproperlyConfigured("OTP_REQUIRED cannot be switched off when DJANGO_ENV=production")
OTP_TOTP_ISSUER = "Un médecin près de chez vous"
OTP_TOTP_THROTTLE_FACTOR = 1

# Lockout (django-axes): after AXES_FAILURE_LIMIT failed logins for one e-mail from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES, on the web login, the admin login and the API token endpoint alike.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "otp_token", "token"]
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# How many reverse proxies append to X-Forwarded-For in front of the app (0: trust REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)

# --- Production hardening ---------------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Passwords, tokens and Authorization headers never reach a log line (accounts/log_scrubbing.py).
    "filters": {"scrub_secrets": {"()": "accounts.log_scrubbing.ScrubSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub_secrets"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts; not every successful login
        # Django's own handlers would bypass the filter above: route its loggers through ours only.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
