"""Publishing on commit (shop.messaging.publisher) against the real RabbitMQ and PostgreSQL, and
the relay sweeping up what it missed."""

import time
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu import Connection, Queue

from shop.messaging import publisher
from shop.messaging.contract import INVENTORY_STOCK_COMMIT, CommitStock
from shop.messaging.models import OutboxMessage
from shop.messaging.outbox import outbox_enqueue
from shop.messaging.relay import RelayInWorker, RelayWake, relay_pending
from tests.shop.test_messaging import celery_app

pytestmark = pytest.mark.django_db(transaction=True)

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1//"


@pytest.fixture
def test_queue(settings):
    """A queue of the test's own that the stock-commit task is routed to, deleted afterwards."""
    name = f"test-publisher-{uuid.uuid4().hex[:8]}"
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = Queue(name, routing_key=name)(connection.default_channel)
        queue.declare()
        yield name, queue
        queue.delete()


@pytest.fixture
def process_publisher(settings, monkeypatch, test_queue):
    """This process's publisher, publishing to the test's queue."""
    settings.SHOP_OUTBOX_PUBLISH_ON_COMMIT = True
    fresh = publisher.Publisher()
    fresh.app_factory = lambda: celery_app(
        broker_url=settings.CELERY_BROKER_URL,
        routes={INVENTORY_STOCK_COMMIT: {"queue": test_queue[0]}},
    )
    monkeypatch.setattr(publisher, "PUBLISHER", fresh)
    yield fresh
    fresh.stop()


def wait_for(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    return condition()


def test_a_committed_message_is_published_by_its_process_and_marked_sent(
    process_publisher, test_queue
):
    _, queue = test_queue
    with transaction.atomic():
        (row,) = outbox_enqueue(CommitStock(order_id=uuid.uuid4()))
        assert queue.get(no_ack=True) is None  # nothing before commit

    message = wait_for(lambda: queue.get(no_ack=True))
    sent_at = wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).sent_at)

    assert message is not None
    assert message.headers["id"] == str(row.pk)
    assert message.headers["task"] == INVENTORY_STOCK_COMMIT
    assert sent_at is not None


def test_a_published_message_carries_its_payload_in_the_body_only(process_publisher, test_queue):
    _, queue = test_queue
    order_id = uuid.uuid4()
    with transaction.atomic():
        outbox_enqueue(CommitStock(order_id=order_id))

    message = wait_for(lambda: queue.get(no_ack=True))

    _, kwargs, _ = message.decode()
    assert kwargs == {"order_id": str(order_id)}
    # Celery's copy of the arguments for monitors is left out: no payload in the headers.
    assert str(order_id) not in repr(message.headers)


def test_a_rolled_back_message_is_never_published(process_publisher, test_queue):
    _, queue = test_queue
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(CommitStock(order_id=uuid.uuid4()))
        raise RuntimeError("roll back")
    with transaction.atomic():
        (committed,) = outbox_enqueue(CommitStock(order_id=uuid.uuid4()))

    first = wait_for(lambda: queue.get(no_ack=True))
    time.sleep(publisher.MARK_EVERY_SECONDS)

    assert first.headers["id"] == str(committed.pk)
    assert queue.get(no_ack=True) is None
    assert OutboxMessage.objects.count() == 1


def test_what_the_broker_refused_stays_unsent_and_the_relay_sweeps_it_up(
    settings, process_publisher, test_queue
):
    _, queue = test_queue
    process_publisher.app_factory = lambda: celery_app(broker_url=UNREACHABLE_BROKER)
    with transaction.atomic():
        (row,) = outbox_enqueue(CommitStock(order_id=uuid.uuid4()))
    assert wait_for(lambda: process_publisher.paused_until > 0)
    relay_app = celery_app(
        broker_url=settings.CELERY_BROKER_URL,
        routes={INVENTORY_STOCK_COMMIT: {"queue": test_queue[0]}},
    )

    too_young = relay_pending(app=relay_app, older_than=timezone.now() - timedelta(seconds=60))
    swept = relay_pending(app=relay_app, older_than=timezone.now() + timedelta(seconds=1))

    assert too_young == 0
    assert swept == 1
    assert wait_for(lambda: queue.get(no_ack=True)).headers["id"] == str(row.pk)
    assert OutboxMessage.objects.get(pk=row.pk).sent_at is not None


def test_while_the_broker_is_away_commits_are_left_to_the_relay_at_once(
    process_publisher, test_queue
):
    process_publisher.app_factory = lambda: celery_app(broker_url=UNREACHABLE_BROKER)
    with transaction.atomic():
        outbox_enqueue(CommitStock(order_id=uuid.uuid4()))
    assert wait_for(lambda: process_publisher.paused_until > 0)

    with transaction.atomic():
        outbox_enqueue(CommitStock(order_id=uuid.uuid4()))

    assert process_publisher.queue.qsize() == 0
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2


def test_the_relay_sweeps_instead_of_listening_when_processes_publish(settings):
    settings.SHOP_OUTBOX_PUBLISH_ON_COMMIT = True
    settings.SHOP_OUTBOX_SWEEP_AFTER_SECONDS = 3.0

    wake = RelayWake()
    before = wake.left_for_the_relay_before()

    assert not wake.is_listening
    assert before is not None
    assert abs((timezone.now() - before).total_seconds() - 3.0) < 1
    assert "sweeping" in wake.describe()


def test_the_relay_in_a_worker_sweeps_up_what_was_missed_and_stops_at_once(settings, test_queue):
    """SHOP_RELAY_IN_WORKER: the worker's thread publishes what its process did not, and the
    worker's shutdown stops it without waiting out its sweep interval."""
    name, queue = test_queue
    with transaction.atomic():  # recorded by a process that did not publish it
        (row,) = outbox_enqueue(CommitStock(order_id=uuid.uuid4()))
    settings.SHOP_OUTBOX_PUBLISH_ON_COMMIT = True
    settings.SHOP_OUTBOX_SWEEP_AFTER_SECONDS = 0.0
    settings.SHOP_RELAY_SWEEP_SECONDS = 60.0
    relay = RelayInWorker(
        app_factory=lambda: celery_app(
            broker_url=settings.CELERY_BROKER_URL, routes={INVENTORY_STOCK_COMMIT: {"queue": name}}
        )
    )
    relay.start()
    try:
        message = wait_for(lambda: queue.get(no_ack=True))
        sent_at = wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).sent_at)
    finally:
        started_stopping = time.monotonic()
        relay.stop()
    assert message is not None
    assert message.headers["id"] == str(row.pk)
    assert sent_at is not None
    assert relay.thread is not None and not relay.thread.is_alive()
    assert time.monotonic() - started_stopping < 5, "it waited out its 60 s sweep interval"
