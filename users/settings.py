"""Settings of the users service: the shared base plus accounts, tokens and the private key."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shop.auth.keys import PRIVATE_KEY_FILENAME, key_id_of_pem, read_key
from shop.settings import *

SHOP_SERVICE = "users"
INSTALLED_APPS = [
    *SHARED_APPS,
    "rest_framework_simplejwt.token_blacklist",
    "phonenumber_field",
    "axes",
    "users",
]
ROOT_URLCONF = "users.urls"
WSGI_APPLICATION = "users.wsgi.application"
# USERS_DATABASE_URL, else DATABASE_URL, else shop_users on the local PostgreSQL.
DATABASES = {"default": service_database("users")}
CELERY_TASK_DEFAULT_QUEUE = "users"
# The four services share one origin behind the gateway: cookies and static URLs carry the
# service's name, so that one service's session never clobbers another's.
STATIC_URL = "/static/users/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static" / "users")))
SESSION_COOKIE_NAME = "users_sessionid"
CSRF_COOKIE_NAME = "users_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Shop users API"}

AUTH_USER_MODEL = "users.User"

# Only this service holds the private key: it is the one that issues tokens.
JWT_PRIVATE_KEY_FILE = Path(
    env.str("JWT_PRIVATE_KEY_FILE", default=str(JWT_KEYS_DIR / PRIVATE_KEY_FILENAME))
)
SIMPLE_JWT = {
    **SIMPLE_JWT,
    "SIGNING_KEY": read_key(
        JWT_PRIVATE_KEY_FILE,
        variable="JWT_PRIVATE_KEY_FILE",
        dev_keys_dir=None if IS_PRODUCTION else JWT_KEYS_DIR,
    ),
    "UPDATE_LAST_LOGIN": True,
}
# A key signs only once it verifies: its public half is published (in JWT_PUBLIC_KEY_FILE
# here, and so in the JWKS, as on every service) before this service switches to it. Checked
# here because the other way round every token it issued would be refused.
if key_id_of_pem(SIMPLE_JWT["SIGNING_KEY"]) not in map(key_id_of_pem, JWT_PUBLIC_KEYS):
    raise ImproperlyConfigured(
        "The key of JWT_PRIVATE_KEY_FILE is not among JWT_PUBLIC_KEY_FILE's: publish its public "
        "key first (deploy/README.md, Rotating the signing key)."
    )

# Browser sign-in for every service (see shop/auth/sso.py): how long the SSO cookie that this
# service's login pages set stays valid, which is the longest a browser stays signed in to any
# service without signing in again here.
USERS_SSO_LIFETIME_SECONDS = env.int("USERS_SSO_LIFETIME_SECONDS", default=8 * 3600)
if USERS_SSO_LIFETIME_SECONDS <= 0:
    raise ImproperlyConfigured("USERS_SSO_LIFETIME_SECONDS must be positive.")
# Here the SSO cookie stands for the account itself, not for a local copy of it.
MIDDLEWARE = [
    "users.middleware.UsersSingleSignOnMiddleware"
    if name == "shop.auth.sso.SingleSignOnMiddleware"
    else name
    for name in MIDDLEWARE
]
# Where the browsable API's login goes without a `next`: a page any signed-in user may see.
LOGIN_REDIRECT_URL = "/api/users/me/"

# Counters every process and pod must share (the API's throttles, see users/api/throttling.py)
# live in this service's own database: no extra server to run, and a few rows per client.
# The table is created by a migration (0002), so `migrate` is the only step.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "users_shared_cache",
        # A few entries per active client; each write counts the table, so keep it small.
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    },
}

# Sign-in lockout (users/lockout.py): failed password attempts per account and per client
# address, in this service's database, over a sliding window; a locked sign-in is answered 429
# with Retry-After, whether the account exists or not.
USERS_LOGIN_FAILURES_PER_ACCOUNT = env.int("USERS_LOGIN_FAILURES_PER_ACCOUNT", default=10)
USERS_LOGIN_FAILURES_PER_ADDRESS = env.int("USERS_LOGIN_FAILURES_PER_ADDRESS", default=100)
USERS_LOGIN_LOCKOUT_SECONDS = env.int("USERS_LOGIN_LOCKOUT_SECONDS", default=900)
if min(USERS_LOGIN_FAILURES_PER_ACCOUNT, USERS_LOGIN_FAILURES_PER_ADDRESS) <= 0:
    raise ImproperlyConfigured(
        "USERS_LOGIN_FAILURES_PER_ACCOUNT and _PER_ADDRESS must be positive."
    )
if USERS_LOGIN_LOCKOUT_SECONDS <= 0:
    raise ImproperlyConfigured("USERS_LOGIN_LOCKOUT_SECONDS must be positive.")
AUTHENTICATION_BACKENDS = [
    "users.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "users.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = USERS_LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(seconds=USERS_LOGIN_LOCKOUT_SECONDS)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_CALLABLE = "users.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "users.lockout.client_address"
# Successful sign-ins are recorded as `last_login` already; a row per sign-in would only grow.
AXES_DISABLE_ACCESS_LOG = True
# No banner at every process start (each management command would print it).
AXES_VERBOSE = False
# Axes' middleware turns a lockout into its own response; here the token endpoint's service
# and the login pages answer it themselves (429, Retry-After, the contract's JSON or the form).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Here, unlike the other services, the account is at hand: loading it refuses a
        # deactivated or deleted user at once instead of when their token expires.
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Every sign-in and refresh per client address, successful or not: a ceiling generous
        # enough for an office behind one address at 9:00; failures are the lockout's job.
        "login": env.str("USERS_LOGIN_RATE", default="300/minute"),
        "register": env.str("USERS_REGISTER_RATE", default="30/minute"),
        # Changing one's email answers whether another account has it: per account.
        "account_update": env.str("USERS_ACCOUNT_UPDATE_RATE", default="10/hour"),
    },
}

PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "E164"
PHONENUMBER_DEFAULT_REGION = None

# Email (welcome and order notifications, sent by this service's worker). EMAIL_URL picks the
# backend and server, e.g. smtp+tls://user:password@mail.example.com:587 (django-environ's
# schemes: smtp, smtps, smtp+tls, smtp+ssl, consolemail, filemail, memorymail, dummymail).
# Without it, development writes each email as a file under var/mail/ and production uses
# Django's default, SMTP on localhost:25.
# Lower case, so that the URL (which may hold a password) is no setting the debug page shows.
email_url = env.str("EMAIL_URL", default="")
EMAIL_FILE_PATH = VAR_DIR / "mail"
if email_url:
    globals().update(
        {
            name: value
            for name, value in env.email_url_config(email_url).items()
            # Parts the URL leaves out keep Django's defaults; OPTIONS is no email setting.
            if value not in (None, "") and name != "OPTIONS"
        }
    )
elif not IS_PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="shop@localhost")
# A mail server that stops answering must not hold a worker until the task's time limit.
EMAIL_TIMEOUT = env.int("USERS_EMAIL_TIMEOUT_SECONDS", default=10)
