"""The Celery app. Which service it serves is decided by DJANGO_SETTINGS_MODULE.

`python -m workers <service> worker` runs it with `<service>.settings`, consuming only that
service's queue and loading only that service's tasks (autodiscovered from its INSTALLED_APPS).
"""

from typing import TYPE_CHECKING, Any

from celery import Celery, Task
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings
from django.db import close_old_connections

from shop.observability.metrics import worker_metrics_serve
from shop.observability.request_id import bind_task_request_id, unbind_task_request_id

if TYPE_CHECKING:
    from shop.messaging.relay import RelayInWorker

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task runs with the request id its message carries, so its log lines and the messages it
# records carry it on (see shop.observability.request_id).
task_prerun.connect(bind_task_request_id, weak=False)
task_postrun.connect(unbind_task_request_id, weak=False)


def reuse_database_connections(sender: Task, **_: Any) -> None:
    """Keep a task's database connection for the next task, as Django keeps a request's.

    Celery's Django fixup would close it before and after every task (unless
    CELERY_DB_REUSE_MAX says otherwise), and a new PostgreSQL session per task cost more than
    the task itself. Django's own rule decides instead: a connection older than CONN_MAX_AGE,
    or one that saw an error (the database restarted, say), is closed and the next task opens
    a fresh one.
    """
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()


task_prerun.connect(reuse_database_connections, weak=False)
task_postrun.connect(reuse_database_connections, weak=False)


@setup_logging.connect(weak=False)
def keep_django_logging(**_: Any) -> None:
    """Celery configures no logging of its own (no handlers, formats or stdout redirection):
    worker and beat log as settings.LOGGING says, one JSON line per event like the rest."""


@worker_init.connect(weak=False)
def serve_worker_metrics(**_: Any) -> None:
    """In the worker's main process, where the threads pool runs its tasks (beat and the relay
    send no worker_init)."""
    if settings.SHOP_WORKER_METRICS_PORT:
        worker_metrics_serve(
            port=settings.SHOP_WORKER_METRICS_PORT, address=settings.SHOP_WORKER_METRICS_ADDRESS
        )


# The service's outbox relay, where it runs in this worker rather than as a process of its own.
_relay: "RelayInWorker | None" = None


@worker_ready.connect(weak=False)
def start_relay(**_: Any) -> None:
    """Once the worker consumes (SHOP_RELAY_IN_WORKER): the relay runs as a thread beside it."""
    global _relay
    if settings.SHOP_RELAY_IN_WORKER:
        from shop.messaging.relay import RelayInWorker

        _relay = RelayInWorker()
        _relay.start()


@worker_shutdown.connect(weak=False)
def stop_relay(**_: Any) -> None:
    if _relay is not None:
        _relay.stop()
