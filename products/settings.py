"""Settings of the products service: the shared base plus what is products's own."""

from shop.settings import *
from shop.settings import SHARED_APPS, service_settings

INSTALLED_APPS = [*SHARED_APPS, "products"]
globals().update(service_settings("products"))

# How long a signed-in customer's catalog read (a product list page, a product) is answered from
# the process's own cache (products.api.views.catalog_read); 0 turns it off. API.md lets a
# product change take 2 s to show. A constant, not an environment variable: it is part of that
# promise, not a deployment's choice.
PRODUCTS_CATALOG_CACHE_SECONDS = 1.0
CACHES = {
    # Django's own default, as every other service has it (DRF's throttles count in it).
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "catalog": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "products-catalog",
        # Entries live a second; this bounds the memory (about 10 kB a list page) when many
        # distinct queries arrive within one.
        "OPTIONS": {"MAX_ENTRIES": 2000},
    },
}
