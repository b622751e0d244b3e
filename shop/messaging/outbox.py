"""Recording messages to send: the only way a service publishes to another."""

from django.db import connection, transaction

from shop.contract import Message
from shop.messaging.models import OutboxMessage
from shop.request_id import message_headers

# PostgreSQL delivers a NOTIFY at commit, and only then: the relay LISTENs on this channel, so it
# publishes a message as soon as the message is committed, without polling for it.
RELAY_WAKE_CHANNEL = "shop_outbox"


def outbox_enqueue(message: Message) -> list[OutboxMessage]:
    """Record `message` for every task that receives it, in the caller's transaction.

    Precondition: called inside `transaction.atomic()` together with the change that causes the
    message, so both commit or neither does. Nothing is published before commit.
    The message carries the current request id in its headers (see `shop.request_id`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the transaction of the change")
    payload = message.to_payload()
    headers = message_headers()
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(task_name=task_name, payload=payload, headers=headers)
        for task_name in message.task_names
    )
    _wake_relay()
    return rows


def outbox_replay(*, task_name: str, payload: dict) -> OutboxMessage:
    """Publish a received message again under a new id (staff replaying a dead message), under
    the id of the request that replays it."""
    with transaction.atomic():
        row = OutboxMessage.objects.create(
            task_name=task_name, payload=payload, headers=message_headers()
        )
        _wake_relay()
    return row


def _wake_relay() -> None:
    """Wake the relay when this transaction commits (PostgreSQL; elsewhere the relay polls)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {RELAY_WAKE_CHANNEL}")
