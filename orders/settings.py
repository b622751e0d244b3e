"""Settings of the orders service: the shared base plus what is orders's own."""

from shop.settings import *
from shop.settings import SHARED_APPS, service_settings

INSTALLED_APPS = [*SHARED_APPS, "orders"]
globals().update(service_settings("orders"))
