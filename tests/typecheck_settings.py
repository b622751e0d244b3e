"""The settings mypy's Django plugin loads (pyproject's [tool.django-stubs]): every service's
settings in one module, so that the plugin knows all four services' models and settings at once.
The users service's come last: its AUTH_USER_MODEL and apps, then the other three apps added.
Never run: no process serves with it."""

from inventory.settings import *
from orders.settings import *
from products.settings import *
from users.settings import *

INSTALLED_APPS = [*INSTALLED_APPS, "products", "orders", "inventory"]
