"""What must hold after the load, whatever the figures: no 5xx, nothing left pending, nothing
sold twice, and the ledger adding up to the levels."""

import json
from pathlib import Path
from typing import Any

from tests.bench.context import Bench

OVERSOLD = """
    SELECT count(*) FROM inventory_stockrecord WHERE NOT (0 <= reserved AND reserved <= on_hand)
"""
# reserved is exactly what the reservations still holding stock hold.
RESERVED_MISMATCH = """
    SELECT count(*)
    FROM inventory_stockrecord record
    LEFT JOIN (
        SELECT line.product_id, sum(line.quantity) AS quantity
        FROM inventory_reservationline line
        JOIN inventory_reservation reservation ON reservation.id = line.reservation_id
        WHERE reservation.status = 'reserved'
        GROUP BY line.product_id
    ) held ON held.product_id = record.product_id
    WHERE coalesce(held.quantity, 0) <> record.reserved
"""
# The ledger is append-only: its deltas must add up to the levels, record by record.
LEDGER_MISMATCH = """
    SELECT count(*)
    FROM inventory_stockrecord record
    LEFT JOIN (
        SELECT stock_record_id, sum(delta_on_hand) AS on_hand, sum(delta_reserved) AS reserved
        FROM inventory_stockmovement
        GROUP BY stock_record_id
    ) ledger ON ledger.stock_record_id = record.id
    WHERE coalesce(ledger.on_hand, 0) <> record.on_hand
       OR coalesce(ledger.reserved, 0) <> record.reserved
"""


def gateway_server_errors(access_log: Path) -> tuple[int, int, dict[str, int]]:
    """5xx answers in the gateway's JSON access log, the orders service's 503s (shed load, which
    API.md allows) apart, and the commonest of them."""
    errors, shed, examples = 0, 0, {}
    if not access_log.exists():
        return 0, 0, {}
    with access_log.open() as log:
        for line in log:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            status = int(entry.get("status", 0))
            if status < 500:
                continue
            # nginx's own 503 has no upstream status; a service's shed placement has one.
            if status == 503 and entry.get("upstream_status") == "503":
                shed += 1
                continue
            errors += 1
            key = f"{status} {entry.get('method')} {entry.get('uri', '')[:40]}"
            examples[key] = examples.get(key, 0) + 1
    return errors, shed, dict(sorted(examples.items(), key=lambda item: -item[1])[:10])


def check_invariants(bench: Bench) -> dict[str, Any]:
    shop = bench.shop
    gateway_5xx, gateway_shed, gateway_5xx_examples = gateway_server_errors(
        shop.stack.nginx_dir / "access.log"
    )
    statuses = dict(shop.query("orders", "SELECT status, count(*) FROM orders_order GROUP BY 1"))
    checks = {
        "invariant_loadgen_5xx": bench.loadgen_server_errors,
        "invariant_gateway_5xx": gateway_5xx,
        "invariant_orders_pending": statuses.get("pending", 0),
        "invariant_oversold_records": shop.query("inventory", OVERSOLD)[0][0],
        "invariant_reserved_mismatch_records": shop.query("inventory", RESERVED_MISMATCH)[0][0],
        "invariant_ledger_mismatch_records": shop.query("inventory", LEDGER_MISMATCH)[0][0],
    }
    result: dict[str, Any] = {
        **checks,
        "invariants_ok": all(value == 0 for value in checks.values()),
        "invariant_gateway_5xx_examples": gateway_5xx_examples,
        "gateway_shed_503": gateway_shed,
        "orders_by_status": statuses,
        "orders_total": sum(statuses.values()),
    }
    return result
