"""The Celery app. Which service it serves is decided by DJANGO_SETTINGS_MODULE.

`python -m workers <service> worker` runs it with `<service>.settings`, consuming only that
service's queue and loading only that service's tasks (autodiscovered from its INSTALLED_APPS).
"""

from celery import Celery

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
