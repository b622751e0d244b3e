"""The request id: kept from the gateway, returned, recorded with every message the request
causes, bound again by the worker that runs each message's task, and passed on from there."""

import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.db import transaction
from django.test import Client
from kombu import Connection, Queue, pools

import workers.app  # noqa: F401 - the app before any task, and its signal receivers
from shop.messaging.consumer import consumer
from shop.messaging.contract import INVENTORY_STOCK_COMMIT, CommitStock, StockReserved
from shop.messaging.models import InboxMessage, OutboxMessage
from shop.messaging.outbox import outbox_enqueue
from shop.messaging.relay import relay_pending
from shop.observability.request_id import bound_request_id, current_request_id
from workers.app import app

ORDER_1 = uuid.UUID("00000000-0000-4000-8000-000000000001")
ORDER_2 = uuid.UUID("00000000-0000-4000-8000-000000000002")
ORDER_7 = uuid.UUID("00000000-0000-4000-8000-000000000007")
ORDER_8 = uuid.UUID("00000000-0000-4000-8000-000000000008")
ORDER_9 = uuid.UUID("00000000-0000-4000-8000-000000000009")


ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT_SECONDS = 30


def is_generated(request_id: str) -> bool:
    return re.fullmatch("[0-9a-f]{32}", request_id) is not None


# -- HTTP -----------------------------------------------------------------------------------


def test_the_gateways_request_id_is_kept_and_returned():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="gw-4f2a.7_x")

    assert response["X-Request-ID"] == "gw-4f2a.7_x"


def test_a_request_without_an_id_gets_a_new_one():
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]

    assert is_generated(first)
    assert is_generated(second)
    assert first != second


@pytest.mark.parametrize("sent", ["two words", "x" * 129, "id\nforged log line", "ünïcode"])
def test_an_unacceptable_request_id_is_replaced(sent):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=sent)

    assert is_generated(response["X-Request-ID"])


def test_the_request_id_is_unbound_after_the_request():
    Client().get("/healthz", HTTP_X_REQUEST_ID="gw-gone")

    assert current_request_id() is None


# -- the outbox -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_messages_a_request_records_carry_its_request_id(staff):
    response = staff.client().post(
        "/api/products/",
        {"sku": "MUG-RID", "name": "Mug", "price": "9.90"},
        format="json",
        HTTP_X_REQUEST_ID="req-create-mug",
    )

    rows = OutboxMessage.objects.all()
    assert response.status_code == 201
    assert len(rows) == 2  # ProductChanged, for inventory and for orders
    assert all(row.headers == {"request_id": "req-create-mug"} for row in rows)


@pytest.mark.django_db
def test_outbox_records_the_current_request_id_and_none_outside_a_request():
    with transaction.atomic(), bound_request_id("req-outbox"):
        (inside,) = outbox_enqueue(CommitStock(order_id=ORDER_1))
    with transaction.atomic():
        (outside,) = outbox_enqueue(CommitStock(order_id=ORDER_2))

    assert OutboxMessage.objects.get(pk=inside.pk).headers == {"request_id": "req-outbox"}
    assert OutboxMessage.objects.get(pk=outside.pk).headers == {}


# -- tasks ----------------------------------------------------------------------------------


@pytest.fixture
def stock_commit_consumer():
    """A consumer of `inventory.stock_commit` (not a task of products, whose settings this suite
    runs under) that logs and records an answer, as inventory's handlers do."""

    def handler(message: CommitStock) -> None:
        logging.getLogger("tests.handler").info("committing %s", message.order_id)
        outbox_enqueue(StockReserved(order_id=message.order_id))

    task = consumer(INVENTORY_STOCK_COMMIT)(handler)
    yield task
    app.tasks.pop(INVENTORY_STOCK_COMMIT, None)


@pytest.mark.django_db
def test_a_consumed_message_runs_under_its_request_id_and_passes_it_on(
    stock_commit_consumer, log_lines
):
    message_id = str(uuid.uuid4())

    stock_commit_consumer.apply(
        kwargs={"order_id": str(ORDER_7)}, task_id=message_id, headers={"request_id": "req-saga"}
    )

    handler_line = next(line for line in log_lines() if line["logger"] == "tests.handler")
    (answer,) = OutboxMessage.objects.all()
    assert InboxMessage.objects.get(message_id=message_id).status == "processed"
    assert handler_line["request_id"] == "req-saga"
    assert answer.task_name == "orders.order_reserve_confirm"
    assert answer.headers == {"request_id": "req-saga"}
    assert current_request_id() is None


@pytest.mark.django_db
def test_a_task_without_a_request_id_runs_under_a_new_one(stock_commit_consumer):
    stock_commit_consumer.apply(kwargs={"order_id": str(ORDER_8)}, task_id=str(uuid.uuid4()))

    (answer,) = OutboxMessage.objects.all()
    assert is_generated(answer.headers["request_id"])
    assert current_request_id() is None


@pytest.mark.django_db
def test_a_task_run_inside_a_request_restores_the_requests_id_after(stock_commit_consumer):
    with bound_request_id("req-outer"):
        stock_commit_consumer.apply(
            kwargs={"order_id": str(ORDER_9)},
            task_id=str(uuid.uuid4()),
            headers={"request_id": "inner"},
        )

        assert current_request_id() == "req-outer"


# -- through RabbitMQ -----------------------------------------------------------------------


def record_and_route(queue_name: str, request_id: str) -> OutboxMessage:
    """An outbox row recorded under `request_id`, renamed to a task of a throwaway queue."""
    with transaction.atomic(), bound_request_id(request_id):
        (row,) = outbox_enqueue(CommitStock(order_id=ORDER_1))
    OutboxMessage.objects.filter(pk=row.pk).update(task_name=f"{queue_name}.probe")
    return row


def relay_to(queue_name: str) -> int:
    """Relay the outbox with `<queue_name>.probe` routed to that throwaway queue, never to a
    service's queue. By an app of its own, on fresh connection pools: Celery builds an app's
    router once, and other tests change the shared app's and close its pools."""
    pools.reset()
    relay = Celery("test-relay", set_as_current=False)
    relay.config_from_object("django.conf:settings", namespace="CELERY")
    relay.conf.task_routes = ({f"{queue_name}.probe": {"queue": queue_name}},)
    try:
        return relay_pending(app=relay)
    finally:
        relay.close()


@pytest.mark.django_db(transaction=True)
def test_the_relay_publishes_the_request_id_as_a_message_header():
    queue_name = f"test-request-id-{uuid.uuid4().hex[:8]}"
    row = record_and_route(queue_name, "req-relay")
    with Connection(app.conf.broker_url) as connection:
        queue = Queue(queue_name, routing_key=queue_name)
        queue(connection.default_channel).declare()
        try:
            assert relay_to(queue_name) == 1
            message = queue(connection.default_channel).get(no_ack=True)
        finally:
            queue(connection.default_channel).delete()

    assert message.headers["id"] == str(row.pk)
    assert message.headers["request_id"] == "req-relay"


WORKER = textwrap.dedent(
    """
    import logging, sys

    import django

    django.setup()
    from workers.app import app

    queue = sys.argv[1]

    @app.task(name=f"{queue}.probe", bind=True)
    def probe(self, **payload):
        logging.getLogger("tests.probe").info(
            "probe ran",
            extra={
                "seen_attribute": getattr(self.request, "request_id", None),
                "seen_headers": self.request.headers,
            },
        )

    from workers.__main__ import main

    main(["products", "worker", "--queues", queue, "--pool", "solo",
          "--without-gossip", "--without-mingle", "--without-heartbeat"])
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_relayed_task_under_its_request_id_and_logs_json(tmp_path):
    queue_name = f"test-request-id-{uuid.uuid4().hex[:8]}"
    output = tmp_path / "worker.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "products.settings"}
    env.pop("DJANGO_LOG_FORMAT", None)
    with open(output, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, queue_name],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_output(output, b" ready.", worker)
        record_and_route(queue_name, "req-worker")
        assert relay_to(queue_name) == 1
        wait_for_output(output, b"succeeded", worker)
        # Before the worker stops: Celery prints its shutdown notice as plain text.
        lines = [line for line in output.read_text().splitlines() if line]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        with Connection(app.conf.broker_url) as connection:
            Queue(queue_name)(connection.default_channel).delete()

    parsed = [parse_json(line) for line in lines]  # every line is one JSON object
    probe = next(line for line in parsed if line["logger"] == "tests.probe")
    succeeded = next(line for line in parsed if "succeeded" in line["message"])
    assert probe["seen_attribute"] == "req-worker"
    assert probe["seen_headers"] == {"request_id": "req-worker"}
    assert (probe["service"], probe["request_id"]) == ("products", "req-worker")
    assert succeeded["request_id"] == "req-worker"


def wait_for_output(path: Path, text: bytes, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if text in path.read_bytes():
            return
        assert process.poll() is None, path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} from the worker:\n{path.read_text()}")


def parse_json(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:
        raise AssertionError(f"not a JSON log line: {line!r}") from None
