"""Settings every service shares; `<service>/settings.py` star-imports these and adds its own
(its name, apps, URLconf, database, queue, cookies).

Twelve-factor: everything that differs between machines comes from the environment (django-environ).
Development defaults live here and only here; production (`DJANGO_ENV=production`) refuses to start
without a real secret key, with DEBUG on, or without JWT key files. Loading them writes nothing:
the development key pair, the embedded broker's folders and the rest are made by the commands that
start or write into them (`make run`, the test suites, `python -m shop.auth.keys`).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from shop import SERVICES
from shop.auth.keys import PUBLIC_KEY_FILENAME, public_keys_from_pem, read_key
from shop.observability.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
# A .env file only when asked (django-environ's advice): a file left lying around must not change
# what a process runs with unseen, and in production the environment is the one source.
# DJANGO_ENV_FILE names the file; DJANGO_READ_DOT_ENV=1 reads the repository root's .env. What the
# environment already sets wins over the file.
if env_file := env.str("DJANGO_ENV_FILE", default=""):
    if not Path(env_file).is_file():
        raise ImproperlyConfigured(f"DJANGO_ENV_FILE names no file: {env_file}")
    env.read_env(env_file)
elif env.bool("DJANGO_READ_DOT_ENV", default=False):
    env.read_env(BASE_DIR / ".env")

# Where a local run keeps what it makes (keys, SQLite files, the file broker, mail, static):
# ignored by git; a test stack points it elsewhere to stay apart from a developer's `make run`.
VAR_DIR = Path(env.str("SHOP_VAR_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
IS_PRODUCTION = DJANGO_ENV == "production"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-used-in-production"  # noqa: S105 (refused in production below)

DEBUG = env.bool("DJANGO_DEBUG", default=not IS_PRODUCTION)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# The pod's own address, where Prometheus scrapes /metrics by it (Host: <pod IP>:8000); set from
# the downward API by deploy/k8s/components/monitoring. Unset: nothing added.
if POD_IP := env.str("DJANGO_POD_IP", default=""):
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, POD_IP]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

if IS_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of 32+ characters.")

SHARED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "health_check",
    "shop.messaging",
]

MIDDLEWARE = [
    # Outermost: every error answer Django or a middleware makes is the contract's JSON.
    "shop.api.errors.JsonErrorPagesMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Early, so that everything after it logs, records messages and reports errors under the
    # request's id.
    "shop.observability.request_id.RequestIdMiddleware",
    # Before anything could carry a NUL from the URL into a query.
    "shop.api.errors.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs the browser in and out with the users service's SSO cookie (see below).
    "shop.auth.sso.SingleSignOnMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so that a view's database error is answered 503 before any other sees it.
    "shop.api.errors.DatabaseUnavailableMiddleware",
    "shop.observability.metrics.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The shop's own overrides of the admin's and the browsable API's pages.
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "shop.navigation.shop_pages",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def service_database(service: str) -> dict[str, Any]:
    """The service's database: `<SERVICE>_DATABASE_URL`, else `DATABASE_URL`, else local PostgreSQL.

    The prefixed form exists so that one shell can configure all four services at once.
    """
    url = env.str(f"{service.upper()}_DATABASE_URL", default="") or env.str(
        "DATABASE_URL", default=f"postgres://postgres@127.0.0.1:5432/shop_{service}"
    )
    database: dict[str, Any] = env.db_url_config(url)
    database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE_SECONDS", default=60)
    # Web processes check a reused connection before a request, so that a database restart
    # costs no client a 500. Workers and relays skip the check (a query per task): a broken
    # connection fails that task's first query, the message is retried, and the connection is
    # replaced (workers/__main__.py turns it off).
    database["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
    if database["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that asks the socket rather than the server.
        database["ENGINE"] = "shop.database.postgresql"
    statement_timeout = env.int("DJANGO_STATEMENT_TIMEOUT_SECONDS", default=0)
    if statement_timeout and database["ENGINE"] == "shop.database.postgresql":
        database["OPTIONS"] = {"options": f"-c statement_timeout={statement_timeout * 1000}"}
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default: concurrent workers share one file, so wait for locks
        # instead of failing at once.
        database["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    return database


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SHOP_CURRENCY = env.str("SHOP_CURRENCY", default="USD")

# JWT trust: only the users service holds the private key (see users/settings.py);
# every service verifies tokens statelessly with the public keys of JWT_PUBLIC_KEY_FILE, the one
# the token's `kid` names (shop/auth/tokens.py). The file holds one key, or during a rotation the
# current and the next (or previous) one after the other (deploy/README.md).
JWT_KEYS_DIR = Path(env.str("JWT_KEYS_DIR", default=str(VAR_DIR / "jwt")))
JWT_PUBLIC_KEY_FILE = Path(
    env.str("JWT_PUBLIC_KEY_FILE", default=str(JWT_KEYS_DIR / PUBLIC_KEY_FILENAME))
)
# Development keys are made in JWT_KEYS_DIR by `python -m shop.auth.keys` (make run and the test
# suites run it), never here: a process started without one fails, naming the variable and the
# command. Production never has any made.
JWT_PUBLIC_KEYS = public_keys_from_pem(
    read_key(
        JWT_PUBLIC_KEY_FILE,
        variable="JWT_PUBLIC_KEY_FILE",
        dev_keys_dir=None if IS_PRODUCTION else JWT_KEYS_DIR,
    ),
    variable="JWT_PUBLIC_KEY_FILE",
)

SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    # Signing and verifying go through shop.auth.tokens.token_backend (keys chosen by `kid`); the
    # users service sets the signing key. No VERIFYING_KEY: simplejwt's own one-key backend
    # must verify nothing.
    "SIGNING_KEY": None,
    "AUTH_TOKEN_CLASSES": ("shop.auth.tokens.AccessToken",),
    "AUDIENCE": env.str("JWT_AUDIENCE", default="shop"),
    "ISSUER": env.str("JWT_ISSUER", default="shop-users"),
    "ACCESS_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_ACCESS_TOKEN_LIFETIME_SECONDS", default=300)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env.int("JWT_REFRESH_TOKEN_LIFETIME_SECONDS", default=7 * 24 * 3600)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "TOKEN_USER_CLASS": "shop.auth.tokens.Principal",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
if SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] > timedelta(minutes=5):
    raise ImproperlyConfigured("JWT_ACCESS_TOKEN_LIFETIME_SECONDS may be at most 300.")

# Browser sign-in, once for every service (shop/auth/sso.py). The users service's login pages, the
# admin's and the browsable API's, also set this cookie: a JWT signed like access tokens (same
# keys and `kid`, audience, issuer) but with token_type "sso", valid for
# USERS_SSO_LIFETIME_SECONDS (see users/settings.py). Every service keeps its browser session in
# step with it (the others through a local "shadow" user whose id is the account's id); logging
# out anywhere deletes it.
SHOP_SSO_COOKIE_NAME = "shop_sso"
# Browsers send a Secure cookie only over https (and to http://localhost); off with DEBUG, so
# that a local stack works over plain http. Behind plain http in production, set it to false.
SHOP_SSO_COOKIE_SECURE = env.bool("SHOP_SSO_COOKIE_SECURE", default=not DEBUG)
# The users service's login pages, on the gateway's one origin: every other service's login
# pages (and `login_required`) send the browser there, with `next` to come back.
SHOP_SSO_ADMIN_LOGIN_URL = "/admin/users/login/"
# A form refused for its CSRF token answers the contract's JSON, like DRF's own refusal.
CSRF_FAILURE_VIEW = "shop.api.errors.csrf_failure"
LOGIN_URL = "/api/browser/users/login/"

# TLS ends in front of the services, at the Ingress or balancer (or the gateway itself): the
# gateway passes the scheme the client used as X-Forwarded-Proto (the balancer's, from its
# --trusted-proxies ranges only; see deploy/nginx/shop.conf.template), so a request that came
# over TLS is secure here. In production plain http is redirected to https and told to stay
# there (HSTS), and no cookie is sent over plain http. The probes and metrics, scraped over
# plain http on the pod's own port, are never redirected, nor the gateway's sign-in check
# (users.views.sso_check). Each knob has its variable, for a deployment that knows better
# (HSTS on a domain whose subdomains are not all on TLS yet).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics|internal/sso-check)$"]
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if IS_PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PRODUCTION
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
# The admin's notes ("saved", "deleted") live in the session every signed-in browser has anyway.
# Django's default tries a signed cookie first, and building its signer on every request, API
# calls included, cost about a twentieth of a cached catalog read.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=IS_PRODUCTION)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that an anonymous API client gets 401 with `WWW-Authenticate: Bearer`.
        "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication",
        # The browsable API in a browser signs in with a session.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "shop.api.negotiation.RememberingContentNegotiation",
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, refusing absurdly deep nesting with 400 (Python's parser recurses: a 500).
        "shop.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "shop.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "shop.api.schema.ShopAutoSchema",
    "EXCEPTION_HANDLER": "shop.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # Throttles key on the client address. 0 trusts only the TCP peer, so a client talking to
    # a service directly cannot choose its own X-Forwarded-For; behind the gateway, 1.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Clients speak JSON; the form and multipart parsers serve the browsable API's HTML forms,
    # which need no schema. Listing them made every body a three-way union that generated
    # clients (openapi-python-client) encode three times over.
    "PARSER_WHITELIST": ["shop.api.parsers.JSONParser"],
}


# Celery over RabbitMQ. Every service's worker consumes its own queue only (named after the
# service; see workers/routing.py). Messages are acknowledged after the task ran (acks_late)
# and come back if the worker dies (reject_on_worker_lost), so every consumer is idempotent.
# A RabbitMQ cluster is given as every node's URL, `;`-separated
# (`amqp://u:p@node1//;amqp://u:p@node2//;amqp://u:p@node3//`): kombu connects to the first that
# answers and moves on to the next when its node goes away, in workers, relays and beat alike.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="amqp://guest:guest@127.0.0.1:5672//")
CELERY_BROKER_FAILOVER_STRATEGY = "round-robin"
# RabbitMQ's own bound on redeliveries of one message in a quorum queue (see the queues below).
QUORUM_DELIVERY_LIMIT = 20
if CELERY_BROKER_URL.startswith("filesystem"):
    # The embedded broker of `make run`: messages are files under var/broker/, shared by every
    # process on this machine (make run makes the folders: deploy/local/stack.py). Development
    # only: it has no publisher confirms or redelivery.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "messages"),
        "data_folder_out": str(VAR_DIR / "broker" / "messages"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "polling_interval": 0.1,
    }
else:
    # Publisher confirms: the relay marks a message sent only once RabbitMQ has it (on a quorum
    # queue, once a majority of the cluster's nodes have written it).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    # Every service's queue is a quorum queue: replicated over the cluster's nodes, so losing a
    # node loses no message (a classic queue lives on one node). Every process declares them
    # alike (RabbitMQ refuses a declaration that differs), so they are defined here once:
    # a relay publishing to inventory declares inventory's queue just as its worker does.
    # Quorum queues need the countdown of a retry delivered by the broker (Celery's native
    # delayed delivery, which requires a topic exchange): a worker holding the message until
    # its countdown, as on a classic queue, would need the global QoS quorum queues lack.
    CELERY_TASK_QUEUES = [
        Queue(
            service,
            Exchange("shop", type="topic"),
            routing_key=service,
            queue_arguments={
                "x-queue-type": "quorum",
                # RabbitMQ 4's default, set so that 3.x behaves the same. The consumer's own
                # count (SHOP_MESSAGE_MAX_DELIVERIES, in its database) gives up long before;
                # this catches only a message that kills its worker before that count is
                # written (RabbitMQ then drops it).
                "x-delivery-limit": QUORUM_DELIVERY_LIMIT,
            },
        )
        for service in SERVICES
    ]
    # Quorum queues have no global QoS: prefetch per consumer (Celery's detection, on anyway).
    CELERY_WORKER_DETECT_QUORUM_QUEUES = True
    # The delay queues of native delayed delivery (celery_delayed_0..27) are quorum queues too,
    # so a retry waiting for its countdown survives the loss of a node as well.
    CELERY_BROKER_NATIVE_DELAYED_DELIVERY_QUEUE_TYPE = "quorum"
    # Celery's consumer, setting that up once per cluster rather than once per node's URL (see
    # workers/delayed_delivery.py: the difference is a worker's pause after a node's loss).
    CELERY_WORKER_CONSUMER = "workers.delayed_delivery:Consumer"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 4
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task that took its message when the broker connection dropped cannot ack it any more;
# RabbitMQ redelivers it, so stop the task instead of finishing it twice (prefork only: a thread
# cannot be stopped, so under the threads pool the task finishes, and its redelivery finds the
# message processed in the consumer's inbox and is skipped).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Threads, not prefork: a task here is a few milliseconds of Python around database round
# trips, and prefork paid for each one twice (the parent receives the message and hands it to a
# child over a pipe) and held a process of ~30 MiB per slot. The benchmark measured about 1 ms
# less CPU per order and 160 MiB less memory for the local stack. Celery enforces its time limits
# in prefork only; what can hang a task here is a database wait, so a worker's database sessions
# carry the soft limit as statement_timeout (workers/__main__.py).
CELERY_WORKER_POOL = env.str("CELERY_WORKER_POOL", default="threads")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ROUTES = ("workers.routing.route_by_service",)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT_SECONDS", default=30)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT_SECONDS", default=60)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes the database connection around every task unless told to reuse
# it; workers.app closes connections by Django's CONN_MAX_AGE rule instead. Celery still closes
# them every 2 x this many tasks, which is harmless.
CELERY_DB_REUSE_MAX = 10_000

# A message is given up (marked dead, replayable from the admin) after this many deliveries.
SHOP_MESSAGE_MAX_DELIVERIES = env.int("SHOP_MESSAGE_MAX_DELIVERIES", default=5)
SHOP_MESSAGE_RETRY_BACKOFF_SECONDS = env.float("SHOP_MESSAGE_RETRY_BACKOFF_SECONDS", default=1.0)
SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS = env.float(
    "SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS", default=60.0
)
# Each process publishes the messages it recorded once their transaction commits, and the relay
# only sweeps up what that missed (shop.messaging.publisher): about 3 ms of CPU less per order in
# the benchmark, and a saga step no longer waits for the relay. Off, the relay publishes all.
# Off by default so that a test's commits never reach a broker; the deployments turn it on.
SHOP_OUTBOX_PUBLISH_ON_COMMIT = env.bool("SHOP_OUTBOX_PUBLISH_ON_COMMIT", default=False)
# What the relay leaves to the process that recorded a message, publishing on commit.
SHOP_OUTBOX_SWEEP_AFTER_SECONDS = env.float("SHOP_OUTBOX_SWEEP_AFTER_SECONDS", default=3.0)
# On PostgreSQL a commit wakes the relay at once (LISTEN/NOTIFY); it also sweeps the outbox this
# often, for rows a lost notification (a dropped connection) left behind, or, with processes
# publishing on commit, for what they missed.
SHOP_RELAY_SWEEP_SECONDS = env.float("SHOP_RELAY_SWEEP_SECONDS", default=2.0)
# The relay as a thread of the service's Celery worker instead of a process of its own: on one
# machine (the local stack, the benchmark) that is four processes and about 215 MiB fewer. In
# the cluster the relay keeps its own Deployment (deploy/k8s), which scaling and restarting the
# workers leave alone.
SHOP_RELAY_IN_WORKER = env.bool("SHOP_RELAY_IN_WORKER", default=False)
# Without notifications (SQLite), how often an idle relay looks for new outbox rows: the floor
# of a saga step's latency there.
SHOP_RELAY_POLL_SECONDS = env.float("SHOP_RELAY_POLL_SECONDS", default=0.05)
# A Celery worker serves its own Prometheus metrics (what it consumed, orders settled) at
# http://<address>:<port>/metrics, since they live in its memory, not in the database the web's
# /metrics reads. 0: not served.
SHOP_WORKER_METRICS_PORT = env.int("SHOP_WORKER_METRICS_PORT", default=0)
SHOP_WORKER_METRICS_ADDRESS = env.str("SHOP_WORKER_METRICS_ADDRESS", default="0.0.0.0")  # noqa: S104 - a pod's port


# Logs: one JSON object per line on stderr (time, level, logger, message, service, request_id,
# exception), the same for web, workers, relay and beat (shop/observability/logs.py). `plain`
# reads better in a terminal. Everything goes through the root logger's one handler: the loggers
# Django and gunicorn set up with handlers of their own are emptied and propagate to it, so
# nothing is written twice or in another format (Celery configures none: see workers/app.py).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or plain.")
LOGGING_CONFIG = "shop.observability.logs.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "shop.observability.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "shop.observability.logs.JsonFormatter"},
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(service)s %(request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        name: {"handlers": [], "propagate": True}
        for name in ("django", "django.server", "py.warnings", "gunicorn.error")
    },
}

# Errors to Sentry, tagged with the service and the request id, when SENTRY_DSN is set; without
# it nothing is initialized or sent (shop/observability.py). Web and workers both load these
# settings, so both report. The DSN is no setting, so the debug page never shows it.
sentry_init(
    dsn=env.str("SENTRY_DSN", default=""),
    environment=DJANGO_ENV,
    release=env.str("SENTRY_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
