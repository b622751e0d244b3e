"""WSGI entry point of the orders service (gunicorn orders.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders.settings")

application = get_wsgi_application()
