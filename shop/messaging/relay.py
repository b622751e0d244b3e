"""The outbox relay: publishes recorded messages to RabbitMQ with publisher confirms."""

import logging
import signal
import time
from types import FrameType

from celery import Celery
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from shop.messaging.models import OutboxMessage

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
    """Publish until SIGTERM or SIGINT, polling when idle and backing off when the broker or
    the database is away."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    poll_seconds = settings.SHOP_RELAY_POLL_SECONDS
    failures = 0
    logger.info("relay started, polling every %ss", poll_seconds)
    while not stopping:
        try:
            published = relay_pending(app=app)
            failures = 0
        except Exception as error:  # broker or database away; both come back
            failures += 1
            pause = min(0.5 * 2 ** (failures - 1), 10.0)
            logger.warning("relay could not publish (%r); retrying in %.1fs", error, pause)
            close_old_connections()
            time.sleep(pause)
            continue
        if not published:
            time.sleep(poll_seconds)
    logger.info("relay stopped")
