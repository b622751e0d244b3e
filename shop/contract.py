"""Every message that crosses a service boundary: its task name and its JSON payload.

Task names are `<service>.<entity>_<action>`; the prefix names the queue of the service that
consumes it. Producers build these dataclasses and publish them through their outbox; consumers
parse the payload back with `from_payload`, which ignores fields it does not know (so a producer
may add a field before its consumers read it) and refuses missing or mistyped ones.
"""

import dataclasses
import typing
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Self

SERVICES = ("users", "products", "orders", "inventory")

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


class ContractError(ValueError):
    """A payload that does not match its message: a permanent error, never worth a retry."""


@dataclasses.dataclass(frozen=True)
class Message:
    # The tasks this message is delivered to: one row in the outbox per task name.
    task_names: ClassVar[tuple[str, ...]] = ()

    def to_payload(self) -> dict[str, Any]:
        return _to_json(dataclasses.asdict(self))

    @classmethod
    def from_payload(cls, payload: Any) -> Self:
        return _parse_dataclass(cls, payload, where=cls.__name__)


@dataclasses.dataclass(frozen=True)
class StockLine:
    product_id: int
    quantity: int


@dataclasses.dataclass(frozen=True)
class ProductChanged(Message):
    """A product was created or changed in the catalog. `version` grows with every change, so
    a consumer keeps the newest state even when deliveries arrive out of order."""

    task_names = (INVENTORY_PRODUCT_SYNC, ORDERS_PRODUCT_SYNC)

    product_id: int
    version: int
    sku: str
    name: str
    price: Decimal
    currency: str
    is_active: bool


@dataclasses.dataclass(frozen=True)
class ReserveStock(Message):
    """Orders asks inventory to reserve every line of an order, or none of them."""

    task_names = (INVENTORY_STOCK_RESERVE,)

    order_id: str
    lines: tuple[StockLine, ...]


@dataclasses.dataclass(frozen=True)
class StockReserved(Message):
    task_names = (ORDERS_ORDER_RESERVE_CONFIRM,)

    order_id: str


@dataclasses.dataclass(frozen=True)
class StockRejected(Message):
    task_names = (ORDERS_ORDER_RESERVE_REJECT,)

    order_id: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ReleaseStock(Message):
    """The order was cancelled or expired: give its reserved units back."""

    task_names = (INVENTORY_STOCK_RELEASE,)

    order_id: str
    reason: str


@dataclasses.dataclass(frozen=True)
class CommitStock(Message):
    """The order was paid: its reserved units leave the warehouse."""

    task_names = (INVENTORY_STOCK_COMMIT,)

    order_id: str


@dataclasses.dataclass(frozen=True)
class SendNotification(Message):
    """Email a user. `kind` picks the template; `context` fills it (strings only)."""

    task_names = (USERS_NOTIFICATION_SEND,)

    user_id: int
    kind: str
    context: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SsoRevoked(Message):
    """A browser signed out on some service: its SSO cookie (see shop.sso), whose id is `jti`,
    must open nothing any more, copies of it included. The users service, which vouches for
    every cookie, remembers it until `expires_at` (seconds since the epoch, the cookie's `exp`),
    after which the cookie is void anyway."""

    task_names = (USERS_SSO_REVOKE,)

    user_id: int
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


def _to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parse(hint: Any, value: Any, name: str, message: type) -> Any:
    origin = typing.get_origin(hint)
    where = f"{message.__name__}.{name}"
    if hint is bool:
        if not isinstance(value, bool):
            raise ContractError(f"{where}: expected a boolean")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContractError(f"{where}: expected an integer")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ContractError(f"{where}: expected a string")
        return value
    if hint is Decimal:
        if not isinstance(value, str):
            raise ContractError(f"{where}: expected a decimal string")
        try:
            return Decimal(value)
        except InvalidOperation as error:
            raise ContractError(f"{where}: expected a decimal string") from error
    if origin is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ContractError(f"{where}: expected a list")
        return tuple(_parse_dataclass(item_hint, item, where=where) for item in value)
    if origin is dict:
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(item, str) for key, item in value.items()
        ):
            raise ContractError(f"{where}: expected an object of strings")
        return dict(value)
    raise ContractError(f"{where}: unsupported field type {hint!r}")


def _parse_dataclass(cls: type, value: Any, *, where: str) -> Any:
    """A message, or one item of a message's list, from its JSON object."""
    if not isinstance(value, dict):
        raise ContractError(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name not in value:
            if _has_default(field):
                continue
            raise ContractError(f"{where}: missing field {field.name!r}")
        values[field.name] = _parse(hints[field.name], value[field.name], field.name, cls)
    return cls(**values)


def _has_default(field: dataclasses.Field) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )
