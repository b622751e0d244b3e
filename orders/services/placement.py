"""Placing an order: validated and priced from the local catalog copy, idempotent by key."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from orders.errors import IdempotencyKeyReused, OpenOrdersCapReached
from orders.models import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_AMOUNT,
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    CatalogProduct,
    IdempotencyKey,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from orders.selectors import order_get, order_open_holdings, order_pending_count
from shop.auth.tokens import Principal
from shop.database.inserts import rows_insert
from shop.errors import Conflict, InvalidInput, Overloaded
from shop.messaging.contract import BIGINT_MAX, MAX_ORDER_LINES, ReserveStock, StockLine
from shop.messaging.outbox import outbox_enqueue

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


class _IdempotencyKeyTaken(Exception):
    """A concurrent request with the same key committed its order first."""


def order_place(
    *,
    principal: Principal,
    items: Sequence[Mapping[str, Any]],
    shipping_address: str = "",
    idempotency_key: str | None = None,
) -> tuple[Order, bool]:
    """Record a pending order for `items` (`[{"product_id", "quantity"}]`) and ask inventory to
    reserve its stock; return the order and whether it is a replay of an earlier placement.

    Lines of one product are merged. Every product must be in the catalog copy and active; names,
    SKUs and prices are copied from it and the total is computed here, never taken from a client.
    With an `idempotency_key`, the same key and the same input return the order placed first
    (no new order, no new message); the same key with other input is refused with 409.
    While more than ORDERS_MAX_PENDING_ORDERS orders wait for inventory, a new placement is
    refused with `Overloaded` (a replay is still answered) and nothing is recorded.
    A customer holding ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER open orders, or who would hold more
    than ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT units of a product in them, is refused
    with `OpenOrdersCapReached` (409; a replay is still answered) and nothing is recorded.
    """
    user_id = principal.user_id
    quantities = _merged_quantities(items)
    key = _idempotency_key_clean(idempotency_key)
    fingerprint = request_fingerprint(items=items, shipping_address=shipping_address)
    if key is not None:
        replayed = _idempotent_replay(user_id=user_id, key=key, fingerprint=fingerprint)
        if replayed is not None:
            return replayed, True
    _refuse_when_backlogged()
    products = _orderable_products(quantities)
    try:
        with transaction.atomic():
            _check_open_order_caps(user_id=user_id, quantities=quantities)
            order = _order_create(
                principal=principal,
                quantities=quantities,
                products=products,
                shipping_address=shipping_address,
            )
            if key is not None:
                _idempotency_key_claim(
                    user_id=user_id, key=key, fingerprint=fingerprint, order=order
                )
    except OpenOrdersCapReached:
        # A request with the same key may have waited on the lock for its twin, whose order
        # now fills the cap: it is a replay, not one order too many.
        replayed = (
            _idempotent_replay(user_id=user_id, key=key, fingerprint=fingerprint)
            if key is not None
            else None
        )
        if replayed is None:
            raise
        return replayed, True
    except _IdempotencyKeyTaken:
        # This request's order was rolled back; the winner's is committed and answers it.
        replayed = (
            _idempotent_replay(user_id=user_id, key=key, fingerprint=fingerprint)
            if key is not None
            else None
        )
        if replayed is None:  # the winner's order vanished: nothing sane to answer
            raise Conflict("A request with this Idempotency-Key is in progress.") from None
        return replayed, True
    return order, False


def _refuse_when_backlogged() -> None:
    limit = settings.ORDERS_MAX_PENDING_ORDERS
    if limit and order_pending_count() > limit:
        raise Overloaded(
            "The shop is taking orders slower than they arrive and recorded nothing; "
            "please retry shortly."
        )


def _check_open_order_caps(*, user_id: int, quantities: Mapping[int, int]) -> None:
    """Refuse an order that would take the customer past a cap (see `order_place`).

    Precondition: inside the placement's transaction. The count and the insert that follows
    must not interleave with another placement of the same customer, or two at 9 open orders
    would both pass: on PostgreSQL a transaction-scoped advisory lock per customer serializes
    them (other customers never wait); SQLite's IMMEDIATE transactions already serialize
    every writer.
    """
    max_orders = settings.ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER
    max_units = settings.ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT
    if not (max_orders or max_units):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                [f"orders.customer-open-orders:{user_id}"],
            )
    held = order_open_holdings(user_id=user_id, product_ids=list(quantities) if max_units else [])
    if max_orders and held.open_orders >= max_orders:
        raise OpenOrdersCapReached(
            f"You have {held.open_orders} open orders (pending or awaiting payment), the most "
            f"one customer may hold at a time ({max_orders}); pay for or cancel one first."
        )
    if max_units:
        over = [
            f"Product {product_id}: you would hold "
            f"{held.units_by_product[product_id] + quantity} units in open orders; "
            f"at most {max_units} per product."
            for product_id, quantity in quantities.items()
            if held.units_by_product[product_id] + quantity > max_units
        ]
        if over:
            raise OpenOrdersCapReached(" ".join(over))


def request_fingerprint(*, items: Sequence[Mapping[str, Any]], shipping_address: str) -> str:
    """sha256 of the canonical JSON of the placement's input: keys sorted, no whitespace,
    lines in the order given (before merging), fields the service ignores left out."""
    body = {
        "items": [
            {"product_id": int(item["product_id"]), "quantity": int(item["quantity"])}
            for item in items
        ],
        "shipping_address": shipping_address,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _merged_quantities(items: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """Quantity per product, lines of one product added up; refuses what the contract refuses."""
    if not 1 <= len(items) <= MAX_ORDER_LINES:
        raise InvalidInput({"items": [f"An order has 1 to {MAX_ORDER_LINES} lines."]})
    quantities: dict[int, int] = {}
    for item in items:
        product_id, quantity = item["product_id"], item["quantity"]
        if not (_is_integer(product_id) and 1 <= product_id <= BIGINT_MAX):
            raise InvalidInput({"items": ["A product id is a positive integer."]})
        if not (_is_integer(quantity) and MIN_LINE_QUANTITY <= quantity <= MAX_LINE_QUANTITY):
            raise InvalidInput(
                {"items": [f"Quantities are {MIN_LINE_QUANTITY} to {MAX_LINE_QUANTITY}."]}
            )
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    too_many = [product_id for product_id, total in quantities.items() if total > MAX_LINE_QUANTITY]
    if too_many:
        raise InvalidInput(
            {
                "items": [
                    f"Product {product_id}: at most {MAX_LINE_QUANTITY} units per order."
                    for product_id in too_many
                ]
            }
        )
    return quantities


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _orderable_products(quantities: Mapping[int, int]) -> dict[int, CatalogProduct]:
    # In SQL (the fields an order copies, nothing deferred is read): in_bulk spent about
    # 300 µs of CPU building this query, ten times what running it costs, on every placement.
    ids = list(quantities)
    table = connection.ops.quote_name(CatalogProduct._meta.db_table)
    products = {
        product.product_id: product
        for product in CatalogProduct.objects.raw(
            f"SELECT product_id, sku, name, price, currency, is_active FROM {table} "  # noqa: S608
            f"WHERE product_id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
    }
    errors = []
    for product_id in quantities:
        product = products.get(product_id)
        if product is None:
            errors.append(f"Product {product_id} does not exist.")
        elif (
            not product.is_active
            or product.currency != settings.SHOP_CURRENCY
            or product.price <= 0
        ):
            errors.append(f"Product {product_id} is not available.")
    if errors:
        raise InvalidInput({"items": errors})
    return products


def _order_create(
    *,
    principal: Principal,
    quantities: Mapping[int, int],
    products: Mapping[int, CatalogProduct],
    shipping_address: str,
) -> Order:
    """The order with its lines and history, as recorded; precondition: inside the placement's
    transaction."""
    lines = [
        OrderLine(
            product_id=product_id,
            sku=products[product_id].sku,
            name=products[product_id].name,
            unit_price=products[product_id].price,
            quantity=quantity,
            line_total=products[product_id].price * quantity,
        )
        for product_id, quantity in sorted(quantities.items())
    ]
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    if total > MAX_AMOUNT:
        raise InvalidInput({"items": [f"An order's total may be at most {MAX_AMOUNT}."]})
    order = Order(
        user_id=principal.user_id,
        username=principal.username,
        status=OrderStatus.PENDING,
        currency=settings.SHOP_CURRENCY,
        total=total,
        shipping_address=shipping_address,
    )
    rows_insert([order])
    for line in lines:
        line.order = order
    rows_insert(lines)
    placed = OrderStatusChange(order=order, status=OrderStatus.PENDING, reason="placed")
    rows_insert([placed])
    outbox_enqueue(
        ReserveStock(
            order_id=order.id,
            # Sorted by product, so inventory locks stock rows in one global order.
            lines=tuple(
                StockLine(product_id=line.product_id, quantity=line.quantity) for line in lines
            ),
        )
    )
    _attach_details(order, lines=lines, history=[placed])
    return order


def _attach_details(
    order: Order, *, lines: list[OrderLine], history: list[OrderStatusChange]
) -> None:
    """Give `order` the lines and history it was just created with, as `order_get`'s prefetches
    would (lines by id, history by time): the answer shows exactly what the transaction wrote,
    so it is not read back. Further queries on them (`order.lines.filter(...)`) still query."""
    prefetched = {}
    for name, rows in (("lines", lines), ("history", history)):
        queryset = getattr(order, name).get_queryset()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        prefetched[name] = queryset
    # Django's own prefetch cache (what prefetch_related fills), private: the stubs omit it.
    order._prefetched_objects_cache = prefetched  # type: ignore[attr-defined]


def _idempotency_key_clean(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH or not all(
        " " <= character <= "~" for character in key
    ):
        raise InvalidInput(
            {
                IDEMPOTENCY_KEY_HEADER: [
                    f"Use 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters."
                ]
            }
        )
    return key


def _idempotency_key_claim(*, user_id: int, key: str, fingerprint: str, order: Order) -> None:
    """Precondition: inside the placement's transaction. A concurrent placement holding the
    same key makes this INSERT wait for it; if it commits, this one raises."""
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user_id=user_id, key=key, request_fingerprint=fingerprint, order=order
            )
    except IntegrityError:
        raise _IdempotencyKeyTaken from None


def _idempotent_replay(*, user_id: int, key: str, fingerprint: str) -> Order | None:
    stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
    if stored is None:
        return None
    if stored.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused
    return order_get(order_id=stored.order_id)
