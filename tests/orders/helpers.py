"""What the orders suite asserts with: principals, the outbox as consumers read it, timelines."""

import json
from decimal import Decimal

from orders.models import Order
from shop.auth.tokens import Principal
from shop.messaging.contract import MESSAGES_BY_TASK, Message
from shop.messaging.models import OutboxMessage
from tests.tokens import access_claims

PLACE_URL = "/api/orders/"
SUCCEEDING_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000002"
# Passes the Luhn check, but the test provider knows it not.
UNKNOWN_CARD = "4111111111111111"


def principal(*, user_id: int, username: str = "someone", is_staff: bool = False) -> Principal:
    return Principal(access_claims(user_id=user_id, username=username, is_staff=is_staff))


ALICE = principal(user_id=1001, username="alice")
BOB = principal(user_id=1002, username="bob")
STAFF = principal(user_id=1, username="admin", is_staff=True)


def detail_url(order: Order) -> str:
    return f"/api/orders/{order.id}/"


def pay_url(order: Order) -> str:
    return f"/api/orders/{order.id}/pay/"


def cancel_url(order: Order) -> str:
    return f"/api/orders/{order.id}/cancel/"


def outbox_messages() -> list[tuple[str, Message]]:
    """Every recorded message parsed exactly as its consumer will parse it (so every payload
    this service produces is checked against the contract), sorted for stable comparison."""
    parsed = []
    for row in OutboxMessage.objects.all():
        message = MESSAGES_BY_TASK[row.task_name].from_payload(row.payload)
        # Nothing is lost or added on the way through JSON.
        assert message.to_payload() == row.payload, row.task_name
        parsed.append((row.task_name, message, json.dumps(row.payload, sort_keys=True)))
    return [(task_name, message) for task_name, message, _ in sorted(parsed, key=_sort_key)]


def _sort_key(entry: tuple) -> tuple[str, str]:
    return entry[0], entry[2]


def drain_outbox() -> list[tuple[str, Message]]:
    """The messages recorded since the last drain, which are then gone (as if relayed)."""
    messages = outbox_messages()
    OutboxMessage.objects.all().delete()
    return messages


def timeline(order: Order) -> list[tuple[str, str]]:
    return list(order.history.order_by("at", "id").values_list("status", "reason"))


def money(value: str) -> Decimal:
    return Decimal(value)
