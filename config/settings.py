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
    "django_otp_webauthn",
    "axes",
    "csp",
    "core",
    "vault",
    "audit",
    "accounts",
    "evacuation",
    "reports",
    # Staff notifications are sent by a worker (`manage.py db_worker`), outside the request.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # The HTTPS redirect (HTTPS_REDIRECT below), except for the onion host; first, so that it
    # also takes HSTS off any onion answer.
    "core.middleware.HttpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session: when even the error page fails (the database is down), the project's
    # own error page, rendered without session or database.
    "core.middleware.FailSafeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Staff pages only in STAFF_LANGUAGES: a browser asking for another gets them in English.
    "config.languages.StaffLanguageMiddleware",
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
        # A kept connection is tested before a request uses it: after PostgreSQL restarts,
        # the next request reconnects instead of failing on a dead connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters go to PostgreSQL apart from the SQL (psycopg's server-side binding), instead of
    # being quoted into its text in Python: less CPU per statement (about 0.7 ms per intake of
    # 13 statements, bench/RESULTS.md), and a statement run often is prepared once.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
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
LOGIN_REDIRECT_URL = "staff_home"

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
# The redirect to HTTPS is core.middleware.HttpsMiddleware's, not Django's: the onion host is
# served over plain HTTP (Tor encrypts it) and must be neither redirected nor sent HSTS, and
# Django's redirect cannot tell hosts apart. SECURE_SSL_REDIRECT (the variable) still switches it.
HTTPS_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_SSL_REDIRECT = False
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
# A lock-out is per username AND source (accounts.lockout): five failures for a name from one
# source pause that name from that source only, so a guesser elsewhere cannot keep its owner
# out. Failures for a name from many sources lock no one: they slow every answer for the name
# (up to 4 s; off with RATE_LIMITS_ENABLED=0), and its owner is told of them at the next sign-in.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The source as the rate limits see it (CLIENT_ADDRESS_HEADER behind the proxy, IPv6 by /64), and
# the name tried, both stored by axes as keyed hashes: its tables hold no address or name tried.
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_source"
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
SILENCED_SYSTEM_CHECKS: list[str] = []
# W008 asks for Django's SECURE_SSL_REDIRECT: core.middleware.HttpsMiddleware redirects instead.
if HTTPS_REDIRECT:
    SILENCED_SYSTEM_CHECKS += ["security.W008"]
AXES_RESET_ON_SUCCESS = True

# Security keys and passkeys (django-otp-webauthn's models and the `webauthn` library; our own
# script, static/staff/webauthn.js, so that the PRF output reaches the vault: accounts/keys.py).
# A credential is bound to one relying-party ID: the clearnet host, and the onion host only if
# WEBAUTHN_ONION_RP_ID names it (Tor Browser ships with WebAuthn turned off; README).
WEBAUTHN_RP_ID = env_str(
    "WEBAUTHN_RP_ID", ALLOWED_HOSTS[0] if PRODUCTION and ALLOWED_HOSTS else "localhost"
)
WEBAUTHN_ONION_RP_ID = env_str("WEBAUTHN_ONION_RP_ID", "")
# The roles that must sign in with a security key (TOTP no longer does for them; a backup code
# does, once, but opens no case data). Production: every role that can hold an organisation-key
# grant (accounts.roles.CAPABILITIES["open_case"]). "none" turns the policy off.
WEBAUTHN_REQUIRED_ROLES = env_list(
    "WEBAUTHN_REQUIRED_ROLES", ["caseworker", "coordinator"] if PRODUCTION else ["none"]
)
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.keys.rp_id"
OTP_WEBAUTHN_RP_NAME = "Safe Passage"
OTP_WEBAUTHN_HELPER_CLASS = "accounts.keys.Helper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# django-otp-webauthn's check wants a list; accounts.keys.Helper accepts the origin the request
# came to, when its host is the relying-party ID (the browser signs the origin it was on).
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"https://{WEBAUTHN_RP_ID}"]
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Every failure is logged (AccessFailureLog): the notice at sign-in counts them.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address"]  # masked in its log lines
AXES_VERBOSE = False
# Days axes keeps its sign-in and failure logs; `manage.py prune_signin_log` (daily) drops older.
SIGNIN_LOG_DAYS = env_int("SIGNIN_LOG_DAYS", 30)

LANGUAGE_CODE = "en"
# Every language the site is translated into. The applicant's pages are in all of them (their
# switch names each language in itself: evacuation/applicant/pages.py); the staff pages only in
# STAFF_LANGUAGES (config.languages.StaffLanguageMiddleware answers any other in English).
TRANSLATIONS = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("ka", _("Georgian")),
    ("hy", _("Armenian")),
    ("az", _("Azerbaijani")),  # Latin script
    ("kk", _("Kazakh")),  # Cyrillic script
    ("ky", _("Kyrgyz")),
    ("uz", _("Uzbek")),  # Latin script
    ("tg", _("Tajik")),
]
STAFF_LANGUAGES = ["en", "ru"]
# The languages the applicant's pages offer (APPLICANT_LANGUAGES=en,ru,uk ...; English always).
# A translation that no native speaker has checked says so in its catalogue's header
# (X-Review-State: unreviewed ...) and in a notice on every applicant page in it; to offer only
# checked translations, list those here. A language left out is not offered, not chosen from the
# browser's Accept-Language, and its /<code>/ addresses do not exist (except the staff languages,
# which the staff pages keep).
APPLICANT_LANGUAGES = env_list("APPLICANT_LANGUAGES", [code for code, _name in TRANSLATIONS])
if LANGUAGE_CODE not in APPLICANT_LANGUAGES or not set(APPLICANT_LANGUAGES) <= {
    code for code, _name in TRANSLATIONS
}:
    raise ImproperlyConfigured(
        "APPLICANT_LANGUAGES must include en and name only these: "
        + ", ".join(code for code, _name in TRANSLATIONS)
    )
LANGUAGES = [
    (code, name)
    for code, name in TRANSLATIONS
    if code in APPLICANT_LANGUAGES or code in STAFF_LANGUAGES
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic writes (the installer: /opt/safe-passage/static, which nginx serves).
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
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
AUDIT_MAX_UNSIGNED_AGE = env_int("AUDIT_MAX_UNSIGNED_AGE", 3600)
# "At least daily" is at most every half of AUDIT_MAX_UNSIGNED_AGE, so a quiet chain's newest
# checkpoint stays younger than that age while the signer runs (as deploy/install.py sets it).
AUDIT_CHECKPOINT_DAILY_SECONDS = env_int(
    "AUDIT_CHECKPOINT_DAILY_SECONDS", min(1800, max(60, AUDIT_MAX_UNSIGNED_AGE // 2))
)
# Strict verification fails on an event dated this far ahead of its clock, or this far before
# the event ahead of it in the chain (the times are an insider's to rewrite too).
AUDIT_CLOCK_SKEW_SECONDS = env_int("AUDIT_CLOCK_SKEW_SECONDS", 300)
# The auditor's "needs a look" list (audit.lookout) names anyone who opened more cases than this
# in one day (UTC).
AUDIT_OPENINGS_PER_DAY = env_int("AUDIT_OPENINGS_PER_DAY", 20)

# Backups (`manage.py backup`, evacuation.services.backup): each archive is encrypted to the
# operator's age public key (age1...); the matching private key never comes onto the server.
# Archives go into BACKUP_DIR and are pruned after BACKUP_KEEP_DAYS: crypto-shredding cannot
# reach a copy, so a backup keeps a purged case readable (to the age key) until it is deleted.
BACKUP_AGE_RECIPIENT = env_str("BACKUP_AGE_RECIPIENT", "")
BACKUP_DIR = env_str("BACKUP_DIR", "" if PRODUCTION else str(LOCAL_DIR / "backups"))
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 14)

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
# After an administrator created, re-roled or reset an account (accounts.changes), it may not
# approve funding for this many hours (evacuation.rules): a fresh or re-roled account cannot be
# used at once to satisfy four eyes on money. A person's own new authenticator does not count.
ACCOUNT_COOLING_OFF_HOURS = env_int("ACCOUNT_COOLING_OFF_HOURS", 72)
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

# Staff notifications (evacuation.notifications): e-mail that says only that something needs
# attention, with a link to SITE_URL/staff/. Pages only queue the sending (django-tasks, its
# database backend); the worker (`manage.py db_worker`, its own unit) sends, and
# `manage.py notify_sweep` (a timer, every few minutes) finds what waits and sends what is due,
# again, so a mail server that was down loses nothing.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SITE_URL = env_str("SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL and ALLOWED_HOSTS:
    SITE_URL = f"https://{ALLOWED_HOSTS[0]}"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Safe Passage <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Usernames always on call (besides those a coordinator puts on call on the notifications page):
# told when an urgent request has waited NOTIFY_URGENT_AFTER_MINUTES with nobody on it.
NOTIFY_ON_CALL = env_list("NOTIFY_ON_CALL", [])
NOTIFY_URGENT_AFTER_MINUTES = env_int("NOTIFY_URGENT_AFTER_MINUTES", 60)
# A travelling applicant's check-in counts as missed this long after it was due.
CHECKIN_GRACE_HOURS = env_int("CHECKIN_GRACE_HOURS", 12)
# The daily digest goes at or after this hour (UTC), once a day.
NOTIFY_DIGEST_HOUR = env_int("NOTIFY_DIGEST_HOUR", 7)
# A notice whose recipient the mail server refuses this many times (one try a sweep: two hours
# at the five-minute timer) is given up. A server that is away or hangs does not count: what it
# missed waits for it.
NOTIFY_SEND_ATTEMPTS = env_int("NOTIFY_SEND_ATTEMPTS", 24)

# core.logs.configure applies LOGGING and then puts core.logs.RedactFilter (case references,
# receipt codes and locators masked, in messages and tracebacks) on every handler there is.
LOGGING_CONFIG = "core.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.logs.RedactFilter"}},
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Request logs would carry paths and addresses: Django's request logger stays quiet.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False}},
}

# Health (core.health). /healthz asks only HEALTH_CHECKS_PUBLIC, so that a fault of the audit
# signer never takes the applicant site offline; `manage.py healthcheck` and the loopback-only
# /health/ ask HEALTH_CHECKS. Each app's checks are named here (core imports no app).
HEALTH_CHECKS_PUBLIC = ["core.health.database", "core.health.migrations"]
HEALTH_CHECKS = [
    *HEALTH_CHECKS_PUBLIC,
    "core.health.disk",
    "audit.health.checkpoint",
    "audit.health.keys",
    "audit.health.verification",
]
HEALTH_DISK_PATHS = env_list("HEALTH_DISK_PATHS", [str(BASE_DIR), str(LOCAL_DIR.parent)])
HEALTH_DISK_MIN_FREE_MB = env_int("HEALTH_DISK_MIN_FREE_MB", 1024)
# The signer's system user, and where its key is (only its owner and mode are looked at: the web
# app's environment has no AUDIT_SIGNING_KEY_FILE and its user cannot read the key).
AUDIT_SIGNER_USER = env_str("AUDIT_SIGNER_USER", "")
HEALTH_SIGNING_KEY_FILE = env_str("HEALTH_SIGNING_KEY_FILE", "")

# The applicant's rate limits (core/ratelimit.py): token buckets that refill continuously, so
# a spent budget comes back a little at a time, never all at once at the end of a window.
# An intake and a receipt-code evaluation each cost one Argon2id, which sizes the budgets for
# everyone. At the production floor one takes 0.227 s of one core (bench/RESULTS.md, intake, run
# of 2026-12-01 23:02 UTC, median of 5): 2 / 0.227 s ≈ 8.8 a second on two idle cores at best;
# two processes doing nothing else measured 6.33 to 7.68 a second (intake) and 4.99 to 7.15
# (look-up, 23:09 UTC) on that shared machine. 6 a second each is about what two cores sustain.
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
