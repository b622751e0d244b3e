"""The Celery app. Which service it serves is decided by DJANGO_SETTINGS_MODULE.

`python -m workers <service> worker` runs it with `<service>.settings`, consuming only that
service's queue and loading only that service's tasks (autodiscovered from its INSTALLED_APPS).
"""

from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun

from shop.request_id import bind_task_request_id, unbind_task_request_id

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task runs with the request id its message carries, so its log lines and the messages it
# records carry it on (see shop.request_id).
task_prerun.connect(bind_task_request_id, weak=False)
task_postrun.connect(unbind_task_request_id, weak=False)


@setup_logging.connect(weak=False)
def keep_django_logging(**_: Any) -> None:
    """Celery configures no logging of its own (no handlers, formats or stdout redirection):
    worker and beat log as settings.LOGGING says, one JSON line per event like the rest."""
