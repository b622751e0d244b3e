"""The messaging metrics: the collector's numbers against real rows and a real queue, the worker's
consumed counter, and the indexes that keep a scrape from reading whole tables."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from kombu import Connection
from prometheus_client import CollectorRegistry, generate_latest

from shop.messaging.consumer import consumer
from shop.messaging.contract import INVENTORY_STOCK_COMMIT
from shop.messaging.metrics import MessagingCollector
from shop.messaging.models import InboxMessage, OutboxMessage
from shop.observability.metrics import WORKER_REGISTRY
from workers.app import app

pytestmark = pytest.mark.django_db


def scrape(collector) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    return registry


def outbox_row(*, age_seconds: float, sent: bool) -> OutboxMessage:
    row = OutboxMessage.objects.create(task_name="inventory.stock_commit", payload={})
    created_at = timezone.now() - timedelta(seconds=age_seconds)
    OutboxMessage.objects.filter(pk=row.pk).update(
        created_at=created_at, sent_at=timezone.now() if sent else None
    )
    return row


def inbox_row(status: str, *, deliveries: int = 1, last_error: str = "") -> InboxMessage:
    return InboxMessage.objects.create(
        message_id=uuid.uuid4(),
        task_name="inventory.stock_commit",
        payload={},
        status=status,
        deliveries=deliveries,
        last_error=last_error,
    )


def test_outbox_metrics_count_unsent_rows_and_age_the_oldest():
    outbox_row(age_seconds=300, sent=True)  # older, but sent: not counted
    outbox_row(age_seconds=90, sent=False)
    outbox_row(age_seconds=5, sent=False)

    registry = scrape(MessagingCollector())

    assert registry.get_sample_value("shop_outbox_unsent_messages") == 2
    age = registry.get_sample_value("shop_outbox_oldest_unsent_age_seconds")
    assert 90 <= age < 100


def test_an_empty_outbox_has_no_lag():
    outbox_row(age_seconds=300, sent=True)

    registry = scrape(MessagingCollector())

    assert registry.get_sample_value("shop_outbox_unsent_messages") == 0
    assert registry.get_sample_value("shop_outbox_oldest_unsent_age_seconds") == 0


def test_inbox_metrics_count_dead_and_retrying_messages_only():
    inbox_row(InboxMessage.Status.DEAD, deliveries=5, last_error="boom")
    inbox_row(InboxMessage.Status.DEAD, deliveries=1, last_error="bad payload")
    inbox_row(InboxMessage.Status.RECEIVED, deliveries=1, last_error="boom")  # retrying
    inbox_row(InboxMessage.Status.RECEIVED, deliveries=2)  # its worker died: retrying
    inbox_row(InboxMessage.Status.RECEIVED, deliveries=1)  # running for the first time
    inbox_row(InboxMessage.Status.PROCESSED, deliveries=3, last_error="boom")

    registry = scrape(MessagingCollector())

    assert registry.get_sample_value("shop_inbox_messages", {"status": "dead"}) == 2
    assert registry.get_sample_value("shop_inbox_messages", {"status": "retrying"}) == 2


def test_queue_metrics_are_the_brokers_count_of_ready_messages_and_consumers(settings):
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.SHOP_SERVICE = queue
    with Connection(settings.CELERY_BROKER_URL) as broker:
        channel = broker.default_channel
        channel.queue_declare(queue=queue, auto_delete=False)
        try:
            for body in ("one", "two", "three"):
                channel.basic_publish(
                    channel.prepare_message(body.encode()), exchange="", routing_key=queue
                )

            registry = scrape(MessagingCollector())

            assert registry.get_sample_value("shop_queue_messages", {"queue": queue}) == 3
            assert registry.get_sample_value("shop_queue_consumers", {"queue": queue}) == 0
        finally:
            channel.queue_delete(queue=queue)


def test_a_missing_queue_leaves_its_series_out_and_the_rest_in(settings):
    queue = f"metrics-never-declared-{uuid.uuid4().hex[:8]}"
    settings.SHOP_SERVICE = queue

    registry = scrape(MessagingCollector())

    assert registry.get_sample_value("shop_queue_messages", {"queue": queue}) is None
    assert registry.get_sample_value("shop_outbox_unsent_messages") == 0


def test_the_web_metrics_page_serves_the_collector(client):
    outbox_row(age_seconds=30, sent=False)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert b"shop_outbox_unsent_messages 1.0" in response.content
    assert b'shop_inbox_messages{status="dead"} 0.0' in response.content


def test_the_worker_registry_serves_the_consumed_counter_not_the_web_gauges():
    text = generate_latest(WORKER_REGISTRY).decode()

    assert "# TYPE shop_messages_consumed_total counter" in text
    assert "shop_outbox_unsent_messages" not in text
    assert "process_cpu_seconds_total" in text


@pytest.fixture
def commit_task():
    """inventory.stock_commit as the consumer wrapper registers it; its handler fails on demand."""
    failures = []

    def handler(message):
        if failures:
            raise failures.pop()

    yield consumer(INVENTORY_STOCK_COMMIT)(handler), failures
    # Unregistered, so that the next test registering this name gets its own handler.
    app.tasks.pop(INVENTORY_STOCK_COMMIT, None)


def consumed(outcome: str) -> float:
    value = WORKER_REGISTRY.get_sample_value(
        "shop_messages_consumed_total", {"task": INVENTORY_STOCK_COMMIT, "outcome": outcome}
    )
    return value or 0.0


def test_each_delivery_is_counted_by_its_outcome(commit_task, settings):
    task, failures = commit_task
    settings.SHOP_MESSAGE_RETRY_BACKOFF_SECONDS = 0.01
    before = {outcome: consumed(outcome) for outcome in ("processed", "retried", "dead")}
    message_id = str(uuid.uuid4())
    order_id = str(uuid.uuid4())

    task.apply(kwargs={"order_id": order_id}, task_id=message_id)
    task.apply(kwargs={"order_id": order_id}, task_id=message_id)  # a duplicate, skipped
    task.apply(kwargs={"order": "malformed"}, task_id=str(uuid.uuid4()))
    failures.append(RuntimeError("transient"))
    task.apply(kwargs={"order_id": order_id}, task_id=str(uuid.uuid4()), throw=False, retries=0)

    assert consumed("processed") - before["processed"] >= 2
    assert consumed("dead") - before["dead"] == 1
    assert consumed("retried") - before["retried"] >= 1


def plan(statement: str, params: tuple = ()) -> str:
    """The plan PostgreSQL would choose on a big table: sequential scans priced out, so that the
    plan shows whether an index can answer the query at all."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def compiled(queryset) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def test_the_outbox_query_reads_the_partial_index_of_unsent_rows():
    statement, params = compiled(
        OutboxMessage.objects.filter(sent_at__isnull=True).values("created_at")
    )

    assert "messaging_outbox_unsent_idx" in plan(statement, params)


def test_the_inbox_query_reads_the_partial_index_of_open_rows():
    statement, params = compiled(
        InboxMessage.objects.filter(
            status__in=[InboxMessage.Status.RECEIVED, InboxMessage.Status.DEAD]
        ).values("status", "deliveries", "last_error")
    )

    assert "messaging_inbox_open_idx" in plan(statement, params)
