"""Settings of the users service: the shared base plus what is users's own."""

from shop.settings import *  # noqa: F403
from shop.settings import SHARED_APPS, service_settings

INSTALLED_APPS = [*SHARED_APPS, "users"]
globals().update(service_settings("users"))
