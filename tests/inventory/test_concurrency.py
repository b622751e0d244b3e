"""Many staff adjusting one product's stock at the same moment, on real connections.

Each thread is its own PostgreSQL session, so these tests need committed data
(`transaction=True`) and prove what the conditional UPDATE and the CHECK constraints promise:
the invariant holds, the ledger matches the levels, and every refusal is a clean 409.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection

from inventory import services
from inventory.errors import StockLevelConflict
from inventory.models import StockMovement, StockRecord
from tests.inventory.factories import StockRecordFactory

THREADS = 8
ADJUSTMENTS_PER_THREAD = 25
# More than could ever be on hand here, so this removal must fail in every run.
IMPOSSIBLE_REMOVAL = -1_000_000


@dataclass
class Outcome:
    applied_deltas: list[int] = field(default_factory=list)
    conflict_messages: list[str] = field(default_factory=list)
    unexpected: list[BaseException] = field(default_factory=list)


def adjustment_plan(seed: int) -> list[int]:
    """A mixed run of additions and removals, leaning towards removals so that the floor is hit
    often, with one removal that can never succeed. Each thread gets its own order; which
    thread's adjustment wins the row lock is left to the scheduler."""
    steps = [-9, -7, -5, -3, -2, -1, 1, 2, 3, 4, 6]
    deltas = [steps[(seed * 7 + index * index * 3 + index) % len(steps)] for index in range(24)]
    deltas.insert((seed * 5) % len(deltas), IMPOSSIBLE_REMOVAL)
    return deltas


def run_in_threads(work: Callable[[int, Outcome], None]) -> tuple[list[Outcome], float]:
    outcomes = [Outcome() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)

    def thread_main(index: int) -> None:
        try:
            start.wait()
            work(index, outcomes[index])
        # Reported by the test through the outcome, never swallowed.
        except BaseException as error:
            outcomes[index].unexpected.append(error)
        finally:
            # Each thread opened its own connection; leaving it open would block the test
            # database's teardown.
            connection.close()

    threads = [threading.Thread(target=thread_main, args=(index,)) for index in range(THREADS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "an adjustment hung"
    return outcomes, time.monotonic() - began


def adjust_concurrently(product_id: int) -> tuple[list[Outcome], float]:
    def work(index: int, outcome: Outcome) -> None:
        for delta in adjustment_plan(seed=index):
            try:
                services.stock_adjust(
                    product_id=product_id, delta=delta, reason="Stock count", actor=f"clerk{index}"
                )
            except StockLevelConflict as conflict:
                outcome.conflict_messages.append(conflict.message)
            else:
                outcome.applied_deltas.append(delta)

    return run_in_threads(work)


def assert_consistent(
    record: StockRecord, outcomes: list[Outcome], *, initial_on_hand: int, initial_reserved: int
) -> None:
    assert [error for outcome in outcomes for error in outcome.unexpected] == []
    applied = [delta for outcome in outcomes for delta in outcome.applied_deltas]
    conflicts = [message for outcome in outcomes for message in outcome.conflict_messages]
    assert len(applied) + len(conflicts) == THREADS * ADJUSTMENTS_PER_THREAD
    # Every thread tried one impossible removal, so each of those was refused.
    assert len(conflicts) >= THREADS
    assert any(delta < 0 for delta in applied)

    record.refresh_from_db()
    assert 0 <= record.reserved <= record.on_hand
    assert record.reserved == initial_reserved
    assert record.on_hand == initial_on_hand + sum(applied)

    movements = StockMovement.objects.filter(stock_record=record)
    assert movements.count() == len(applied)
    ledger_deltas = sorted(movements.values_list("delta_on_hand", flat=True))
    assert ledger_deltas == sorted(applied)
    assert initial_on_hand + sum(ledger_deltas) == record.on_hand
    # Replaying the ledger in the order the row lock granted reproduces every level it recorded.
    level = initial_on_hand
    for movement in movements.order_by("id"):
        level += movement.delta_on_hand
        assert movement.on_hand_after == level
        assert 0 <= movement.reserved_after <= movement.on_hand_after


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_keep_levels_and_ledger_consistent():
    record = StockRecordFactory(on_hand=0, reserved=0)

    outcomes, seconds = adjust_concurrently(record.product_id)

    assert_consistent(record, outcomes, initial_on_hand=0, initial_reserved=0)
    assert seconds < 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_removals_never_take_on_hand_below_what_is_reserved():
    record = StockRecordFactory(on_hand=30, reserved=25)

    outcomes, seconds = adjust_concurrently(record.product_id)

    assert_consistent(record, outcomes, initial_on_hand=30, initial_reserved=25)
    messages = [message for outcome in outcomes for message in outcome.conflict_messages]
    assert any("reserved for orders" in message for message in messages), (
        "no removal was refused for reaching into reserved stock"
    )
    assert seconds < 10
