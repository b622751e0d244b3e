"""What must hold once the shop has settled, whatever faults it went through: the one check the
fault suite and the chaos run end on. Read straight from each service's database."""

import time
from collections.abc import Iterable

from deploy.local.stack import SERVICES
from tests.harness import Shop

# Where an accepted order may rest: final, or waiting for its customer's payment.
SETTLED = ("awaiting_payment", "paid", "cancelled", "expired", "rejected")
# What inventory's reservation of an order must say for each order status.
RESERVATION_FOR = {
    "awaiting_payment": {"reserved"},
    "paid": {"committed"},
    "cancelled": {"released", "rejected"},
    "expired": {"released", "rejected"},
    "rejected": {"rejected"},
}


def unsettled(shop: Shop) -> dict[str, int]:
    """What is still in flight: pending orders, unsent outbox rows, inbox rows not finished."""
    counts = {
        "pending orders": shop.query("orders", "SELECT count(*) FROM orders_order"
                                     " WHERE status = 'pending'")[0][0],
    }  # fmt: skip
    for service in SERVICES:
        counts[f"{service} outbox unsent"] = shop.query(
            service, "SELECT count(*) FROM messaging_outboxmessage WHERE sent_at IS NULL"
        )[0][0]
        counts[f"{service} inbox received"] = shop.query(
            service, "SELECT count(*) FROM messaging_inboxmessage WHERE status = 'received'"
        )[0][0]
    for service, count in in_flight(shop).items():
        counts[f"messages to {service} sent, not yet finished there"] = count
    return {what: count for what, count in counts.items() if count}


def in_flight(shop: Shop) -> dict[str, int]:
    """Per consumer service, the messages its senders marked sent that its inbox has not
    finished (in the broker still, or lost by it: the wait for quiescence tells which)."""
    sent: dict[str, set[str]] = {service: set() for service in SERVICES}
    for service in SERVICES:
        for message_id, task_name in shop.query(
            service,
            "SELECT id::text, task_name FROM messaging_outboxmessage WHERE sent_at IS NOT NULL",
        ):
            target = task_name.split(".", 1)[0]
            if target in sent:
                sent[target].add(message_id)
    missing = {}
    for service, message_ids in sent.items():
        if not message_ids:
            continue
        finished = {
            message_id
            for (message_id,) in shop.query(
                service,
                "SELECT message_id::text FROM messaging_inboxmessage WHERE status <> 'received'",
            )
        }
        if count := len(message_ids - finished):
            missing[service] = count
    return missing


def wait_quiescent(shop: Shop, *, timeout: float = 120) -> float:
    """Wait until nothing is in flight (twice in a row, a moment apart); return the seconds."""
    started = time.monotonic()
    calm = 0
    left: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        left = unsettled(shop)
        calm = calm + 1 if not left else 0
        if calm >= 2:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"not quiescent after {timeout}s: {left}")


def violations(shop: Shop, accepted_orders: Iterable[str] = ()) -> list[str]:
    """Every broken invariant, in words; empty when the shop is consistent."""
    found: list[str] = []
    orders = dict(shop.query("orders", "SELECT id::text, status FROM orders_order"))
    for order_id in accepted_orders:
        status = orders.get(order_id)
        if status not in SETTLED:
            found.append(f"accepted order {order_id} is {status or 'missing'}")
    for order_id, status in orders.items():
        if status not in SETTLED:
            found.append(f"order {order_id} is still {status}")

    # The ledger: every stock record is the sum of its movements, and within bounds.
    for product_id, on_hand, reserved, moved_on_hand, moved_reserved in shop.query(
        "inventory",
        "SELECT s.product_id, s.on_hand, s.reserved,"
        " coalesce(sum(m.delta_on_hand), 0), coalesce(sum(m.delta_reserved), 0)"
        " FROM inventory_stockrecord s LEFT JOIN inventory_stockmovement m"
        " ON m.stock_record_id = s.id GROUP BY s.id",
    ):
        if (on_hand, reserved) != (moved_on_hand, moved_reserved):
            found.append(
                f"product {product_id}: on_hand/reserved {on_hand}/{reserved}, its movements"
                f" sum to {moved_on_hand}/{moved_reserved}"
            )
        if not 0 <= reserved <= on_hand:
            found.append(f"product {product_id}: reserved {reserved} of on_hand {on_hand}")

    # Reserved stock is exactly what open reservations hold.
    for product_id, reserved, held in shop.query(
        "inventory",
        "SELECT s.product_id, s.reserved, coalesce(sum(l.quantity), 0)"
        " FROM inventory_stockrecord s LEFT JOIN inventory_reservationline l"
        " ON l.product_id = s.product_id AND l.reservation_id IN"
        " (SELECT id FROM inventory_reservation WHERE status = 'reserved')"
        " GROUP BY s.id",
    ):
        if reserved != held:
            found.append(f"product {product_id}: reserved {reserved}, reservations hold {held}")

    # Nothing reserved, released or committed twice for one order and product.
    for order_id, product_id, kind, count in shop.query(
        "inventory",
        "SELECT m.order_id::text, s.product_id, m.kind, count(*)"
        " FROM inventory_stockmovement m JOIN inventory_stockrecord s ON s.id = m.stock_record_id"
        " WHERE m.order_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1",
    ):
        found.append(f"order {order_id}: {count} {kind} movements of product {product_id}")

    # Nothing charged twice.
    for order_id, count in shop.query(
        "orders",
        "SELECT order_id::text, count(*) FROM orders_payment WHERE status = 'succeeded'"
        " GROUP BY 1 HAVING count(*) > 1",
    ):
        found.append(f"order {order_id} charged {count} times")
    paid_without_payment = shop.query(
        "orders",
        "SELECT o.id::text FROM orders_order o WHERE o.status = 'paid' AND NOT EXISTS"
        " (SELECT 1 FROM orders_payment p WHERE p.order_id = o.id AND p.status = 'succeeded')",
    )
    found += [f"order {order_id} paid without a payment" for (order_id,) in paid_without_payment]

    # Orders and inventory agree on every order.
    reservations = dict(
        shop.query("inventory", "SELECT order_id::text, status FROM inventory_reservation")
    )
    for order_id, status in orders.items():
        expected = RESERVATION_FOR.get(status)
        if expected is None:
            continue
        actual = reservations.get(order_id)
        if actual not in expected and not (actual is None and status == "rejected"):
            found.append(f"order {order_id} is {status}, its reservation {actual}")

    # Every message left and was finished.
    for what, count in unsettled(shop).items():
        found.append(f"{count} {what}")
    return found


def assert_invariants(shop: Shop, accepted_orders: Iterable[str] = ()) -> None:
    wait_quiescent(shop)
    problems = violations(shop, accepted_orders)
    assert problems == [], "\n".join(problems)


def redeliveries(shop: Shop) -> int:
    """How many deliveries beyond the first every service's consumers saw."""
    return sum(
        shop.query(
            service,
            "SELECT coalesce(sum(deliveries - 1), 0) FROM messaging_inboxmessage",
        )[0][0]
        for service in SERVICES
    )
