"""Settings of the orders service: the shared base plus what is orders's own."""

from django.core.exceptions import ImproperlyConfigured

from shop.settings import *
from shop.settings import SHARED_APPS, env, service_settings

INSTALLED_APPS = [*SHARED_APPS, "orders"]
globals().update(service_settings("orders"))

# How long stock stays reserved for an order awaiting payment; after that it expires and the
# stock is released.
ORDERS_RESERVATION_TTL_SECONDS = env.int("ORDERS_RESERVATION_TTL_SECONDS", default=900)
# How often beat looks for orders whose reservation ran out: the most an expiry can be late.
ORDERS_EXPIRY_SCAN_SECONDS = env.float("ORDERS_EXPIRY_SCAN_SECONDS", default=10.0)
# The class that charges cards (dotted path; see orders.payments.PaymentProvider).
ORDERS_PAYMENT_PROVIDER = env.str(
    "ORDERS_PAYMENT_PROVIDER", default="orders.payments.BuiltInTestProvider"
)
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
