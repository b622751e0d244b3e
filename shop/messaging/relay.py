"""The outbox relay: publishes recorded messages to RabbitMQ with publisher confirms."""

import contextlib
import logging
import select
import signal
import time
from types import FrameType

from celery import Celery
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.messaging.models import OutboxMessage
from shop.messaging.outbox import RELAY_WAKE_CHANNEL

logger = logging.getLogger(__name__)


def relay_pending(*, app: Celery, batch_size: int = 100) -> int:
    """Publish up to `batch_size` unsent messages, oldest first; return how many were sent.

    Rows are locked with SKIP LOCKED, so several relays of one service never publish the same
    message at once. A message counts as sent only after the broker confirmed it; if the broker
    fails midway, what it confirmed is marked sent and the rest stays for the next round.
    """
    failure: Exception | None = None
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.filter(sent_at__isnull=True)
            .order_by("created_at")
            .select_for_update(skip_locked=True)[:batch_size]
        )
        sent: list = []
        try:
            with app.producer_or_acquire() as producer:
                for message in messages:
                    app.send_task(
                        message.task_name,
                        kwargs=message.payload,
                        task_id=str(message.id),
                        headers=message.headers,
                        producer=producer,
                        retry=False,
                    )
                    sent.append(message.id)
        except Exception as error:  # the broker's errors vary by transport; all mean "not sent"
            failure = error
            OutboxMessage.objects.filter(
                id__in=[message.id for message in messages[len(sent) :]]
            ).update(publish_attempts=F("publish_attempts") + 1, last_error=repr(error)[:2000])
        OutboxMessage.objects.filter(id__in=sent).update(sent_at=timezone.now())
    if failure is not None:
        raise failure
    return len(sent)


def relay_forever(*, app: Celery) -> None:
    """Publish until SIGTERM or SIGINT, backing off when the broker or the database is away.

    On PostgreSQL the relay sleeps until a commit NOTIFYs it (the outbox's trigger, migration
    messaging 0002) and sweeps every SHOP_RELAY_SWEEP_SECONDS for anything a lost notification
    left behind; elsewhere it polls every SHOP_RELAY_POLL_SECONDS. Either way the outbox table
    is what it publishes from.
    """
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    wake = RelayWake()
    failures = 0
    logger.info("relay started, %s", wake.describe())
    while not stopping:
        try:
            # Listening before looking, and forgetting the wake-ups this round's SELECT answers
            # anyway: a commit after it wakes the wait below, and earlier ones wake nothing.
            wake.listen()
            wake.forget_pending()
            published = relay_pending(app=app, batch_size=BATCH_SIZE)
            failures = 0
            if published < BATCH_SIZE:
                wake.wait()
        except Exception as error:  # broker or database away; both come back
            failures += 1
            pause = min(0.5 * 2 ** (failures - 1), 10.0)
            logger.warning("relay could not publish (%r); retrying in %.1fs", error, pause)
            close_old_connections()
            wake.close()
            time.sleep(pause)
    wake.close()
    logger.info("relay stopped")


BATCH_SIZE = 100


class RelayWake:
    """How an idle relay waits for new outbox rows: LISTEN on PostgreSQL, a short sleep
    elsewhere (the embedded SQLite of `make run` has no notifications)."""

    def __init__(self) -> None:
        self.is_listening = connection.vendor == "postgresql"
        self.listener = None

    def describe(self) -> str:
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
        if self.listener is None:
            time.sleep(settings.SHOP_RELAY_POLL_SECONDS)
            return
        readable, _, _ = select.select([self.listener], [], [], settings.SHOP_RELAY_SWEEP_SECONDS)
        if readable:
            self.forget_pending()

    def close(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(Exception):
                self.listener.close()
            self.listener = None
