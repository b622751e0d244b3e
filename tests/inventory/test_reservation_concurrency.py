"""Orders racing for the same stock, each on its own PostgreSQL session.

These need committed data (`transaction=True`) and prove what the conditional UPDATEs, the fixed
lock order, the unique order id and the CHECK constraints promise: nothing is reserved twice,
`0 <= reserved <= on_hand` holds, no deadlock, no IntegrityError, and every request is answered.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from inventory import services
from inventory.models import Reservation, StockMovement, StockRecord
from shop.messaging.contract import StockLine, StockRejected, StockReserved
from tests.inventory.factories import StockRecordFactory
from tests.inventory.outbox import sent_messages

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(calls: list[Callable[[], Any]]) -> list[BaseException]:
    """Start every call at the same moment, each in its own thread (so its own database
    session); return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def thread_main(call: Callable[[], Any]) -> None:
        try:
            start.wait()
            call()
        # Reported by the test through the list, never swallowed.
        except BaseException as error:
            errors.append(error)
        finally:
            # Each thread opened its own connection; an open one would block the test
            # database's teardown.
            connection.close()

    threads = [threading.Thread(target=thread_main, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a reservation hung"
    return errors


def reserve(order_id: uuid.UUID, *pairs: tuple[int, int]) -> Callable[[], Reservation]:
    lines = [StockLine(product_id=product_id, quantity=quantity) for product_id, quantity in pairs]
    return lambda: services.stock_reserve(order_id=order_id, lines=lines)


def assert_invariant_and_ledger(record: StockRecord, *, initial: tuple[int, int]) -> None:
    record.refresh_from_db()
    assert 0 <= record.reserved <= record.on_hand
    movements = StockMovement.objects.filter(stock_record=record)
    sums = movements.aggregate(
        on_hand=Sum("delta_on_hand", default=0), reserved=Sum("delta_reserved", default=0)
    )
    assert (initial[0] + sums["on_hand"], initial[1] + sums["reserved"]) == (
        record.on_hand,
        record.reserved,
    )
    # Replaying the ledger in the order the row lock granted reproduces every level it recorded.
    on_hand, reserved = initial
    for movement in movements.order_by("id"):
        on_hand += movement.delta_on_hand
        reserved += movement.delta_reserved
        assert (movement.on_hand_after, movement.reserved_after) == (on_hand, reserved)
        assert 0 <= reserved <= on_hand


def test_sixty_orders_for_twenty_units_reserve_exactly_twenty():
    record = StockRecordFactory(product_id=1, on_hand=20)
    order_ids = [uuid.uuid4() for _ in range(60)]

    errors = run_concurrently([reserve(order_id, (1, 1)) for order_id in order_ids])

    assert errors == []
    record.refresh_from_db()
    assert (record.on_hand, record.reserved) == (20, 20)
    statuses = Counter(Reservation.objects.values_list("status", flat=True))
    assert statuses == {Reservation.Status.RESERVED: 20, Reservation.Status.REJECTED: 40}
    answers = sent_messages()
    assert Counter(type(answer) for answer in answers) == {StockReserved: 20, StockRejected: 40}
    assert {answer.order_id for answer in answers} == set(order_ids)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION).count() == 20
    assert_invariant_and_ledger(record, initial=(20, 0))


def test_orders_locking_products_in_opposite_orders_never_deadlock():
    first = StockRecordFactory(product_id=1, on_hand=1_000)
    second = StockRecordFactory(product_id=2, on_hand=1_000)
    third = StockRecordFactory(product_id=3, on_hand=1_000)
    orders_per_thread = 10

    def place_orders(index: int) -> None:
        # Half the threads list the products ascending, half descending: without a fixed
        # lock order, two of them would each hold the row the other waits for.
        pairs = [(1, 1), (2, 2), (3, 3)]
        if index % 2:
            pairs.reverse()
        for number in range(orders_per_thread):
            order_id = uuid.uuid4()
            reserve(order_id, *pairs)()
            if number % 2:
                services.stock_commit(order_id=order_id)
            else:
                services.stock_release(order_id=order_id, reason="cancelled")

    errors = run_concurrently([lambda index=index: place_orders(index) for index in range(8)])

    assert errors == []
    commits_per_product = 8 * orders_per_thread // 2
    for record, quantity in ((first, 1), (second, 2), (third, 3)):
        record.refresh_from_db()
        assert (record.on_hand, record.reserved) == (1_000 - commits_per_product * quantity, 0)
        assert_invariant_and_ledger(record, initial=(1_000, 0))


def test_two_multi_line_orders_in_opposite_product_order_both_reserve_or_reject_whole():
    StockRecordFactory(product_id=1, on_hand=1)
    StockRecordFactory(product_id=2, on_hand=1)
    ascending, descending = uuid.uuid4(), uuid.uuid4()

    errors = run_concurrently(
        [reserve(ascending, (1, 1), (2, 1)), reserve(descending, (2, 1), (1, 1))]
    )

    assert errors == []
    # One unit of each: exactly one order gets both, the other gets neither.
    statuses = sorted(Reservation.objects.values_list("status", flat=True))
    assert statuses == [Reservation.Status.REJECTED, Reservation.Status.RESERVED]
    assert list(StockRecord.objects.values_list("reserved", flat=True)) == [1, 1]
    assert StockMovement.objects.count() == 2


def test_the_same_reserve_request_delivered_twice_at_once_reserves_once():
    record = StockRecordFactory(product_id=1, on_hand=100)
    order_ids = [uuid.uuid4() for _ in range(10)]

    errors = run_concurrently(
        [reserve(order_id, (1, 3)) for order_id in order_ids for _duplicate in range(2)]
    )

    assert errors == []
    record.refresh_from_db()
    assert record.reserved == 30
    assert Reservation.objects.count() == 10
    assert StockMovement.objects.count() == 10
    # Both deliveries are answered, and alike.
    assert Counter(sent_messages()) == {StockReserved(order_id=o): 2 for o in order_ids}


def test_a_cancel_racing_its_reserve_request_leaves_nothing_reserved():
    record = StockRecordFactory(product_id=1, on_hand=100)
    order_ids = [uuid.uuid4() for _ in range(15)]
    calls: list[Callable[[], Any]] = []
    for order_id in order_ids:
        calls.append(reserve(order_id, (1, 2)))
        calls.append(
            lambda order_id=order_id: services.stock_release(order_id=order_id, reason="cancelled")
        )

    errors = run_concurrently(calls)

    assert errors == []
    record.refresh_from_db()
    assert record.reserved == 0
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    # Whichever came first, orders hears one answer per order: reserved (then released here),
    # or rejected because the cancel got there first.
    answers = {answer.order_id: answer for answer in sent_messages()}
    assert set(answers) == set(order_ids)
    for order_id, answer in answers.items():
        reservation = Reservation.objects.get(order_id=order_id)
        if reservation.lines.exists():
            assert answer == StockReserved(order_id=order_id)
        else:
            assert answer == StockRejected(order_id=order_id, reason="order already released")
    assert_invariant_and_ledger(record, initial=(100, 0))
