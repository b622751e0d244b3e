"""Settings of the inventory service: the shared base plus what is inventory's own."""

from pathlib import Path

from shop.settings import *

SHOP_SERVICE = "inventory"
INSTALLED_APPS = [*SHARED_APPS, "inventory"]
ROOT_URLCONF = "inventory.urls"
WSGI_APPLICATION = "inventory.wsgi.application"
# INVENTORY_DATABASE_URL, else DATABASE_URL, else shop_inventory on the local PostgreSQL.
DATABASES = {"default": service_database("inventory")}
CELERY_TASK_DEFAULT_QUEUE = "inventory"
# The four services share one origin behind the gateway: cookies and static URLs carry the
# service's name, so that one service's session never clobbers another's.
STATIC_URL = "/static/inventory/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static" / "inventory")))
SESSION_COOKIE_NAME = "inventory_sessionid"
CSRF_COOKIE_NAME = "inventory_csrftoken"
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Shop inventory API"}
