"""The outbox relay: publishes recorded messages to RabbitMQ with publisher confirms."""

import contextlib
import json
import logging
import select
import signal
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, NamedTuple

from celery import Celery
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.messaging.models import OutboxMessage
from shop.messaging.outbox import RELAY_WAKE_CHANNEL
from shop.messaging.publisher import mark_sent, publishing_app, send_recorded

logger = logging.getLogger(__name__)


def relay_pending(*, app: Celery, batch_size: int = 100, older_than: datetime | None = None) -> int:
    """Publish up to `batch_size` unsent messages, oldest first (only those recorded before
    `older_than`, if given); return how many were sent.

    Rows are locked with SKIP LOCKED, so several relays of one service never publish the same
    message at once. A message counts as sent only after the broker confirmed it; if the broker
    fails midway, what it confirmed is marked sent and the rest stays for the next round.
    """
    failure: Exception | None = None
    with transaction.atomic():
        messages = _unsent(batch_size, older_than)
        sent: list[uuid.UUID] = []
        try:
            with app.producer_or_acquire() as producer:
                for message in messages:
                    send_recorded(app, producer, message)
                    sent.append(message.id)
        except Exception as error:  # the broker's errors vary by transport; all mean "not sent"
            failure = error
            OutboxMessage.objects.filter(
                id__in=[message.id for message in messages[len(sent) :]]
            ).update(publish_attempts=F("publish_attempts") + 1, last_error=repr(error)[:2000])
        mark_sent(sent)
    if failure is not None:
        raise failure
    return len(sent)


class _Unsent(NamedTuple):
    id: uuid.UUID
    task_name: str
    payload: dict[str, Any]
    headers: dict[str, Any]


# The relay's two statements are written in SQL (valid on PostgreSQL and the embedded SQLite):
# it runs them for every message it publishes, and the ORM spent more CPU building and reading
# them than PostgreSQL spent running them (in SQL the relay's CPU per message fell from 3.3 to
# 2.2 ms).
_TABLE = OutboxMessage._meta.db_table


def _unsent(batch_size: int, older_than: datetime | None) -> list[_Unsent]:
    """The oldest unsent messages, locked (SKIP LOCKED, where the database has it)."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    age = " AND created_at < %s" if older_than else ""
    ages = [connection.ops.adapt_datetimefield_value(older_than)] if older_than else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, task_name, payload, headers FROM {_TABLE} "  # noqa: S608 - our table
            f"WHERE sent_at IS NULL{age} ORDER BY created_at LIMIT %s{lock}",
            [*ages, batch_size],
        )
        rows = cursor.fetchall()
    # Both backends hand JSON columns over as text (Django decodes them in its fields).
    return [
        _Unsent(
            id=value if isinstance(value, uuid.UUID) else uuid.UUID(value),
            task_name=task_name,
            payload=json.loads(payload),
            headers=json.loads(headers),
        )
        for value, task_name, payload, headers in rows
    ]


def relay_forever(*, app: Celery) -> None:
    """The relay as a process of its own (`python -m workers <service> relay`): publish until
    SIGTERM or SIGINT."""
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    relay_until(stopped, app=app)


def relay_until(stopped: threading.Event, *, app: Celery) -> None:
    """Publish until `stopped` is set, backing off when the broker or the database is away.

    Where the processes publish their own messages after commit (SHOP_OUTBOX_PUBLISH_ON_COMMIT,
    shop.messaging.publisher), the relay is their sweeper: every SHOP_RELAY_SWEEP_SECONDS it
    publishes what is still unsent SHOP_OUTBOX_SWEEP_AFTER_SECONDS after it was recorded.
    Otherwise, on PostgreSQL, it sleeps until a commit NOTIFYs it (the outbox's trigger,
    migration messaging 0002) and sweeps every SHOP_RELAY_SWEEP_SECONDS for anything a lost
    notification left behind; elsewhere it polls every SHOP_RELAY_POLL_SECONDS. Either way the
    outbox table is what it publishes from.
    """
    wake = RelayWake(stopped)
    failures = 0
    logger.info("relay started, %s", wake.describe())
    while not stopped.is_set():
        try:
            # Listening before looking, and forgetting the wake-ups this round's SELECT answers
            # anyway: a commit after it wakes the wait below, and earlier ones wake nothing.
            wake.listen()
            wake.forget_pending()
            published = relay_pending(
                app=app, batch_size=BATCH_SIZE, older_than=wake.left_for_the_relay_before()
            )
            failures = 0
            if published < BATCH_SIZE:
                wake.wait()
        except Exception as error:  # broker or database away; both come back
            failures += 1
            pause = min(0.5 * 2 ** (failures - 1), 10.0)
            logger.warning("relay could not publish (%r); retrying in %.1fs", error, pause)
            close_old_connections()
            wake.close()
            stopped.wait(pause)
    wake.close()
    connection.close()
    logger.info("relay stopped")


class RelayInWorker:
    """The relay as a thread of the service's Celery worker (SHOP_RELAY_IN_WORKER): on one
    machine, four relay processes of their own cost about 215 MiB (README, Benchmark) for a
    sweep every two seconds. Several workers of one service may each run one: the relay locks
    the rows it publishes (SKIP LOCKED), so they never publish a message twice at once."""

    def __init__(self, app_factory: Callable[[], Celery] = publishing_app) -> None:
        # A publishing app of its own: the worker's connections stay the worker's.
        self.app_factory = app_factory
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        app = self.app_factory()
        self.thread = threading.Thread(
            target=relay_until, args=(self.stopped,), kwargs={"app": app}, name="outbox-relay"
        )
        self.thread.daemon = True  # a worker that must go does not wait for a sweep
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout)


BATCH_SIZE = 100


class RelayWake:
    """How an idle relay waits for new outbox rows: a sweep now and then where the processes
    publish their own; else LISTEN on PostgreSQL, a short sleep elsewhere (the embedded SQLite
    of `make run` has no notifications)."""

    def __init__(self, stopped: threading.Event | None = None) -> None:
        # Set when the relay is to stop: it ends the wait at once.
        self.stopped = stopped or threading.Event()
        self.is_sweeping: bool = settings.SHOP_OUTBOX_PUBLISH_ON_COMMIT
        self.is_listening = connection.vendor == "postgresql" and not self.is_sweeping
        self.listener = None

    def left_for_the_relay_before(self) -> datetime | None:
        """Sweeping, the relay takes only what its process has had time to publish."""
        if not self.is_sweeping:
            return None
        return timezone.now() - timedelta(seconds=settings.SHOP_OUTBOX_SWEEP_AFTER_SECONDS)

    def describe(self) -> str:
        if self.is_sweeping:
            return (
                f"sweeping every {settings.SHOP_RELAY_SWEEP_SECONDS}s for messages unsent"
                f" {settings.SHOP_OUTBOX_SWEEP_AFTER_SECONDS}s after commit"
            )
        if self.is_listening:
            return f"woken by commits, sweeping every {settings.SHOP_RELAY_SWEEP_SECONDS}s"
        return f"polling every {settings.SHOP_RELAY_POLL_SECONDS}s"

    def listen(self) -> None:
        if not self.is_listening or self.listener is not None:
            return
        # A connection of its own: Django may close or replace the one the relay queries on.
        listener = connection.get_new_connection(connection.get_connection_params())
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute(f"LISTEN {RELAY_WAKE_CHANNEL}")
        self.listener = listener

    def forget_pending(self) -> None:
        if self.listener is not None:
            self.listener.poll()  # raises if the connection broke: the loop reconnects
            self.listener.notifies.clear()

    def wait(self) -> None:
        if self.is_sweeping:
            self.stopped.wait(settings.SHOP_RELAY_SWEEP_SECONDS)
            return
        if self.listener is None:
            self.stopped.wait(settings.SHOP_RELAY_POLL_SECONDS)
            return
        readable, _, _ = select.select([self.listener], [], [], settings.SHOP_RELAY_SWEEP_SECONDS)
        if readable:
            self.forget_pending()

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(Exception):
                self.listener.close()
            self.listener = None
