"""Recording messages to send: the only way a service publishes to another."""

from django.db import transaction

from shop.contract import Message
from shop.messaging.models import OutboxMessage
from shop.request_id import message_headers

# On PostgreSQL every INSERT into the outbox NOTIFYs this channel (a trigger: migration 0002),
# delivered at commit and only then: the relay LISTENs on it, so it publishes a message as soon
# as the message is committed, without polling for it.
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
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(task_name=task_name, payload=payload, headers=headers)
        for task_name in message.task_names
    )


def outbox_replay(*, task_name: str, payload: dict) -> OutboxMessage:
    """Publish a received message again under a new id (staff replaying a dead message), under
    the id of the request that replays it."""
    return OutboxMessage.objects.create(
        task_name=task_name, payload=payload, headers=message_headers()
    )
