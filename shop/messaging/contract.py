"""Every message that crosses a service boundary: its task name and its JSON payload.

Task names are `<service>.<entity>_<action>`; the prefix names the queue of the service that
consumes it, the rest the step it takes (orders' service function `order_reserve_confirm` takes
`orders.order_reserve_confirm`). In each service's tasks.py, the consumer of a message is named
after the message (`on_stock_reserved` consumes `StockReserved`), so a task never shares its
service function's name.

Producers build these messages and publish them through their outbox; consumers parse the
payload back with `from_payload`, once, at the boundary: msgspec turns it into the message's
types (UUIDs, bounded integers, Decimals) or raises `ContractError`, so a malformed payload is
refused the same way on every side. Fields a consumer does not know are ignored (so
a producer may add a field before its consumers read it); missing or mistyped ones are refused.
"""

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

import msgspec

# Task names, grouped by the service that consumes them.
INVENTORY_PRODUCT_SYNC = "inventory.product_sync"
INVENTORY_STOCK_RESERVE = "inventory.stock_reserve"
INVENTORY_STOCK_RELEASE = "inventory.stock_release"
INVENTORY_STOCK_COMMIT = "inventory.stock_commit"
ORDERS_PRODUCT_SYNC = "orders.product_sync"
ORDERS_ORDER_RESERVE_CONFIRM = "orders.order_reserve_confirm"
ORDERS_ORDER_RESERVE_REJECT = "orders.order_reserve_reject"
USERS_NOTIFICATION_SEND = "users.notification_send"
USERS_SSO_REVOKE = "users.sso_revoke"


# The largest PostgreSQL bigint: every id and quantity column the messages end in is one.
BIGINT_MAX = 2**63 - 1
DatabaseId = Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX)]
# The most lines one order may have: orders refuses more at placement, inventory in the contract.
MAX_ORDER_LINES = 50


class ContractError(ValueError):
    """A payload that does not match its message: a permanent error, never worth a retry."""


class Message(msgspec.Struct, frozen=True, kw_only=True):
    # The tasks this message is delivered to: one row in the outbox per task name.
    task_names: ClassVar[tuple[str, ...]] = ()

    def to_payload(self) -> dict[str, Any]:
        # Through JSON, so the payload is what the consumer will read (lists, not tuples).
        payload: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(self))
        return payload

    @classmethod
    def from_payload(cls, payload: Any) -> Self:
        try:
            return msgspec.convert(payload, cls)
        except msgspec.ValidationError as error:
            raise ContractError(str(error)) from error


class StockLine(msgspec.Struct, frozen=True):
    product_id: DatabaseId
    quantity: Quantity


class ProductChanged(Message, frozen=True, kw_only=True):
    """A product was created or changed in the catalog. `version` grows with every change, so
    a consumer keeps the newest state even when deliveries arrive out of order."""

    task_names = (INVENTORY_PRODUCT_SYNC, ORDERS_PRODUCT_SYNC)

    product_id: DatabaseId
    version: DatabaseId
    sku: str
    name: str
    price: Decimal
    currency: str
    is_active: bool


class ReserveStock(Message, frozen=True, kw_only=True):
    """Orders asks inventory to reserve every line of an order, or none of them."""

    task_names = (INVENTORY_STOCK_RESERVE,)

    order_id: UUID
    lines: Annotated[tuple[StockLine, ...], msgspec.Meta(min_length=1, max_length=MAX_ORDER_LINES)]


class StockReserved(Message, frozen=True, kw_only=True):
    task_names = (ORDERS_ORDER_RESERVE_CONFIRM,)

    order_id: UUID


class StockRejected(Message, frozen=True, kw_only=True):
    task_names = (ORDERS_ORDER_RESERVE_REJECT,)

    order_id: UUID
    reason: str


class ReleaseStock(Message, frozen=True, kw_only=True):
    """The order was cancelled or expired: give its reserved units back."""

    task_names = (INVENTORY_STOCK_RELEASE,)

    order_id: UUID
    reason: str


class CommitStock(Message, frozen=True, kw_only=True):
    """The order was paid: its reserved units leave the warehouse."""

    task_names = (INVENTORY_STOCK_COMMIT,)

    order_id: UUID


class SendNotification(Message, frozen=True, kw_only=True):
    """Email a user. `kind` picks the template; `context` fills it (strings only)."""

    task_names = (USERS_NOTIFICATION_SEND,)

    user_id: DatabaseId
    kind: str
    context: dict[str, str] = msgspec.field(default_factory=dict)


class SsoRevoked(Message, frozen=True, kw_only=True):
    """A browser signed out on some service: its SSO cookie (see shop.auth.sso), whose id is `jti`,
    must open nothing any more, copies of it included. The users service, which vouches for
    every cookie, remembers it until `expires_at` (seconds since the epoch, the cookie's `exp`),
    after which the cookie is void anyway."""

    task_names = (USERS_SSO_REVOKE,)

    user_id: DatabaseId
    jti: str
    expires_at: int


# The kinds of email, and the context keys each one's template reads.
NOTIFICATION_CONTEXT_KEYS: dict[str, tuple[str, ...]] = {
    "welcome": (),
    "order_paid": ("order_id", "total", "currency"),
    "order_rejected": ("order_id", "reason"),
    "order_expired": ("order_id", "total", "currency"),
}
NOTIFICATION_KINDS = tuple(NOTIFICATION_CONTEXT_KEYS)

# Which message a task receives: the consumer side's lookup.
MESSAGES_BY_TASK: dict[str, type[Message]] = {
    task_name: message
    for message in (
        ProductChanged,
        ReserveStock,
        StockReserved,
        StockRejected,
        ReleaseStock,
        CommitStock,
        SendNotification,
        SsoRevoked,
    )
    for task_name in message.task_names
}
