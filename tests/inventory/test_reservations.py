"""The order saga's stock steps (reserve, release, commit) and product events, as services."""

import logging
import uuid

import pytest
from django.db.models import Sum

from inventory import services
from inventory.models import Reservation, ReservationLine, StockMovement, StockRecord
from shop.messaging.contract import (
    CommitStock,
    ContractError,
    ReleaseStock,
    ReserveStock,
    StockLine,
    StockRejected,
    StockReserved,
)
from tests.inventory.factories import StockRecordFactory
from tests.inventory.outbox import sent_messages
from tests.inventory.snapshots import snapshot

pytestmark = pytest.mark.django_db


def new_order_id() -> uuid.UUID:
    return uuid.uuid4()


def lines(*pairs: tuple[int, int]) -> list[StockLine]:
    return [StockLine(product_id=product_id, quantity=quantity) for product_id, quantity in pairs]


@pytest.fixture
def mug():
    return StockRecordFactory(product_id=1, sku="MUG", on_hand=10, reserved=0)


@pytest.fixture
def tee():
    return StockRecordFactory(product_id=2, sku="TEE", on_hand=3, reserved=1)


def levels(record: StockRecord) -> tuple[int, int]:
    record.refresh_from_db()
    return record.on_hand, record.reserved


def assert_ledger_matches_levels(record: StockRecord, *, initial: tuple[int, int]) -> None:
    record.refresh_from_db()
    sums = StockMovement.objects.filter(stock_record=record).aggregate(
        on_hand=Sum("delta_on_hand", default=0), reserved=Sum("delta_reserved", default=0)
    )
    assert (initial[0] + sums["on_hand"], initial[1] + sums["reserved"]) == (
        record.on_hand,
        record.reserved,
    )


def test_reserve_single_line_reserves_records_and_answers_reserved(mug):
    order_id = new_order_id()

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 4)))

    assert reservation.status == Reservation.Status.RESERVED
    assert levels(mug) == (10, 4)
    assert list(reservation.lines.values_list("product_id", "quantity")) == [(1, 4)]
    movement = StockMovement.objects.get(stock_record=mug)
    assert movement.kind == StockMovement.Kind.RESERVATION
    assert (movement.delta_on_hand, movement.delta_reserved) == (0, 4)
    assert (movement.on_hand_after, movement.reserved_after) == (10, 4)
    assert (movement.order_id, movement.actor) == (order_id, "saga")
    assert sent_messages() == [StockReserved(order_id=order_id)]


def test_reserve_multi_line_reserves_every_line(mug, tee):
    order_id = new_order_id()

    services.stock_reserve(order_id=order_id, lines=lines((2, 2), (1, 5)))

    assert (levels(mug), levels(tee)) == ((10, 5), (3, 3))
    movements = StockMovement.objects.filter(order_id=order_id).order_by("stock_record__product_id")
    assert [(m.stock_record.product_id, m.delta_reserved) for m in movements] == [(1, 5), (2, 2)]
    assert sent_messages() == [StockReserved(order_id=order_id)]


def test_reserve_accepts_exactly_what_is_available(tee):
    services.stock_reserve(order_id=new_order_id(), lines=lines((2, 2)))

    assert levels(tee) == (3, 3)


def test_reserve_is_all_or_none_when_a_later_line_is_short(mug, tee):
    order_id = new_order_id()
    before = (snapshot(mug), snapshot(tee))

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 4), (2, 3)))

    assert (snapshot(mug), snapshot(tee)) == before
    assert reservation.status == Reservation.Status.REJECTED
    assert reservation.reason == "product 2 (TEE): 3 requested, 2 available"
    assert not ReservationLine.objects.exists()
    assert sent_messages() == [StockRejected(order_id=order_id, reason=reservation.reason)]


def test_reserve_of_an_unknown_product_is_rejected_and_changes_nothing(mug):
    order_id = new_order_id()
    before = snapshot(mug)

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 1), (999, 1)))

    assert snapshot(mug) == before
    assert reservation.status == Reservation.Status.REJECTED
    assert sent_messages() == [
        StockRejected(order_id=order_id, reason="product 999 is not stocked")
    ]


def test_reserve_merges_duplicate_lines_of_one_product(mug):
    order_id = new_order_id()

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 2), (1, 3)))

    assert levels(mug) == (10, 5)
    assert list(reservation.lines.values_list("product_id", "quantity")) == [(1, 5)]
    assert StockMovement.objects.get(stock_record=mug).delta_reserved == 5


def test_reserve_judges_merged_duplicate_lines_together(tee):
    # Each line alone fits in the 2 available; together they do not.
    reservation = services.stock_reserve(order_id=new_order_id(), lines=lines((2, 2), (2, 1)))

    assert reservation.status == Reservation.Status.REJECTED
    assert "3 requested, 2 available" in reservation.reason
    assert levels(tee) == (3, 1)


def test_reserve_refuses_more_than_a_reservation_may_hold_without_touching_stock(mug):
    order_id = new_order_id()
    before = snapshot(mug)

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 600_000), (1, 600_000)))

    assert snapshot(mug) == before
    assert reservation.status == Reservation.Status.REJECTED
    assert "more than the 1000000 one order may reserve" in reservation.reason
    assert sent_messages() == [StockRejected(order_id=order_id, reason=reservation.reason)]


@pytest.mark.parametrize(
    "requested",
    [
        [],
        [{"product_id": 1, "quantity": 0}],
        [{"product_id": 1, "quantity": -5}],
        [{"product_id": 0, "quantity": 1}],
        [{"product_id": 2**63, "quantity": 1}],
        [{"product_id": True, "quantity": 1}],
        [{"product_id": 1, "quantity": 1}] * 51,
    ],
    ids=[
        "no_lines",
        "zero",
        "negative",
        "product_zero",
        "product_beyond_bigint",
        "boolean",
        "too_many_lines",
    ],
)
def test_a_malformed_reserve_request_is_refused_by_the_contract(requested):
    # Refused where the payload is parsed, once, before any service sees it: the consumer
    # marks such a message dead at once (tests/inventory/test_tasks.py).
    with pytest.raises(ContractError):
        ReserveStock.from_payload({"order_id": str(new_order_id()), "lines": requested})


def test_reserve_replayed_touches_no_stock_and_answers_reserved_again(mug):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
    before = snapshot(mug)

    again = services.stock_reserve(order_id=order_id, lines=lines((1, 4)))

    assert again.status == Reservation.Status.RESERVED
    assert snapshot(mug) == before
    assert Reservation.objects.count() == 1
    assert sent_messages() == [StockReserved(order_id=order_id)] * 2


def test_reserve_replayed_after_a_rejection_answers_the_same_rejection(tee):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((2, 5)))
    services.stock_adjust(product_id=2, delta=100, reason="Delivery", actor="admin")

    again = services.stock_reserve(order_id=order_id, lines=lines((2, 5)))

    assert again.status == Reservation.Status.REJECTED
    assert levels(tee) == (103, 1)
    first, second = sent_messages()
    assert first == second == StockRejected(order_id=order_id, reason=again.reason)


def test_reserve_answers_with_the_canonical_order_id():
    StockRecordFactory(product_id=1, on_hand=1)
    order_id = uuid.uuid4()
    request = ReserveStock.from_payload(
        {"order_id": str(order_id).upper(), "lines": [{"product_id": 1, "quantity": 1}]}
    )

    services.stock_reserve(order_id=request.order_id, lines=request.lines)

    assert sent_messages() == [StockReserved(order_id=order_id)]
    assert Reservation.objects.get().order_id == order_id


@pytest.mark.parametrize("order_id", ["not-a-uuid", "", "1234", 1234, None])
@pytest.mark.parametrize("message", [ReserveStock, ReleaseStock, CommitStock])
def test_a_malformed_order_id_is_refused_by_the_contract(message, order_id):
    payload = {"order_id": order_id, "lines": [{"product_id": 1, "quantity": 1}], "reason": "x"}

    with pytest.raises(ContractError):
        message.from_payload(payload)


def test_release_gives_the_units_back_with_a_ledger_row_per_line(mug, tee):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4), (2, 2)))

    reservation = services.stock_release(order_id=order_id, reason="cancelled")

    assert (reservation.status, reservation.reason) == (Reservation.Status.RELEASED, "cancelled")
    assert (levels(mug), levels(tee)) == ((10, 0), (3, 1))
    releases = StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).order_by(
        "stock_record__product_id"
    )
    assert [(m.delta_on_hand, m.delta_reserved, m.reserved_after) for m in releases] == [
        (0, -4, 0),
        (0, -2, 1),
    ]
    assert all((m.order_id, m.reason, m.actor) == (order_id, "cancelled", "saga") for m in releases)
    assert_ledger_matches_levels(mug, initial=(10, 0))
    assert_ledger_matches_levels(tee, initial=(3, 1))
    # Releasing is not answered: orders already moved the order on.
    assert sent_messages() == [StockReserved(order_id=order_id)]


def test_release_twice_releases_once(mug):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
    services.stock_release(order_id=order_id, reason="cancelled")
    before = snapshot(mug)

    again = services.stock_release(order_id=order_id, reason="expired")

    assert (again.status, again.reason) == (Reservation.Status.RELEASED, "cancelled")
    assert snapshot(mug) == before


@pytest.mark.parametrize("final", ["rejected", "committed"])
def test_release_of_a_rejected_or_committed_reservation_changes_nothing(mug, final):
    order_id = new_order_id()
    if final == "rejected":
        services.stock_reserve(order_id=order_id, lines=lines((1, 99)))
    else:
        services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
        services.stock_commit(order_id=order_id)
    before = snapshot(mug)

    reservation = services.stock_release(order_id=order_id, reason="expired")

    assert reservation.status == final
    assert snapshot(mug) == before


def test_release_before_the_reserve_request_leaves_a_tombstone(mug):
    order_id = new_order_id()

    tombstone = services.stock_release(order_id=order_id, reason="cancelled")

    assert (tombstone.status, tombstone.reason) == (Reservation.Status.RELEASED, "cancelled")
    assert not tombstone.lines.exists()
    assert sent_messages() == []


def test_reserve_after_a_tombstone_reserves_nothing_and_answers_rejected(mug):
    order_id = new_order_id()
    services.stock_release(order_id=order_id, reason="cancelled")
    before = snapshot(mug)

    reservation = services.stock_reserve(order_id=order_id, lines=lines((1, 4)))

    assert reservation.status == Reservation.Status.RELEASED
    assert snapshot(mug) == before
    assert sent_messages() == [StockRejected(order_id=order_id, reason="order already released")]


def test_reserve_replayed_after_a_release_answers_reserved_as_the_first_time(mug):
    # Orders' state guards ignore the answer; what matters is that the replay gets one and
    # reserves nothing again.
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
    services.stock_release(order_id=order_id, reason="expired")
    before = snapshot(mug)

    services.stock_reserve(order_id=order_id, lines=lines((1, 4)))

    assert snapshot(mug) == before
    assert sent_messages() == [StockReserved(order_id=order_id)] * 2


def test_commit_takes_the_units_out_of_on_hand_and_reserved(mug, tee):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4), (2, 2)))

    reservation = services.stock_commit(order_id=order_id)

    assert reservation.status == Reservation.Status.COMMITTED
    assert (levels(mug), levels(tee)) == ((6, 0), (1, 1))
    commits = StockMovement.objects.filter(kind=StockMovement.Kind.COMMIT).order_by(
        "stock_record__product_id"
    )
    assert [
        (m.delta_on_hand, m.delta_reserved, m.on_hand_after, m.reserved_after) for m in commits
    ] == [
        (-4, -4, 6, 0),
        (-2, -2, 1, 1),
    ]
    assert {m.order_id for m in commits} == {order_id}
    assert_ledger_matches_levels(mug, initial=(10, 0))
    assert_ledger_matches_levels(tee, initial=(3, 1))


def test_ledger_from_empty_sums_to_the_levels_through_a_whole_saga():
    record = StockRecordFactory(product_id=5, on_hand=0, reserved=0)
    services.stock_adjust(product_id=5, delta=20, reason="Delivery", actor="admin")
    paid, cancelled, rejected = new_order_id(), new_order_id(), new_order_id()

    services.stock_reserve(order_id=paid, lines=lines((5, 7)))
    services.stock_reserve(order_id=cancelled, lines=lines((5, 6)))
    services.stock_reserve(order_id=rejected, lines=lines((5, 8)))
    services.stock_commit(order_id=paid)
    services.stock_release(order_id=cancelled, reason="cancelled")

    assert levels(record) == (13, 0)
    sums = StockMovement.objects.filter(stock_record=record).aggregate(
        on_hand=Sum("delta_on_hand"), reserved=Sum("delta_reserved")
    )
    assert (sums["on_hand"], sums["reserved"]) == (13, 0)
    kinds = list(StockMovement.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["adjustment", "reservation", "reservation", "commit", "release"]


def test_commit_twice_commits_once(mug):
    order_id = new_order_id()
    services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
    services.stock_commit(order_id=order_id)
    before = snapshot(mug)

    services.stock_commit(order_id=order_id)

    assert snapshot(mug) == before


@pytest.mark.parametrize("state", ["missing", "rejected", "released", "tombstone"])
def test_commit_of_anything_but_a_reservation_changes_nothing_and_logs_an_error(mug, caplog, state):
    order_id = new_order_id()
    if state == "rejected":
        services.stock_reserve(order_id=order_id, lines=lines((1, 99)))
    elif state == "released":
        services.stock_reserve(order_id=order_id, lines=lines((1, 4)))
        services.stock_release(order_id=order_id, reason="expired")
    elif state == "tombstone":
        services.stock_release(order_id=order_id, reason="cancelled")
    before = snapshot(mug)

    with caplog.at_level(logging.ERROR, logger="inventory.services"):
        services.stock_commit(order_id=order_id)

    assert snapshot(mug) == before
    assert any(
        record.levelno == logging.ERROR and str(order_id) in record.getMessage()
        for record in caplog.records
    )


def test_product_sync_creates_a_record_with_nothing_on_hand():
    record = services.product_sync(product_id=7, sku="TEE-S", version=1)

    assert (record.product_id, record.sku, record.on_hand, record.reserved) == (7, "TEE-S", 0, 0)
    assert record.product_version == 1
    assert not StockMovement.objects.exists()


def test_product_sync_applies_a_newer_version_and_keeps_levels():
    StockRecordFactory(product_id=7, sku="TEE-S", on_hand=5, reserved=2, product_version=1)

    record = services.product_sync(product_id=7, sku="TEE-SMALL", version=2)

    assert (record.sku, record.product_version, record.on_hand, record.reserved) == (
        "TEE-SMALL",
        2,
        5,
        2,
    )


@pytest.mark.parametrize("stale_version", [1, 3])
def test_product_sync_keeps_the_newest_sku_when_events_arrive_out_of_order(stale_version):
    services.product_sync(product_id=7, sku="NEWEST", version=3)

    record = services.product_sync(product_id=7, sku="OLDER", version=stale_version)

    assert (record.sku, record.product_version) == ("NEWEST", 3)
    assert StockRecord.objects.count() == 1
