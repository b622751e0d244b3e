"""Settings of the products service: the shared base plus what is products's own."""

from shop.settings import *
from shop.settings import SHARED_APPS, service_settings

INSTALLED_APPS = [*SHARED_APPS, "products"]
globals().update(service_settings("products"))
