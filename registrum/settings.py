"""Django settings. Everything a site changes comes from the environment, never from edited code.

REGISTRUM_HOME           data folder (database, content store), default ./var
REGISTRUM_DATABASE_URL   e.g. postgres://user:pass@127.0.0.1:5432/registrum; default SQLite under REGISTRUM_HOME
REGISTRUM_SECRET_KEY     required when REGISTRUM_DEBUG is off
REGISTRUM_TLS            1 when served over HTTPS (directly or behind a proxy): secure cookies, HSTS
REGISTRUM_PROXY_SSL_HEADER  e.g. HTTP_X_FORWARDED_PROTO, when a TLS-terminating proxy sets it to "https"
REGISTRUM_MAX_UPLOAD_BYTES  largest content upload accepted, default 50 MiB
REGISTRUM_KEYRING_FILE   the key-encryption keyring, default REGISTRUM_HOME/keys/kek.json
REGISTRUM_KEK            a key-encryption key (base64 of 32 bytes) instead of the keyring file
REGISTRUM_AUDIT_CHECKPOINTS  where signed audit checkpoints go, default REGISTRUM_HOME/audit/checkpoints.jsonl
REGISTRUM_AUDIT_SIGNING_KEY  the checkpoints' Ed25519 key, default REGISTRUM_HOME/keys/audit-signing.key (+ .pub)
REGISTRUM_EMAIL_HOST, REGISTRUM_EMAIL_PORT  the SMTP relay for password reset codes, default 127.0.0.1:25
REGISTRUM_EMAIL_FROM     the sender of those messages, default registrum@localhost
REGISTRUM_OTP_REQUIRED_FROM_LEVEL  clearance level from which a second factor is required (NC), or "never"
REGISTRUM_SESSION_IDLE_MINUTES, REGISTRUM_SESSION_MAX_HOURS  idle timeout (30) and absolute lifetime (10)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

# Files this process creates (the database, its journal, content, keys, logs) are readable by the
# service account only. Settings are the one module every entry point (the command, WSGI, tests)
# loads before touching the data folder.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("REGISTRUM_HOME", "var")).resolve()

DEBUG = os.environ.get("REGISTRUM_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("REGISTRUM_SECRET_KEY", "")
if not SECRET_KEY:
    # A per-installation key kept in the data folder, so a fresh site is safe without configuration.
    key_file = HOME / "secret_key"
    if key_file.exists():
        SECRET_KEY = key_file.read_text().strip()
    else:
        import secrets

        HOME.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = secrets.token_urlsafe(50)
        key_file.write_text(SECRET_KEY)
        key_file.chmod(0o600)

ALLOWED_HOSTS = os.environ.get("REGISTRUM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("REGISTRUM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "ninja",
    "registrum.audit",
    "registrum.reports",
    "registrum.org",
    "registrum.records",
    "registrum.custody",
    "registrum.accounts",
    "registrum.web",
    "registrum.demo",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static assets keep their long cache; everything the application answers
    # (pages, downloads, API) is `no-store` unless the view says it holds nothing classified.
    "registrum.web.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "registrum.web.middleware.UploadLimitMiddleware",
    "registrum.web.middleware.NulCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Audit events name where a request came from (web or api, and the client address).
    "registrum.audit.middleware.AuditOriginMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Deny by default: every page needs a signed-in person unless it says otherwise (the login
    # page, the language switch; the API authenticates its own bearer tokens).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime, before any view runs (it says why with a message).
    "registrum.accounts.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A person who needs a second factor sees nothing but the enrolment and verification pages
    # until they give it.
    "registrum.accounts.middleware.SecondFactorMiddleware",
    # Then a password an administrator set opens nothing but the page that replaces it.
    "registrum.accounts.middleware.OwnPasswordMiddleware",
    # Last: it answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registrum.urls"
WSGI_APPLICATION = "registrum.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registrum.web.context.menu",
                "registrum.demo.context.demo_signin",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("REGISTRUM_DATABASE_URL") or f"sqlite:///{HOME / 'registrum.sqlite3'}"
    db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend with writers queued on an OS lock (see registrum/sqlite/base.py).
        db["ENGINE"] = "registrum.sqlite"
        db["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two registering transactions queue
            # instead of deadlocking on the read-to-write upgrade (SQLITE_BUSY).
            "transaction_mode": "IMMEDIATE",
            # Writes outside a transaction (a login's last_login) still meet SQLite's own lock:
            # long enough for them to wait out a million-row import's writing pass, never fail.
            "timeout": 600,
            # synchronous=FULL: in WAL mode every commit syncs the log to disk before it returns,
            # so an acknowledged registration (its number handed out, its audit event written)
            # survives a power cut. NORMAL would sync only at checkpoints and could lose the last
            # commits while the application had reported them done. The cost is one log sync per
            # commit (about 0.2-0.5 ms per registration here, `python -m bench.durability`); an
            # import is one transaction, so it pays it once per file.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
        }
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation pays off for long analytical queries, not for a register's short ones:
        # the planner's estimate for the access filter's OR would trigger it on every list.
        db["OPTIONS"] = {"options": "-c jit=off"}
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.Person"

PASSWORD_HASHERS = [
    # Also verifies Django's own argon2 hashes (the same algorithm name), re-hashing them at sign-in.
    "registrum.accounts.passwords.RegistrumArgon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "registrum.accounts.passwords.PasswordRuleValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
# The lockout check first: a locked-out account or address is refused before any hashing.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Per account and per address separately: a flood from one address, or spread over many
# addresses against one account, is stopped either way.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Failures age out after the cool-off; a success does not wipe them: django-axes would delete every
# failure from the signing-in address too, so an attacker could clear their guesses at another
# account by signing in to their own between them.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "registrum.accounts.views.locked_out"
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# The address is the peer's: behind a reverse proxy, set REGISTRUM_TRUSTED_PROXY_COUNT.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("REGISTRUM_TRUSTED_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Enforced by registrum.accounts.middleware: no request for this long ends the session, and no
# session outlives the maximum however busy it is.
REGISTRUM_SESSION_IDLE_MINUTES = int(os.environ.get("REGISTRUM_SESSION_IDLE_MINUTES", "30"))
REGISTRUM_SESSION_MAX_HOURS = int(os.environ.get("REGISTRUM_SESSION_MAX_HOURS", "10"))
SESSION_COOKIE_AGE = REGISTRUM_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Web hardening. Scripts and styles only from our own static files: no inline script or style
# attribute anywhere (level colours come from /levels.css, generated from the policy), nothing from
# another origin (air-gapped sites), no framing, no plugins, forms posting only to ourselves.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "registrum.web.views.csrf_failure"
DEFAULT_EXCEPTION_REPORTER_FILTER = "registrum.httpkit.SecretsHiddenFilter"
TLS = os.environ.get("REGISTRUM_TLS", "0") == "1"
if TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix: the browser keeps the cookie to this exact host, path /, HTTPS only.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = int(os.environ.get("REGISTRUM_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # a headquarters domain hosts other services: their choice
    SECURE_SSL_REDIRECT = os.environ.get("REGISTRUM_SSL_REDIRECT", "1") == "1"
    if proxy_header := os.environ.get("REGISTRUM_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = (proxy_header, "https")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("REGISTRUM_TIME_ZONE", "Europe/Brussels")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("REGISTRUM_STATIC_ROOT") or None
# Assets come from the installed apps: nothing is loaded from the internet (air-gapped sites).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# A second factor (TOTP) from this clearance level up: a level name or "never".
REGISTRUM_OTP_REQUIRED_FROM_LEVEL = os.environ.get("REGISTRUM_OTP_REQUIRED_FROM_LEVEL", "NATO CONFIDENTIAL")
OTP_TOTP_ISSUER = "Registrum"
# Password reset codes: valid 15 minutes, single use, a few wrong tries, sent at most once a minute.
REGISTRUM_RESET_CODE_MINUTES = 15
REGISTRUM_RESET_CODE_TRIES = 5
REGISTRUM_RESET_SENDS_PER_HOUR = 5

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("REGISTRUM_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("REGISTRUM_EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("REGISTRUM_EMAIL_FROM", "registrum@localhost")

REGISTRUM_CONTENT_DIR = Path(os.environ.get("REGISTRUM_CONTENT_DIR", HOME / "content"))
REGISTRUM_KEYRING_FILE = Path(os.environ.get("REGISTRUM_KEYRING_FILE", HOME / "keys" / "kek.json"))
REGISTRUM_MAX_UPLOAD_BYTES = int(os.environ.get("REGISTRUM_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
REGISTRUM_PAGE_SIZE = 50
# The audit chain's signing key (Ed25519, made by `registrum init`; the public key beside it, .pub)
# and the file its signed checkpoints are appended to: point that at write-once storage.
REGISTRUM_AUDIT_SIGNING_KEY = Path(os.environ.get("REGISTRUM_AUDIT_SIGNING_KEY", HOME / "keys" / "audit-signing.key"))
REGISTRUM_AUDIT_CHECKPOINTS = Path(os.environ.get("REGISTRUM_AUDIT_CHECKPOINTS", HOME / "audit" / "checkpoints.jsonl"))
# Uploads arrive in temporary files, never whole in memory, and those are sealed (registrum.storage.uploads).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "registrum.storage.uploads.SealedTemporaryUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusal_without_traceback": {"()": "registrum.httpkit.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Refused requests are logged in one line each, without a traceback (see the filter).
    "loggers": {"django.request": {"filters": ["refusal_without_traceback"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("REGISTRUM_LOG_LEVEL", "WARNING")},
}
