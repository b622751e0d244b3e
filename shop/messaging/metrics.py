"""What a service's messaging tells Prometheus: its outbox, its inbox, its queue, what it consumed.

The gauges are read from the database and the broker when Prometheus scrapes, by a collector
registered in every web process: any web process (or pod) answers with the same numbers, so no
state lives in one process's memory. Each query runs on a partial index that holds only the
rows worth watching (unsent, dead or retrying messages), never the whole table.

What a worker consumed is a counter in the worker's own process (see `shop.observability`):
counting it from the inbox would mean counting every processed row ever received.
"""

import logging
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shop.messaging.models import InboxMessage, OutboxMessage
from shop.observability.metrics import WORKER_REGISTRY

logger = logging.getLogger(__name__)

MESSAGES_CONSUMED = Counter(
    "shop_messages_consumed",
    "Deliveries a worker handled, by task and outcome: processed (its effect committed, or a "
    "duplicate of a processed message skipped), retried (will come back), dead (given up), "
    "failed (an error the consumer could not handle).",
    ["task", "outcome"],
    registry=WORKER_REGISTRY,
)

# Inbox rows that need an operator's eye (dead) or are still owed an effect (received): the
# partial index messaging_inbox_open_idx holds only these, processed rows never.
INBOX_OPEN_STATUSES = (InboxMessage.Status.RECEIVED, InboxMessage.Status.DEAD)
BROKER_TIMEOUT_SECONDS = 2


def inbox_retrying_condition() -> Q:
    """A received message that failed before (an error recorded, or a delivery that never
    finished): waiting for its retry rather than running for the first time."""
    return Q(status=InboxMessage.Status.RECEIVED) & (Q(deliveries__gt=1) | ~Q(last_error=""))


class MessagingCollector(Collector):
    """The outbox's backlog, the inbox's troubles and the service's queue, at scrape time."""

    def describe(self) -> list[Metric]:
        # Nothing, rather than the registry's default of collecting once to learn the names:
        # that would query the database and the broker when the process starts.
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._outbox()
            yield from self._inbox()
        except DatabaseError as error:
            # An unreachable database shows as missing series (and /readyz failing), never as
            # a scrape that fails: the broker's numbers and the request metrics still count.
            logger.warning("metrics: the database did not answer: %r", error)
        yield from self._queue()

    def _outbox(self) -> Iterator[Metric]:
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
            count=Count("id"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily(
            "shop_outbox_unsent_messages",
            "Messages recorded in the outbox that the relay has not yet handed to the broker.",
            value=unsent["count"],
        )
        yield GaugeMetricFamily(
            "shop_outbox_oldest_unsent_age_seconds",
            "How long the oldest unsent outbox message has waited (0 when none waits).",
            value=_age_seconds(unsent["oldest"]),
        )

    def _inbox(self) -> Iterator[Metric]:
        open_rows = InboxMessage.objects.filter(status__in=INBOX_OPEN_STATUSES)
        counts = open_rows.aggregate(
            dead=Count("message_id", filter=Q(status=InboxMessage.Status.DEAD)),
            retrying=Count("message_id", filter=inbox_retrying_condition()),
        )
        family = GaugeMetricFamily(
            "shop_inbox_messages",
            "Received messages that are dead (given up; staff can replay them) or retrying.",
            labels=["status"],
        )
        for status in ("dead", "retrying"):
            family.add_metric([status], counts[status])
        yield family

    def _queue(self) -> Iterator[Metric]:
        """The service's own queue as the broker sees it: messages ready and consumers."""
        queue = settings.SHOP_SERVICE
        try:
            message_count, consumer_count = queue_stats(queue)
        # Any broker failure (down, the queue not declared yet): no series, the scrape goes on.
        except Exception as error:
            logger.warning("metrics: no numbers from the broker for queue %s: %r", queue, error)
            return
        for name, documentation, value in (
            (
                "shop_queue_messages",
                "Messages ready in the service's queue, waiting for a consumer.",
                message_count,
            ),
            (
                "shop_queue_consumers",
                "Consumers (worker connections) on the service's queue.",
                consumer_count,
            ),
        ):
            family = GaugeMetricFamily(name, documentation, labels=["queue"])
            family.add_metric([queue], value)
            yield family


def queue_stats(queue: str) -> tuple[int, int]:
    """(messages ready, consumers) of `queue`, by a passive declare: it creates nothing, and
    fails if the queue does not exist yet (no worker ever declared it)."""
    from kombu import Connection

    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as broker:
        declared = broker.default_channel.queue_declare(queue=queue, passive=True)
    return declared.message_count, declared.consumer_count


def _age_seconds(since: datetime | None) -> float:
    return max(0.0, (timezone.now() - since).total_seconds()) if since else 0.0
