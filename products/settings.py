"""Settings of the products service: the shared base plus what is products's own."""

from pathlib import Path

from shop.settings import *

SHOP_SERVICE = "products"
INSTALLED_APPS = [*SHARED_APPS, "products"]
ROOT_URLCONF = "products.urls"
WSGI_APPLICATION = "products.wsgi.application"
# PRODUCTS_DATABASE_URL, else DATABASE_URL, else shop_products on the local PostgreSQL.
DATABASES = {"default": service_database("products")}
CELERY_TASK_DEFAULT_QUEUE = "products"
# The four services share one origin behind the gateway: cookies and static URLs carry the
# service's name, so that one service's session never clobbers another's.
STATIC_URL = "/static/products/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static" / "products")))
SESSION_COOKIE_NAME = "products_sessionid"
CSRF_COOKIE_NAME = "products_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Shop products API"}

# How long a signed-in customer's catalog read (a product list page, a product) is answered from
# the process's own cache (products.api.catalog_cache); 0 turns it off. API.md lets a
# product change take 2 s to show: an entry rendered just before a change is answered for at most
# this long, so a change shows within 1.5 s plus one request's time. Each process renders each
# page once per lifetime, so a longer one renders less often (1.0 s left half a second of the
# promise unused). A constant, not an environment variable: it is part of that promise, not a
# deployment's choice.
PRODUCTS_CATALOG_CACHE_SECONDS = 1.5
# Those answers come from the cache before the rest of the request path, but after the request
# has its id, its log line and its metrics, and a NUL in its URL was refused.
_AFTER_NUL_CHECK = MIDDLEWARE.index("shop.api.errors.RefuseNulMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_AFTER_NUL_CHECK],
    "products.api.catalog_cache.CatalogCacheMiddleware",
    *MIDDLEWARE[_AFTER_NUL_CHECK:],
]
CACHES = {
    # Django's own default, as every other service has it (DRF's throttles count in it).
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "catalog": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "products-catalog",
        # Entries live 1.5 s; this bounds the memory (about 10 kB a list page) when many
        # distinct queries arrive within one.
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
