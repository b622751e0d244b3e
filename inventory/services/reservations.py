"""The order saga's side of stock: reserve an order's lines all or none, release them, commit
them when the order is paid.

Each change to levels is recorded in the ledger, and each answer to orders in the outbox, in the
same transaction as the change.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import Reservation, ReservationLine, StockMovement, StockRecord
from shop.database.inserts import rows_insert
from shop.messaging.contract import StockLine, StockRejected, StockReserved
from shop.messaging.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

# The most one reservation may hold of one product (duplicate lines summed). Orders allows far
# fewer; the bound keeps a malformed request from reaching the database's integer limits.
MAX_RESERVATION_UNITS = 1_000_000
# Who moved stock on the ledger when the order saga did it.
SAGA_ACTOR = "saga"
# The answer to a reserve request that arrives after its order was cancelled (a tombstone).
ALREADY_RELEASED_REASON = "order already released"


def stock_reserve(*, order_id: uuid.UUID, lines: Iterable[StockLine]) -> Reservation:
    """Reserve every line of an order, or none of them, and answer orders through the outbox
    (`StockReserved` or `StockRejected`).

    Idempotent on the order id: when the order already has a reservation (reserved, rejected,
    or a release tombstone) no stock is touched and its answer is recorded again, so a replayed
    request still gets one. A refusal is an answer, not an error: the reservation is recorded as
    rejected with a reason naming the product and what was available.
    """
    requested = list(lines)
    # No savepoint of its own (here and in the other consumers' services): inside a consumer's
    # transaction any error rolls all of it back anyway; called alone, this is the transaction.
    with transaction.atomic(savepoint=False):
        # Claim the order's one reservation before touching stock: a request for an order that
        # has one (a replay) finds it on the unique index and answers what was decided; a
        # concurrent one waits there for this one and then does the same, instead of reserving
        # a second time.
        reservation = _reservation_claim(order_id)
        if reservation is None:
            existing = Reservation.objects.get(order_id=order_id)
            _answer(existing)
            return existing

        quantities, refusal = _merge_lines(requested)
        if refusal is None:
            refusal = _reserve_all_or_none(reservation=reservation, quantities=quantities)
        if refusal is not None:
            reservation.status = Reservation.Status.REJECTED
            reservation.reason = refusal
            reservation.save(update_fields=["status", "reason", "updated_at"])
        _answer(reservation, has_lines=refusal is None)
    return reservation


def _reservation_claim(order_id: uuid.UUID) -> Reservation | None:
    """The order's reservation, new and `reserved`; None if the order has one already.

    One INSERT .. ON CONFLICT DO NOTHING on the unique order id, in SQL: the ORM's create()
    needed a savepoint of its own to survive the unique index's IntegrityError, two more round
    trips on every reservation for the rare replay.
    """
    now = timezone.now()
    status = Reservation.Status.RESERVED
    table = connection.ops.quote_name(Reservation._meta.db_table)
    order_field = Reservation._meta.get_field("order_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is ours, values are parameters
            "(order_id, status, reason, created_at, updated_at) VALUES (%s, %s, '', %s, %s) "
            "ON CONFLICT (order_id) DO NOTHING RETURNING id",
            [
                order_field.get_db_prep_value(order_id, connection),
                status,
                connection.ops.adapt_datetimefield_value(now),
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Reservation.from_db(
        connection.alias,
        ["id", "order_id", "status", "reason", "created_at", "updated_at"],
        [row[0], order_id, status, "", now, now],
    )


def stock_release(*, order_id: uuid.UUID, reason: str) -> Reservation:
    """Give an order's reserved units back (the order was cancelled or expired).

    Only a `reserved` reservation is released; released, rejected and committed ones are left
    as they are, so a duplicate or late release changes nothing. When the order has no
    reservation yet (the cancel overtook the reserve request), a tombstone is recorded so that
    the reserve request, when it arrives, reserves nothing.
    """
    with transaction.atomic(savepoint=False):
        reservation = Reservation.objects.select_for_update().filter(order_id=order_id).first()
        if reservation is None:
            try:
                with transaction.atomic():
                    return Reservation.objects.create(
                        order_id=order_id, status=Reservation.Status.RELEASED, reason=reason
                    )
            except IntegrityError:
                # The reserve request claimed the order first; release what it reserved.
                reservation = Reservation.objects.select_for_update().get(order_id=order_id)
        if reservation.status != Reservation.Status.RESERVED:
            logger.info(
                "release of order %s ignored: its reservation is %s",
                order_id,
                reservation.status,
            )
            return reservation
        _move_reserved_units(
            reservation=reservation, kind=StockMovement.Kind.RELEASE, reason=reason
        )
        reservation.status = Reservation.Status.RELEASED
        reservation.reason = reason
        reservation.save(update_fields=["status", "reason", "updated_at"])
    return reservation


def stock_commit(*, order_id: uuid.UUID) -> Reservation | None:
    """The order was paid: its reserved units leave the warehouse (`on_hand` and `reserved`
    both drop by each line's quantity).

    Only a `reserved` reservation is committed. Anything else changes nothing and is logged as
    an error, since orders takes payment only for an order whose reservation still holds; a
    repeated commit of a committed reservation is a harmless replay and logged as such.
    """
    with transaction.atomic(savepoint=False):
        reservation = Reservation.objects.select_for_update().filter(order_id=order_id).first()
        if reservation is None or reservation.status != Reservation.Status.RESERVED:
            if reservation is not None and reservation.status == Reservation.Status.COMMITTED:
                logger.info("commit of order %s ignored: already committed", order_id)
            else:
                logger.error(
                    "commit of order %s ignored: its reservation is %s",
                    order_id,
                    reservation.status if reservation else "missing",
                )
            return reservation
        _move_reserved_units(
            reservation=reservation, kind=StockMovement.Kind.COMMIT, reason="the order was paid"
        )
        reservation.status = Reservation.Status.COMMITTED
        reservation.save(update_fields=["status", "updated_at"])
    return reservation


def _merge_lines(lines: list[StockLine]) -> tuple[dict[int, int], str | None]:
    """Quantities by product id, duplicate lines summed; or why the request is refused. Each
    line is already what the contract allows (a bigint id, a positive quantity)."""
    quantities: dict[int, int] = {}
    for line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    for product_id, quantity in quantities.items():
        if quantity > MAX_RESERVATION_UNITS:
            return {}, (
                f"product {product_id}: {quantity} requested, more than the "
                f"{MAX_RESERVATION_UNITS} one order may reserve"
            )
    return quantities, None


class _Shortfall(Exception):
    """A line that could not be reserved; unwinds the savepoint of the lines before it."""

    def __init__(self, *, product_id: int, quantity: int) -> None:
        super().__init__(product_id, quantity)
        self.product_id = product_id
        self.quantity = quantity


def _reserve_all_or_none(*, reservation: Reservation, quantities: dict[int, int]) -> str | None:
    """Reserve every quantity, with its lines and ledger rows; or reserve nothing and say why.

    Precondition: inside the transaction that created `reservation`.
    """
    try:
        # A savepoint: a line that cannot be reserved undoes the lines before it, and with them
        # their row locks.
        with transaction.atomic():
            # Every transaction that locks several stock rows locks them in product id order,
            # so two orders for the same products never wait on each other in a cycle.
            levels: dict[int, StockLevels] = {}
            for product_id in sorted(quantities):
                quantity = quantities[product_id]
                moved = _stock_levels_move(product_id=product_id, delta_reserved=quantity)
                if moved is None:
                    raise _Shortfall(product_id=product_id, quantity=quantity)
                levels[product_id] = moved
            rows_insert(
                [
                    ReservationLine(
                        reservation=reservation, product_id=product_id, quantity=quantity
                    )
                    for product_id, quantity in sorted(quantities.items())
                ]
            )
            _record_movements(
                order_id=reservation.order_id,
                kind=StockMovement.Kind.RESERVATION,
                levels=levels,
                reason="reserved for the order",
            )
    except _Shortfall as shortfall:
        return _shortfall_reason(shortfall)
    return None


def _shortfall_reason(shortfall: _Shortfall) -> str:
    # Read without a lock: this only words the refusal; the decision was the UPDATE's.
    record = StockRecord.objects.filter(product_id=shortfall.product_id).first()
    if record is None:
        return f"product {shortfall.product_id} is not stocked"
    return (
        f"product {shortfall.product_id} ({record.sku}): {shortfall.quantity} requested, "
        f"{max(record.available, 0)} available"
    )


def _move_reserved_units(*, reservation: Reservation, kind: str, reason: str) -> None:
    """Take a reservation's units out of `reserved` (a release), or out of both `reserved` and
    `on_hand` (a commit), with a ledger row per line.

    Precondition: the caller holds the reservation's row lock, and it is `reserved`.
    """
    is_commit = kind == StockMovement.Kind.COMMIT
    levels: dict[int, StockLevels] = {}
    # Same lock order as reserving: by product id.
    for product_id, quantity in reservation.lines.order_by("product_id").values_list(
        "product_id", "quantity"
    ):
        moved = _stock_levels_move(
            product_id=product_id,
            delta_on_hand=-quantity if is_commit else 0,
            delta_reserved=-quantity,
        )
        if moved is None:
            # Every other write leaves reserved units alone (stock_adjust never reaches into
            # them), so this is a broken invariant: change nothing and fail loudly; the message
            # is retried and then lands in the dead letters for staff.
            raise RuntimeError(
                f"{kind} of order {reservation.order_id}: product {product_id} does not hold "
                f"the {quantity} units reserved for it"
            )
        levels[product_id] = moved
    _record_movements(order_id=reservation.order_id, kind=kind, levels=levels, reason=reason)


@dataclass(frozen=True)
class StockLevels:
    """What one conditional move did to a stock record, and the levels it left."""

    stock_record_id: int
    delta_on_hand: int
    delta_reserved: int
    on_hand: int
    reserved: int


def _stock_levels_move(
    *, product_id: int, delta_on_hand: int = 0, delta_reserved: int = 0
) -> StockLevels | None:
    """Add the deltas to the product's stock levels if the result keeps 0 <= reserved <=
    on_hand, and return the levels left; None (nothing changed) if it would not, or if the
    product has no stock record.

    The check and the write are one UPDATE whose WHERE is the invariant itself: PostgreSQL
    re-evaluates it on the newest row version after waiting for a concurrent writer, so the
    last unit goes to one order only, and the CHECK constraints back it up. The row stays
    locked until commit, so the levels returned are the levels the ledger must record. Written
    in SQL for RETURNING, which the ORM's update() lacks (it saves reading the levels back), and
    because it is the saga's hottest statement: the ORM took about half a millisecond of CPU to
    build each one, more than PostgreSQL took to run it.
    """
    table = connection.ops.quote_name(StockRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} "  # noqa: S608 - the table name is ours, values are parameters
            "SET on_hand = on_hand + %s, reserved = reserved + %s, updated_at = %s "
            "WHERE product_id = %s AND reserved + %s >= 0 "
            "AND on_hand + %s >= reserved + %s "
            "RETURNING id, on_hand, reserved",
            [
                delta_on_hand,
                delta_reserved,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                product_id,
                delta_reserved,
                delta_on_hand,
                delta_reserved,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    stock_record_id, on_hand, reserved = row
    return StockLevels(stock_record_id, delta_on_hand, delta_reserved, on_hand, reserved)


def _record_movements(
    *, order_id: uuid.UUID, kind: str, levels: dict[int, StockLevels], reason: str
) -> None:
    """A ledger row per product of `levels` (by product id): the move and the levels it left."""
    rows_insert(
        [
            StockMovement(
                stock_record_id=moved.stock_record_id,
                kind=kind,
                delta_on_hand=moved.delta_on_hand,
                delta_reserved=moved.delta_reserved,
                on_hand_after=moved.on_hand,
                reserved_after=moved.reserved,
                reason=reason[:200],
                order_id=order_id,
                actor=SAGA_ACTOR,
            )
            for _, moved in sorted(levels.items())
        ]
    )


def _answer(reservation: Reservation, *, has_lines: bool | None = None) -> None:
    """Record inventory's answer to the order's reserve request in the outbox.

    Units were reserved for the order (whatever became of them since): `StockReserved`.
    Rejected, or released before anything was reserved (a tombstone): `StockRejected`.
    """
    order_id = reservation.order_id
    if reservation.status == Reservation.Status.REJECTED:
        outbox_enqueue(StockRejected(order_id=order_id, reason=reservation.reason))
        return
    if has_lines is None:
        has_lines = reservation.lines.exists()
    if reservation.status == Reservation.Status.RELEASED and not has_lines:
        outbox_enqueue(StockRejected(order_id=order_id, reason=ALREADY_RELEASED_REASON))
        return
    outbox_enqueue(StockReserved(order_id=order_id))
