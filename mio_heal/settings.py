"""Settings for Mio Auto Heal, read from the environment (django-environ).

With nothing set this is the *embedded default*: DEBUG on, SQLite under ``var/``, django-q2 on the
ORM broker, the platform sandbox mounted under ``/sandbox/``, and secrets generated under ``var/``.
Production sets ``DEBUG=off`` and must then give ``SECRET_KEY``, ``TOKEN_ENCRYPTION_KEYS`` and
``ALLOWED_HOSTS``; see docs/operations.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

from mio_heal.secrets import (
    check_fernet_keys,
    generated_secret,
    make_django_secret,
    make_fernet_key,
    private_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)

# Old keys still accepted for signatures (sessions, re-sync links) while a new key rolls out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
SECRET_KEY = generated_secret(
    "SECRET_KEY",
    value=env.str("SECRET_KEY", default=""),
    debug=DEBUG,
    var_dir=VAR_DIR,
    make=make_django_secret,
)
# Comma-separated Fernet keys, newest first: the first encrypts, all of them decrypt.
TOKEN_ENCRYPTION_KEYS = [
    k.strip()
    for k in generated_secret(
        "TOKEN_ENCRYPTION_KEYS",
        value=env.str("TOKEN_ENCRYPTION_KEYS", default=""),
        debug=DEBUG,
        var_dir=VAR_DIR,
        make=make_fernet_key,
    ).split(",")
    if k.strip()
]

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS is not set; production needs the site's host names.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.microsoft",
    "accounts",
    "audit",
    "policies",
    "tokens",
    "notifications",
    "platforms",
    "platforms.sandbox",
    "dashboard",
    "ninja",
    "api",
    "outbound",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mio_heal.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mio_heal.errorpages.ErrorPagesMiddleware",
]

ROOT_URLCONF = "mio_heal.urls"
CSRF_FAILURE_VIEW = "mio_heal.errorpages.csrf_failure"
WSGI_APPLICATION = "mio_heal.wsgi.application"

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
                "mio_heal.context.site",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mio.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers and the web server share the file: wait for locks instead of failing at once.
    # A deferred transaction that read and then wants to write cannot wait (SQLite answers
    # "database is locked" at once, as the busy handler could deadlock); BEGIN IMMEDIATE takes
    # the write lock up front, so every writer waits its turn (Django 5.1's transaction_mode).
    # WAL lets the dashboard read while a worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
    # Browser tests run a live server thread beside the test: a file (not :memory:) gives each
    # thread its own connection. One file per test process, removed when the run ends.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # Readable by its owner only (it holds password hashes and the encrypted tokens).
    private_file(Path(DATABASES["default"]["NAME"]))
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/dashboard/"

# --- django-allauth (dashboard login) -------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# Failed sign-ins: 10 a minute per address, 5 in 5 minutes per account *and address* (the key
# includes the client, dashboard/login.py), and a growing delay per account (dashboard/lockout.py).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Sign-up is closed: a password reset asked for an unknown address mails nobody (allauth would
# otherwise mail "you have no account here, sign up" to any address anyone types).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# TOTP secrets and recovery-code seeds are encrypted with TOKEN_ENCRYPTION_KEYS (tokens/mfa.py).
MFA_ADAPTER = "tokens.mfa.VaultMFAAdapter"
# A second factor is an authenticator app (TOTP) or a passkey (WebAuthn); recovery codes are the
# way back in when both are lost. allauth makes a set the moment the first factor is added.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Mio Auto Heal"
# A passkey (a discoverable credential verified on the device, by PIN or biometrics) signs in
# alone: it is already two factors, possession and knowledge or inherence.
MFA_PASSKEY_LOGIN_ENABLED = True
# Recovery codes are shown once, when they are made (with a download); afterwards the page only
# counts what is left and offers a new set. A stolen session cannot read them back.
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_FORMS = {"add_webauthn": "accounts.passkeys.AddPasskeyForm"}
# Passkeys are bound to the site's host name (the relying party id, from the request's Host).
# fido2 accepts https origins, and http://localhost for development, without
# MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN, which stays off. An IP address (127.0.0.1) can hold no
# passkey: browsers refuse it as a relying party id.
# Dashboard users are created by the operator (or seed_demo), never by self-service signup;
# "Sign in with Microsoft" connects to an existing user by email (see dashboard/login.py).
ACCOUNT_ADAPTER = "dashboard.login.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "dashboard.login.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

# --- the client's address and the rate-limit counters --------------------------------------------
# Behind proxies, REMOTE_ADDR is the proxy's: say how the client's address reaches us, and every
# per-address limit (sign-in, fresh links) and the audit log use it (mio_heal.clientip, through
# allauth's reading of these settings). Either the number of proxies that append to
# X-Forwarded-For, or a header one trusted proxy sets (e.g. CF-Connecting-IP). Never both.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="") or None
# The counters live in the cache: per process by default; several web processes share them
# through CACHE_URL (e.g. redis://127.0.0.1:6379/1).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- the relay API and outbound webhooks (docs/relay.md) ----------------------------------------
RELAY_API_RATE_PER_MINUTE = env.int("RELAY_API_RATE_PER_MINUTE", default=6000)  # per key; 0: off
# Webhook endpoints on private or loopback addresses (an internal relay): off in production.
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = env.bool("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", default=False)

# --- email (the last-resort prompt channel) ---------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mio Auto Heal <autoheal@localhost>")
# Seconds per SMTP socket operation: a hung mail server must not hold an outbox worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
if "EMAIL_URL" in os.environ:
    vars().update(env.email_url("EMAIL_URL"))

# --- django-q2 (all background work) ---------------------------------------------------------
Q_REDIS_URL = env.str("Q_REDIS_URL", default="")
Q_CLUSTER: dict = {
    "name": "mio_heal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": 3,
    "poll": 0.5,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
    "sync": env.bool("MIO_QUEUE_SYNC", default=False),
}
if Q_REDIS_URL:
    Q_CLUSTER["redis"] = Q_REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- the platforms and their sandbox ------------------------------------------------------------
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=DEBUG)
if SANDBOX_ENABLED and not DEBUG and not env.bool("SANDBOX_IN_PRODUCTION", default=False):
    from django.core.exceptions import ImproperlyConfigured

    # The sandbox's control API is unauthenticated and its demo secrets are public.
    raise ImproperlyConfigured(
        "SANDBOX_ENABLED is on with DEBUG=off: the platform sandbox must never face the internet. "
        "Turn it off (or set SANDBOX_IN_PRODUCTION=on for a closed test rig)."
    )
if not DEBUG and "SITE_URL" not in os.environ:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SITE_URL is not set: production needs the public https base of links in messages."
    )
if not DEBUG and SITE_URL.startswith("http://") and not env.bool("ALLOW_HTTP_SITE_URL", False):
    from django.core.exceptions import ImproperlyConfigured

    # Links in prompts carry re-sync tokens, and OAuth redirects go back to SITE_URL.
    raise ImproperlyConfigured(
        f"SITE_URL is {SITE_URL!r}: production links and OAuth redirects must be https. "
        "(ALLOW_HTTP_SITE_URL=on allows http for a closed test rig on loopback.)"
    )
# An unusable token key must stop the start, not the first token read or written.
check_fernet_keys(TOKEN_ENCRYPTION_KEYS)
# Where the adapters find the sandbox; tests point it at their live server.
SANDBOX_URL = env.str("SANDBOX_URL", default=f"{SITE_URL}/sandbox").rstrip("/")


# Per-platform app registration (client id / secret, signing secrets). In sandbox mode the
# defaults are the sandbox's demo app; production sets them from the environment.
def _app_setting(name: str, sandbox_default: str) -> str:
    """A platform app setting from the environment; the sandbox's demo app when sandboxed."""
    return env.str(name, default=sandbox_default if SANDBOX_ENABLED else "")


PLATFORM_APPS = {
    "slack": {
        "client_id": _app_setting("SLACK_CLIENT_ID", "1111.2222"),
        "client_secret": _app_setting("SLACK_CLIENT_SECRET", "sandbox-slack-secret"),
        "signing_secret": _app_setting("SLACK_SIGNING_SECRET", "sandbox-slack-signing"),
    },
    "teams": {
        "client_id": _app_setting("MICROSOFT_CLIENT_ID", "00000000-0000-4000-8000-00000000a11e"),
        "client_secret": _app_setting("MICROSOFT_CLIENT_SECRET", "sandbox-entra-secret"),
        "bot_app_id": _app_setting("TEAMS_BOT_APP_ID", "00000000-0000-4000-8000-0000000000b0"),
        "bot_app_secret": _app_setting("TEAMS_BOT_APP_SECRET", "sandbox-bot-secret"),
        # A single-tenant Azure Bot gets its token in its own Entra tenant; empty: multi-tenant.
        "bot_tenant_id": _app_setting("TEAMS_BOT_TENANT_ID", ""),
        "graph_client_state": _app_setting("GRAPH_CLIENT_STATE", "sandbox-graph-client-state"),
    },
    "zoom": {
        "client_id": _app_setting("ZOOM_CLIENT_ID", "sandboxzoomclient"),
        "client_secret": _app_setting("ZOOM_CLIENT_SECRET", "sandbox-zoom-secret"),
        "webhook_secret": _app_setting("ZOOM_WEBHOOK_SECRET", "sandbox-zoom-webhook"),
        "bot_jid": _app_setting("ZOOM_BOT_JID", "v1sandboxbot@xmpp.zoom.us"),
    },
    "webex": {
        "client_id": _app_setting("WEBEX_CLIENT_ID", "Csandboxwebexclient"),
        "client_secret": _app_setting("WEBEX_CLIENT_SECRET", "sandbox-webex-secret"),
        "bot_token": _app_setting("WEBEX_BOT_TOKEN", ""),
    },
}
# Bounded network behaviour shared by every adapter.
PLATFORM_HTTP_TIMEOUT = env.float("PLATFORM_HTTP_TIMEOUT", default=10.0)
# Where a refreshed grant the database refused is kept (encrypted) until the next attempt stores
# it (tokens.redemption). Several worker machines share one volume for it.
GRANT_SPOOL_DIR = env.str("GRANT_SPOOL_DIR", default=str(VAR_DIR / "grant-spool"))

# --- prompts and re-sync links (notifications, accounts.resync) --------------------------------
# Operator alerts (operator_config) are emailed here: OPERATOR_EMAILS=ops@example.com,…
ADMINS = [(email, email) for email in env.list("OPERATOR_EMAILS", default=[])]
RESYNC_LINK_MAX_AGE_DAYS = env.int("RESYNC_LINK_MAX_AGE_DAYS", default=7)
# A person may ask for a fresh link at most this often (per account).
RESYNC_FRESH_LINK_MINUTES = env.int("RESYNC_FRESH_LINK_MINUTES", default=10)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)  # per channel, then fall back
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=30)
NOTIFY_RETRY_MAX_SECONDS = env.int("NOTIFY_RETRY_MAX_SECONDS", default=3600)
# How long a worker may hold an outbox row in "sending" before it counts as dead.
NOTIFY_SEND_LEASE_SECONDS = env.int("NOTIFY_SEND_LEASE_SECONDS", default=120)
# The first admin prompt of a tenant-wide incident waits this long to count who is affected.
NOTIFY_GROUP_WINDOW_SECONDS = env.int("NOTIFY_GROUP_WINDOW_SECONDS", default=60)
# "Verify now" checks up to this many accounts inside the admin's request (an answer at once);
# a larger incident is checked by the workers, and updates itself as results come in.
# Prompt policy defaults: what a tenant follows until an admin changes it on the Policies page.
POLICY_REMINDER_HOURS = env.list("POLICY_REMINDER_HOURS", cast=int, default=[24, 72])
POLICY_ESCALATE_AFTER_HOURS = env.int("POLICY_ESCALATE_AFTER_HOURS", default=7 * 24)
POLICY_TIME_ZONE = env.str("POLICY_TIME_ZONE", default="UTC")
POLICY_CHANNEL_ORDER = env.str("POLICY_CHANNEL_ORDER", default="chat_then_email")
VERIFY_INLINE_MAX = env.int("VERIFY_INLINE_MAX", default=25)

# --- "Sign in with Microsoft" for the dashboard (allauth's microsoft provider) -----------------
# The first Microsoft sign-in connects to the dashboard user with the same email only when the
# identity's Entra directory (tid) is one of that user's tenants' (dashboard/login.py). Operators
# (superusers, staff) reach every tenant, so no tenant's directory may vouch for them: they may
# connect only from these directory ids (comma-separated), and by default not at all.
MICROSOFT_LOGIN_OPERATOR_TENANT_IDS = env.list("MICROSOFT_LOGIN_OPERATOR_TENANT_IDS", default=[])
SOCIALACCOUNT_PROVIDERS: dict = {}
if env.str("MICROSOFT_CLIENT_ID", default="") or SANDBOX_ENABLED:
    _microsoft_app = {
        "tenant": env.str("MICROSOFT_LOGIN_TENANT", default="organizations"),
        "email_authentication": True,
        # Which Entra emails may even be looked up to find an existing dashboard user: a list
        # of the customers' domains; in the sandbox every fake user's email. Entra emails are
        # not verified, so this alone never connects anyone: the directory check above does.
        "verified_email": env.list("MICROSOFT_VERIFIED_EMAIL_DOMAINS", default=[])
        or SANDBOX_ENABLED,
    }
    if SANDBOX_ENABLED:
        # The Teams fake serves Entra's authorize/token endpoints and Graph's /me.
        _microsoft_app["login_url"] = f"{SANDBOX_URL}/teams/login"
        _microsoft_app["graph_url"] = f"{SANDBOX_URL}/teams/graph"
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "client_id": PLATFORM_APPS["teams"]["client_id"],
                "secret": PLATFORM_APPS["teams"]["client_secret"],
                "settings": _microsoft_app,
            }
        ],
    }

# --- security ----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # W021 only asks whether to add "preload"; that commits the operator's whole domain to
        # browsers' HTTPS-only lists, so it is their choice (SECURE_HSTS_PRELOAD=on), made once
        # in docs/operations.md, and `check --deploy` stays silent about it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- logging: tokens never reach a log line ----------------------------------------------------
# Every handler gets the redacting filter, also those a library brings (mio_heal.logging).
LOGGING_CONFIG = "mio_heal.logging.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "mio_heal.logging.RedactTokensFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own loggers would otherwise keep their default (unfiltered) handlers, and
        # email tracebacks to ADMINS: route them through the redacting console instead.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The development server's request lines carry OAuth codes and re-sync link tokens:
        # through the redacting console like everything else (not Django's own handler).
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django-q": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "urllib3": {"level": "WARNING"},
        "msal": {"level": "WARNING"},
    },
}

# --- running it as operators do (operations app; docs/operations.md) ---------------------------
# /healthz and /readyz are answered first, before host checks and the HTTPS redirect (a probe
# talks plain HTTP to the process by its address); WhiteNoise serves /static/ right after
# SecurityMiddleware; every request gets an id for its log lines.
INSTALLED_APPS += ["operations"]
MIDDLEWARE.insert(0, "operations.probes.ProbeMiddleware")
if not DEBUG:  # with DEBUG, runserver serves /static/ from the source folders itself
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
MIDDLEWARE.insert(0, "operations.logs.RequestIdMiddleware")  # probes get ids too
# Compressed files with content-hashed names (served with a far-future, immutable
# Cache-Control) once `collectstatic` ran; the demo and the tests keep plain names.
# Default: on in production once `collectstatic` wrote its manifest (scripts/serve runs it).
STATIC_MANIFEST = env.bool(
    "STATIC_MANIFEST", default=not DEBUG and (STATIC_ROOT / "staticfiles.json").exists()
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# /metrics answers a bearer token, or scrapers from these networks (the direct peer address).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# PostgreSQL connection budget: one bounded psycopg pool per process (Django's native pool).
# Connections per process <= DB_POOL_MAX_SIZE; see operations/dbbudget.py for the formula.
DB_POOL = env.bool("DB_POOL", default=not DEBUG)
if DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections, not the thread
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=0),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=8),
        # A thread waits this long for a free connection before its work fails (and retries).
        "timeout": env.float("DB_POOL_TIMEOUT", default=60.0),
        "max_idle": 300.0,
    }
# Each process names itself to PostgreSQL (pg_stat_activity.application_name): mio-qcluster,
# mio-migrate… for manage.py commands, mio-web for the web server.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    import sys as _sys

    _role = _sys.argv[1] if len(_sys.argv) > 1 and _sys.argv[0].endswith("manage.py") else "web"
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "application_name", env.str("DB_APPLICATION_NAME", default=f"mio-{_role}")[:63]
    )
# LOG_FORMAT=json: one JSON object per line (with request and task ids), still redacted.
if env.str("LOG_FORMAT", default="plain") == "json":
    LOGGING["formatters"]["json"] = {"()": "operations.logs.JsonFormatter"}
    LOGGING["handlers"]["console"]["formatter"] = "json"
