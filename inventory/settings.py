"""Settings of the inventory service: the shared base plus what is inventory's own."""

from shop.settings import *
from shop.settings import SHARED_APPS, service_settings

INSTALLED_APPS = [*SHARED_APPS, "inventory"]
globals().update(service_settings("inventory"))
