"""The outbox relay against the real RabbitMQ, and the idempotent consumer against the database."""

import time
import types
import uuid

import pytest
from celery import Celery
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu import Connection, Queue

from shop.messaging.consumer import RetryLater, consume, is_first_delivery
from shop.messaging.contract import INVENTORY_STOCK_COMMIT, CommitStock, ReleaseStock, StockRejected
from shop.messaging.models import InboxMessage, OutboxMessage
from shop.messaging.outbox import outbox_enqueue
from shop.messaging.relay import relay_pending

ORDER_1 = uuid.UUID("00000000-0000-4000-8000-000000000001")
ORDER_9 = uuid.UUID("00000000-0000-4000-8000-000000000009")
ORDER_DEAD = uuid.UUID("00000000-0000-4000-8000-00000000dead")


pytestmark = pytest.mark.django_db


def deliver(message_id, payload, handler, message_class=CommitStock, **how):
    """A delivery of a message; `how` says what the broker said of it (`first_delivery`,
    `redelivered`), and without it, nothing (the counted path)."""
    return consume(
        message_id=message_id,
        task_name=INVENTORY_STOCK_COMMIT,
        payload=payload,
        message_class=message_class,
        handler=handler,
        **how,
    )


def deliver_first(message_id, payload, handler):
    """A delivery the broker makes for the first time (not redelivered, no retry)."""
    return deliver(message_id, payload, handler, first_delivery=True)


def redeliver(message_id, payload, handler):
    """A delivery the broker flags as a redelivery."""
    return deliver(message_id, payload, handler, redelivered=True)


@pytest.mark.django_db(transaction=True)
def test_outbox_refuses_to_record_outside_a_transaction():
    with pytest.raises(RuntimeError):
        outbox_enqueue(CommitStock(order_id=ORDER_1))


def test_outbox_records_one_row_per_receiving_task():
    with transaction.atomic():
        rows = outbox_enqueue(StockRejected(order_id=ORDER_1, reason="out of stock"))

    assert [row.task_name for row in rows] == ["orders.order_reserve_reject"]
    assert OutboxMessage.objects.get().payload == {
        "order_id": str(ORDER_1),
        "reason": "out of stock",
    }


def test_consumer_runs_a_message_once_however_often_it_is_delivered():
    effects = []
    message_id = str(uuid.uuid4())

    first = deliver(message_id, {"order_id": str(ORDER_1)}, effects.append)
    second = deliver(message_id, {"order_id": str(ORDER_1)}, effects.append)

    assert (first, second) == (InboxMessage.Status.PROCESSED, InboxMessage.Status.PROCESSED)
    assert effects == [CommitStock(order_id=ORDER_1)]
    assert InboxMessage.objects.get().deliveries == 2


def test_consumer_ignores_unknown_fields():
    effects = []

    deliver(str(uuid.uuid4()), {"order_id": str(ORDER_1), "added_later": 1}, effects.append)

    assert effects == [CommitStock(order_id=ORDER_1)]


def test_malformed_payload_is_dead_at_once_without_running():
    effects = []
    message_id = str(uuid.uuid4())

    status = deliver(message_id, {"order": str(ORDER_1)}, effects.append)

    assert status == InboxMessage.Status.DEAD
    assert effects == []
    assert "missing required field `order_id`" in InboxMessage.objects.get().last_error


def test_failing_handler_rolls_back_and_retries_until_the_bound(settings):
    settings.SHOP_MESSAGE_MAX_DELIVERIES = 3
    message_id = str(uuid.uuid4())

    def failing(message):
        OutboxMessage.objects.create(task_name="x.y", payload={})  # must be rolled back
        raise ValueError("boom")

    for _ in range(2):
        with pytest.raises(RetryLater):
            deliver(message_id, {"order_id": str(ORDER_1)}, failing)
    final = deliver(message_id, {"order_id": str(ORDER_1)}, failing)

    inbox = InboxMessage.objects.get()
    assert final == InboxMessage.Status.DEAD
    assert (inbox.status, inbox.deliveries) == ("dead", 3)
    assert "boom" in inbox.last_error
    assert not OutboxMessage.objects.exists()


def test_a_message_that_keeps_killing_its_worker_is_given_up(settings):
    settings.SHOP_MESSAGE_MAX_DELIVERIES = 2
    message_id = str(uuid.uuid4())
    # Two deliveries counted but never finished: the worker died each time.
    InboxMessage.objects.create(
        message_id=message_id, task_name=INVENTORY_STOCK_COMMIT, payload={}, deliveries=2
    )
    effects = []

    status = deliver(message_id, {"order_id": str(ORDER_1)}, effects.append)

    assert status == InboxMessage.Status.DEAD
    assert effects == []


def test_retry_backoff_grows_and_is_capped(settings):
    from shop.messaging.consumer import backoff_seconds

    settings.SHOP_MESSAGE_RETRY_BACKOFF_SECONDS = 1
    settings.SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS = 5

    assert [backoff_seconds(attempt=n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def celery_app(*, broker_url: str, routes: dict | None = None) -> Celery:
    """A Celery app of the test's own, so that its routes and connection pools leave the shared
    app (and so every other test) untouched."""
    test_app = Celery("messaging-test", broker=broker_url)
    test_app.conf.broker_transport_options = {"confirm_publish": True}
    test_app.conf.broker_connection_timeout = 2
    test_app.conf.task_routes = (routes or {},)
    return test_app


@pytest.mark.django_db(transaction=True)
def test_relay_publishes_with_the_message_id_as_task_id_and_marks_sent(settings):
    queue_name = f"test-relay-{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        (row,) = outbox_enqueue(ReleaseStock(order_id=ORDER_9, reason="cancelled"))
    OutboxMessage.objects.filter(pk=row.pk).update(task_name=f"{queue_name}.stock_release")
    relay_app = celery_app(
        broker_url=settings.CELERY_BROKER_URL,
        routes={f"{queue_name}.stock_release": {"queue": queue_name}},
    )
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = Queue(queue_name, routing_key=queue_name)
        published = relay_pending(app=relay_app)
        message = queue(connection.default_channel).get(no_ack=True)
        queue(connection.default_channel).delete()

    assert published == 1
    assert OutboxMessage.objects.get(pk=row.pk).sent_at is not None
    assert message.headers["id"] == str(row.pk)
    assert message.headers["task"] == f"{queue_name}.stock_release"
    assert relay_pending(app=relay_app) == 0


@pytest.mark.django_db(transaction=True)
def test_relay_keeps_messages_when_the_broker_is_unreachable():
    with transaction.atomic():
        (row,) = outbox_enqueue(CommitStock(order_id=ORDER_1))

    with pytest.raises(Exception):  # noqa: B017 - the transport's own connection error
        relay_pending(app=celery_app(broker_url="amqp://guest:guest@127.0.0.1:1//"))

    row.refresh_from_db()
    assert row.sent_at is None
    assert row.publish_attempts == 1
    assert row.last_error


def test_readiness_reports_an_unreachable_broker(client, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"

    response = client.get("/readyz", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert "broker unreachable" in str(response.json())


def test_readiness_is_ok_with_database_and_broker(client):
    response = client.get("/readyz", HTTP_ACCEPT="application/json")

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_committed_outbox_row_wakes_the_listening_relay_and_an_uncommitted_one_does_not():
    from django.db import connection

    from shop.messaging.relay import RelayWake

    wake = RelayWake()
    wake.listen()
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_enqueue(CommitStock(order_id="o-rolled-back"))
            raise RuntimeError("roll back")
        started = time.monotonic()
        wake.wait()
        assert time.monotonic() - started >= settings.SHOP_RELAY_SWEEP_SECONDS * 0.9

        with transaction.atomic():
            outbox_enqueue(CommitStock(order_id=ORDER_1))
        started = time.monotonic()
        wake.wait()
        assert time.monotonic() - started < settings.SHOP_RELAY_SWEEP_SECONDS / 2
        assert connection.vendor == "postgresql"
    finally:
        wake.close()


@pytest.mark.django_db(transaction=True)
def test_replayed_dead_message_keeps_its_id_and_runs_exactly_once_more(settings, client):
    # given a message that died, whose handler keys its effect on the message id (an email
    # sent once per message), as delivered by the real broker
    settings.SHOP_MESSAGE_MAX_DELIVERIES = 2
    queue_name = f"test-replay-{uuid.uuid4().hex[:8]}"
    task_name = f"{queue_name}.stock_commit"
    message_id = str(uuid.uuid4())
    payload = CommitStock(order_id=ORDER_DEAD).to_payload()
    emails_sent: list[str] = []

    def run(handler) -> InboxMessage.Status:
        try:
            return consume(
                message_id=message_id,
                task_name=task_name,
                payload=payload,
                message_class=CommitStock,
                handler=handler,
            )
        except RetryLater:
            return InboxMessage.Status.RECEIVED

    def broken(message) -> None:
        raise RuntimeError("SMTP down")

    def send_email(message) -> None:
        emails_sent.append(message_id)

    while run(broken) != InboxMessage.Status.DEAD:
        pass
    staff = get_user_model().objects.create_superuser("ops", password="unused-password")
    client.force_login(staff)

    # when staff replay it (twice, as a double click does), and the relay publishes it
    changelist = reverse("admin:messaging_inboxmessage_changelist")
    for _ in range(2):
        response = client.post(changelist, {"action": "replay", "_selected_action": [message_id]})
        assert response.status_code == 302
    relay_app = celery_app(
        broker_url=settings.CELERY_BROKER_URL, routes={task_name: {"queue": queue_name}}
    )
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = Queue(queue_name, routing_key=queue_name)
        assert relay_pending(app=relay_app) == 1
        published = queue(connection.default_channel).get(no_ack=True)
        leftover = queue(connection.default_channel).get(no_ack=True)
        queue(connection.default_channel).delete()

    # then it is the same message, and it runs once more, however often it is delivered
    assert leftover is None
    assert published.headers["id"] == message_id
    assert published.headers["task"] == task_name
    assert run(send_email) == InboxMessage.Status.PROCESSED
    assert run(send_email) == InboxMessage.Status.PROCESSED
    assert emails_sent == [message_id]
    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.status, inbox.deliveries) == (InboxMessage.Status.PROCESSED, 2)


@pytest.mark.django_db(transaction=True)
def test_a_first_delivery_is_recorded_processed_with_its_effect_in_one_statement():
    effects = []
    message_id = str(uuid.uuid4())

    with CaptureQueriesContext(connection) as statements:
        status = deliver_first(message_id, {"order_id": str(ORDER_1)}, effects.append)

    # The INSERT of the processed row, in the handler's transaction, and nothing else.
    sent = [query["sql"].split(" (")[0] for query in statements.captured_queries]
    assert sent == ["BEGIN", 'INSERT INTO "messaging_inboxmessage"', "COMMIT"]

    inbox = InboxMessage.objects.get()
    assert status == InboxMessage.Status.PROCESSED
    assert effects == [CommitStock(order_id=ORDER_1)]
    assert (inbox.status, inbox.deliveries) == ("processed", 1)
    assert inbox.finished_at is not None


def test_a_second_copy_delivered_first_is_counted_and_skipped():
    effects = []
    message_id = str(uuid.uuid4())

    first = deliver_first(message_id, {"order_id": str(ORDER_1)}, effects.append)
    copy = deliver_first(message_id, {"order_id": str(ORDER_1)}, effects.append)

    assert (first, copy) == (InboxMessage.Status.PROCESSED, InboxMessage.Status.PROCESSED)
    assert effects == [CommitStock(order_id=ORDER_1)]
    assert InboxMessage.objects.get().deliveries == 2


def test_a_failing_first_delivery_rolls_back_and_is_counted_with_its_error(settings):
    settings.SHOP_MESSAGE_MAX_DELIVERIES = 2
    message_id = str(uuid.uuid4())

    def failing(message):
        OutboxMessage.objects.create(task_name="x.y", payload={})  # must be rolled back
        raise ValueError("boom")

    with pytest.raises(RetryLater):
        deliver_first(message_id, {"order_id": str(ORDER_1)}, failing)
    inbox = InboxMessage.objects.get()
    assert (inbox.status, inbox.deliveries) == ("received", 1)
    assert "boom" in inbox.last_error
    assert not OutboxMessage.objects.exists()

    # The retry comes back as a retry, counted: the bound holds as before.
    assert deliver(message_id, {"order_id": str(ORDER_1)}, failing) == InboxMessage.Status.DEAD
    assert InboxMessage.objects.get().deliveries == 2


def test_a_redelivery_after_a_first_delivery_that_died_counts_both(settings):
    settings.SHOP_MESSAGE_MAX_DELIVERIES = 3
    message_id = str(uuid.uuid4())
    effects = []

    def dies(message):
        raise SystemExit(1)  # what a killed worker's delivery leaves: no commit, no answer

    # The first delivery ran uncounted and died before its commit: no row.
    with pytest.raises(SystemExit):
        deliver_first(message_id, {"order_id": str(ORDER_1)}, dies)
    assert not InboxMessage.objects.exists()
    # Each redelivery dies too, counted, the first one with the delivery before it.
    for deliveries in (2, 3):
        with pytest.raises(SystemExit):
            redeliver(message_id, {"order_id": str(ORDER_1)}, dies)
        assert InboxMessage.objects.get().deliveries == deliveries

    status = redeliver(message_id, {"order_id": str(ORDER_1)}, effects.append)

    assert status == InboxMessage.Status.DEAD
    assert effects == []
    assert "delivered 3 times without finishing" in InboxMessage.objects.get().last_error


def test_a_malformed_first_delivery_is_dead_at_once_with_its_reason():
    message_id = str(uuid.uuid4())

    status = deliver_first(message_id, {"order": str(ORDER_1)}, lambda message: None)

    assert status == InboxMessage.Status.DEAD
    assert "missing required field `order_id`" in InboxMessage.objects.get().last_error


@pytest.mark.parametrize(
    ("delivery_info", "retries", "first"),
    [
        ({"redelivered": False}, 0, True),
        ({}, 0, True),
        (None, 0, True),
        ({"redelivered": True}, 0, False),
        ({"redelivered": False}, 1, False),
    ],
)
def test_only_a_message_never_delivered_before_counts_as_a_first_delivery(
    delivery_info, retries, first
):
    request = types.SimpleNamespace(delivery_info=delivery_info, retries=retries)

    assert is_first_delivery(request) is first
