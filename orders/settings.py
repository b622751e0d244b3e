"""Settings of the orders service: the shared base plus what is orders's own."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from shop.settings import *

SHOP_SERVICE = "orders"
INSTALLED_APPS = [*SHARED_APPS, "orders"]
ROOT_URLCONF = "orders.urls"
WSGI_APPLICATION = "orders.wsgi.application"
# ORDERS_DATABASE_URL, else DATABASE_URL, else shop_orders on the local PostgreSQL.
DATABASES = {"default": service_database("orders")}
CELERY_TASK_DEFAULT_QUEUE = "orders"
# The four services share one origin behind the gateway: cookies and static URLs carry the
# service's name, so that one service's session never clobbers another's.
STATIC_URL = "/static/orders/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static" / "orders")))
SESSION_COOKIE_NAME = "orders_sessionid"
CSRF_COOKIE_NAME = "orders_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Shop orders API"}

# How long stock stays reserved for an order awaiting payment; after that it expires and the
# stock is released.
ORDERS_RESERVATION_TTL_SECONDS = env.int("ORDERS_RESERVATION_TTL_SECONDS", default=900)
# How often beat looks for orders whose reservation ran out: the most an expiry can be late.
ORDERS_EXPIRY_SCAN_SECONDS = env.float("ORDERS_EXPIRY_SCAN_SECONDS", default=10.0)
# The class that charges cards (dotted path; see orders.payment_provider.PaymentProvider).
ORDERS_PAYMENT_PROVIDER = env.str(
    "ORDERS_PAYMENT_PROVIDER", default="orders.payment_provider.BuiltInTestProvider"
)
# Hoarding: a customer holds at most this many open orders (pending or awaiting payment; the
# next placement is 409), and at most this many units of one product over their open orders,
# so that no one account can hold the shop's stock hostage. 0: no limit.
ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER = env.int("ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER", default=10)
ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT = env.int(
    "ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT", default=1000
)
# Card testing: after this many declined payments an order can no longer be paid (409), and a
# customer whose payments were declined this many times within the window is refused (429 with
# Retry-After) until the oldest decline leaves it. 0: no limit.
ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER = env.int(
    "ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER", default=5
)
ORDERS_MAX_DECLINED_PAYMENTS_PER_CUSTOMER = env.int(
    "ORDERS_MAX_DECLINED_PAYMENTS_PER_CUSTOMER", default=10
)
ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS = env.int(
    "ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS", default=3600
)
# Overload: with more orders than this waiting for inventory's answer, a placement is refused at
# once with 503 and Retry-After (nothing recorded) instead of queueing behind the backlog, so
# the saga keeps settling at full speed and clients back off. 0: never refused.
ORDERS_MAX_PENDING_ORDERS = env.int("ORDERS_MAX_PENDING_ORDERS", default=200)
# How old the backlog count a placement decides on may be (one count per process this often).
ORDERS_BACKLOG_CHECK_SECONDS = env.float("ORDERS_BACKLOG_CHECK_SECONDS", default=0.5)
# Overload of the web processes themselves: a placement that waited longer than this between the
# gateway and the view (the gateway's X-Request-Start) is refused with 503 and Retry-After before
# any work, so that answers stay fast while the CPU is saturated. 0: never refused.
ORDERS_MAX_QUEUE_SECONDS = env.float("ORDERS_MAX_QUEUE_SECONDS", default=0.25)
if ORDERS_RESERVATION_TTL_SECONDS <= 0 or ORDERS_EXPIRY_SCAN_SECONDS <= 0:
    raise ImproperlyConfigured(
        "ORDERS_RESERVATION_TTL_SECONDS and ORDERS_EXPIRY_SCAN_SECONDS must be positive."
    )

CELERY_BEAT_SCHEDULE = {
    "orders-expire-due": {
        "task": "orders.order_expire_due",
        "schedule": ORDERS_EXPIRY_SCAN_SECONDS,
        # A scan nobody ran in time is useless: the next one does its work, so scans never
        # pile up in the queue while the worker is away.
        "options": {"expires": ORDERS_EXPIRY_SCAN_SECONDS},
    },
}
