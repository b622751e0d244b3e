"""Recording messages to send: the only way a service publishes to another."""

import uuid
from typing import Any

from django.db import transaction

from shop.database.inserts import rows_insert
from shop.messaging.contract import Message
from shop.messaging.models import OutboxMessage
from shop.messaging.publisher import publish_on_commit
from shop.observability.request_id import message_headers

# On PostgreSQL every INSERT into the outbox NOTIFYs this channel (a trigger: migration 0002),
# delivered at commit and only then: the relay LISTENs on it, so it publishes a message as soon
# as the message is committed, without polling for it.
RELAY_WAKE_CHANNEL = "shop_outbox"


def outbox_enqueue(message: Message) -> list[OutboxMessage]:
    """Record `message` for every task that receives it, in the caller's transaction.

    Precondition: called inside `transaction.atomic()` together with the change that causes the
    message, so both commit or neither does. Nothing is published before commit; after it, this
    process publishes the message itself where SHOP_OUTBOX_PUBLISH_ON_COMMIT says so, and the
    relay otherwise (or when this process could not).
    The message carries the current request id in its headers (see `shop.observability.request_id`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the transaction of the change")
    payload = message.to_payload()
    headers = message_headers()
    rows = [
        OutboxMessage(id=uuid.uuid4(), task_name=task_name, payload=payload, headers=headers)
        for task_name in message.task_names
    ]
    # Every hop of the saga records a message: bulk_create's query builder cost three times
    # what this INSERT does (rows_insert).
    rows_insert(rows)
    publish_on_commit(rows)
    return rows


def outbox_replay(*, message_id: str, task_name: str, payload: dict[str, Any]) -> OutboxMessage:
    """Publish a received message again under its own id (staff replaying a dead message),
    under the id of the request that replays it.

    The same id, not a new one: consumers deduplicate on it, and a handler that keys its own
    effects on it (an email sent once per message) must not take a replay for another message.
    Precondition: called inside `transaction.atomic()` with the inbox change that allows the
    message to run again (see `shop.messaging.consumer.inbox_replay`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_replay must run inside the transaction of the inbox change")
    # A message replayed before (it died again) left its row here: a fresh one, so that the
    # INSERT wakes the relay as every new message does.
    OutboxMessage.objects.filter(pk=message_id).delete()
    row = OutboxMessage.objects.create(
        id=message_id, task_name=task_name, payload=payload, headers=message_headers()
    )
    publish_on_commit([row])
    return row
