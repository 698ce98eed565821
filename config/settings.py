"""Safe Passage settings. Everything comes from the environment.

`SAFE_PASSAGE_ENV` is the one switch between production (the default) and
development. Production refuses to start without `SECRET_KEY` and sends every
cookie `Secure`; development keeps a generated secret in the ignored `.local/`.
The test suite runs on tests/settings.py, which imports these and overrides them:
nothing here is there for the tests.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(env_str("SAFE_PASSAGE_LOCAL_DIR", str(BASE_DIR / ".local")))

ENVIRONMENT = env_str("SAFE_PASSAGE_ENV", "production")
if ENVIRONMENT not in {"production", "development"}:
    raise ImproperlyConfigured("SAFE_PASSAGE_ENV must be production or development.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    SECRET_KEY = local_secret(LOCAL_DIR / "secret_key")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "core",
    "vault",
    "audit",
    "accounts",
    "evacuation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "vault.middleware.SessionKeyCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.staff_nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{LOCAL_DIR / 'safe_passage.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # secure_delete: deleted rows are zeroed in the file, not left for a seizure to read
        # (crypto-shredding deletes ciphertexts and keys; see core.db.scrub_deleted).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA secure_delete=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        # A seized database plus one staff password opens the organisation key: the password
        # is the last line, so it must be long (README: what a seized server yields).
        "OPTIONS": {"min_length": 16},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"

# Staff sessions: 30 minutes idle, gone at browser close.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_NAME = "sp_staff_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
CSRF_COOKIE_SAMESITE = "Strict"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = 63072000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Two-factor login (django-otp) and lockout (django-axes).
OTP_TOTP_ISSUER = "Safe Passage"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
# W006 warns that locking by username alone lets an attacker rotate user agents or
# cookies: neither changes the username, so the per-username lock still holds.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["username", "password"]
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION  # outside production, no collectstatic is needed
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(LOCAL_DIR / "media")))

# The checkpoint signing key is read by the audit signer alone (`manage.py audit_signer`, its own
# operating-system user in production); the web app and verification need only the public key.
AUDIT_SIGNING_KEY_FILE = env_str(
    "AUDIT_SIGNING_KEY_FILE", "" if PRODUCTION else str(LOCAL_DIR / "audit_signing_key.pem")
)
AUDIT_PUBLIC_KEY_FILE = env_str(
    "AUDIT_PUBLIC_KEY_FILE", "" if PRODUCTION else str(LOCAL_DIR / "audit_signing_key.pub.pem")
)
# Where the signer keeps the last head it signed: it signs only a chain that extends it.
AUDIT_SIGNER_STATE_DIR = env_str(
    "AUDIT_SIGNER_STATE_DIR", "" if PRODUCTION else str(LOCAL_DIR / "audit_signer")
)
# A checkpoint when this many events were appended, or this many seconds after an append, and
# at least once a day; verification fails when an event older than AUDIT_MAX_UNSIGNED_AGE is not
# covered by a signed checkpoint.
AUDIT_CHECKPOINT_EVERY = env_int("AUDIT_CHECKPOINT_EVERY", 1000)
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 300)
AUDIT_CHECKPOINT_DAILY_SECONDS = env_int("AUDIT_CHECKPOINT_DAILY_SECONDS", 24 * 3600)
AUDIT_MAX_UNSIGNED_AGE = env_int("AUDIT_MAX_UNSIGNED_AGE", 3600)

# Key derivation from passwords and receipt codes (Argon2id).
# Production needs >= 64 MiB, 3 passes (vault.E002 refuses less).
VAULT_ARGON2_MEMORY_KIB = env_int("VAULT_ARGON2_MEMORY_KIB", 64 * 1024)
VAULT_ARGON2_ITERATIONS = env_int("VAULT_ARGON2_ITERATIONS", 3)
VAULT_ARGON2_LANES = env_int("VAULT_ARGON2_LANES", 1)
VAULT_SESSION_COOKIE_NAME = "sp_vault_key"

# Casework rules.
# The largest single funding proposal, compared with the amount as entered (no exchange rates):
# only FUNDING_CURRENCIES, of about the euro's value, are offered, so 10000 means ~EUR 10,000.
try:
    FUNDING_CAP = Decimal(env_str("FUNDING_CAP", "10000"))
except ArithmeticError:  # decimal.InvalidOperation: not a number at all
    FUNDING_CAP = Decimal("NaN")
if not FUNDING_CAP.is_finite() or FUNDING_CAP <= 0:
    raise ImproperlyConfigured("FUNDING_CAP must be a positive amount, for example 10000.")
FUNDING_CURRENCIES = env_list("FUNDING_CURRENCIES", ["EUR", "USD"])
ASSESS_WITHIN_HOURS = env_int("ASSESS_WITHIN_HOURS", 24)
# How long the queue's per-state counts are reused (each worker process keeps its own copy).
QUEUE_COUNTS_SECONDS = env_int("QUEUE_COUNTS_SECONDS", 10)
STALE_AFTER_DAYS = env_int("STALE_AFTER_DAYS", 7)
RETENTION_DAYS = env_int("RETENTION_DAYS", 90)
UNTOUCHED_DAYS = env_int("UNTOUCHED_DAYS", 180)
RECENT_MESSAGE_DAYS = env_int("RECENT_MESSAGE_DAYS", 30)
FILE_MAX_BYTES = env_int("FILE_MAX_BYTES", 10 * 1024 * 1024)
CASE_FILES_MAX_BYTES = env_int("CASE_FILES_MAX_BYTES", 50 * 1024 * 1024)
# Each upload is cleaned in a child process (evacuation.file_sandbox) with these limits; keep the
# time well under gunicorn's worker timeout (30 s).
FILE_CLEAN_SECONDS = env_int("FILE_CLEAN_SECONDS", 15)
FILE_CLEAN_MEMORY_BYTES = env_int("FILE_CLEAN_MEMORY_BYTES", 1024 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = FILE_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = FILE_MAX_BYTES + 1024 * 1024
# Uploads stay in memory until they are cleaned and sealed: never a plaintext temporary file on
# disk. A larger upload is dropped by the handler and the view says it is too large.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# Rate limits (token buckets in the database, so they hold across workers).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.wikipedia.org/")
# Who runs this service, shown on the applicant's start page, and where a person can check that
# this is really its address (the organisation's own page that lists it, and the onion address).
ORGANISATION_NAME = env_str("ORGANISATION_NAME", "")
ORGANISATION_URL = env_str("ORGANISATION_URL", "")
ONION_ADDRESS = env_str("ONION_ADDRESS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Request logs would carry paths and addresses: Django's request logger stays quiet.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}

# The applicant's rate limits (core/ratelimit.py): token buckets that refill continuously, so
# a spent budget comes back a little at a time, never all at once at the end of a window.
# An intake and a receipt-code evaluation each cost one Argon2id (about 0.34 s of CPU at the
# production floor: two cores do about 6 a second), which sizes the budgets for everyone.
# Every count is at least 1; RATE_LIMITS_ENABLED above switches all of them off.
# - RATE_LIMIT_WINDOW_SECONDS: the time a source's allowance takes to refill from empty.
# - Intake: RATE_LIMIT_INTAKE_PER_SOURCE per window from one source; for everyone together
#   RATE_LIMIT_INTAKE_PER_SECOND, up to RATE_LIMIT_INTAKE_BURST at once.
# - Receipt codes: every evaluation spends everyone's RATE_LIMIT_LOOKUP_PER_SECOND (burst
#   RATE_LIMIT_LOOKUP_BURST). Only a wrong code spends its source's
#   RATE_LIMIT_CODE_FAILURES_PER_SOURCE per window; once that is spent the source still gets
#   RATE_LIMIT_CODE_TRICKLE_PER_MINUTE, so an applicant behind a shared address gets through.
# - A case's actions once the code was right (reading, replying, uploading):
#   RATE_LIMIT_CASE_ACTIONS per RATE_LIMIT_CASE_WINDOW_SECONDS per case.
# A source is the client's IPv4 address, or its IPv6 /64 (each Tor circuit on its own); it is
# kept only as 16 bits of a keyed hash. `manage.py prune_traces` (daily) drops full buckets.
RATE_LIMIT_WINDOW_SECONDS = env_int("RATE_LIMIT_WINDOW_SECONDS", 3600)
RATE_LIMIT_INTAKE_PER_SOURCE = env_int("RATE_LIMIT_INTAKE_PER_SOURCE", 10)
RATE_LIMIT_INTAKE_PER_SECOND = env_int("RATE_LIMIT_INTAKE_PER_SECOND", 6)
RATE_LIMIT_INTAKE_BURST = env_int("RATE_LIMIT_INTAKE_BURST", 60)
RATE_LIMIT_LOOKUP_PER_SECOND = env_int("RATE_LIMIT_LOOKUP_PER_SECOND", 6)
RATE_LIMIT_LOOKUP_BURST = env_int("RATE_LIMIT_LOOKUP_BURST", 60)
RATE_LIMIT_CODE_FAILURES_PER_SOURCE = env_int("RATE_LIMIT_CODE_FAILURES_PER_SOURCE", 30)
RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = env_int("RATE_LIMIT_CODE_TRICKLE_PER_MINUTE", 2)
RATE_LIMIT_CASE_ACTIONS = env_int("RATE_LIMIT_CASE_ACTIONS", 60)
RATE_LIMIT_CASE_WINDOW_SECONDS = env_int("RATE_LIMIT_CASE_WINDOW_SECONDS", 900)
# Behind a reverse proxy every request comes from the proxy's address. Name the header the proxy
# sets to the client's address (e.g. X-Real-IP; of a list, the last entry counts), and the
# per-source limits count by it instead. For onion visitors nginx passes on the address Tor's
# HiddenServiceExportCircuitID haproxy gave (PROXY protocol), one per circuit.
# Trusted only because the proxy overwrites it: the app must not be reachable around the proxy.
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "")

# bench: `make bench` installs a bare one-row view to measure the stack's own limit against.
# Never set outside the benchmarks (bench/run.py sets it for its own server only).
if env_bool("SAFE_PASSAGE_BENCH", False):
    INSTALLED_APPS += ["bench.bareapp"]
