"""The alert rules against the real stack: Debian's Prometheus scrapes every web process and
worker of the shop, the inventory worker stops while orders are placed, and the outbox-lag and
oldest-pending alerts fire; it comes back, and they clear.

Scrapes and evaluations every second, and every minute of the rules made TEST_MINUTE_SECONDS
(tests/monitoring/prometheus.py), so that it takes seconds instead of minutes.
"""

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.stack import ROOT, SERVICES
from tests.harness import Shop, running_shop, wait_for
from tests.monitoring.prometheus import ALERTS, Prometheus, rules_for_test

ORDERS = 3
STALLED = {("ShopOutboxLag", "inventory"), ("ShopOrderPendingTooLong", "orders")}
# Also true while the inventory worker is away, and also expected to end with it.
WORKER_AWAY = {("ShopConsumersGone", "inventory"), ("ShopServiceDown", "inventory")}


@pytest.fixture(scope="module")
def shop() -> Iterator[Shop]:
    with running_shop("monitoring") as shop:
        yield shop


@pytest.fixture(scope="module")
def prometheus(shop: Shop) -> Iterator[Prometheus]:
    targets = [
        {"targets": [shop.stack.url(service).removeprefix("http://")], "labels": labels}
        for service in SERVICES
        for labels in [{"service": service, "role": "web"}]
    ] + [
        {
            "targets": [f"127.0.0.1:{shop.stack.config.worker_metrics_ports[service]}"],
            "labels": {"service": service, "role": "worker"},
        }
        for service in SERVICES
    ]
    server = Prometheus(targets=targets, rules=rules_for_test(ALERTS.read_text()))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_stalled_saga_alerts_fire_and_clear_when_the_worker_returns(shop, prometheus):
    # given: a healthy shop, every target up, every saga series there and no alert
    token = shop.new_customer()
    product = shop.new_product(stock=ORDERS)
    wait_for(
        lambda: len(prometheus.targets_up()) == 8 and all(prometheus.targets_up().values()),
        timeout=15,
        what="Prometheus to scrape all eight targets",
    )
    for metric in (
        "shop_outbox_oldest_unsent_age_seconds",
        "shop_inbox_messages",
        "shop_queue_consumers",
        "shop_orders",
        "shop_orders_oldest_pending_age_seconds",
    ):
        wait_for(lambda m=metric: prometheus.value(m), timeout=10, what=f"{metric} scraped")
    assert prometheus.value('shop_messages_consumed_total{service="inventory"}')
    assert prometheus.alerts("firing") == set()

    # when: the inventory worker is away while orders are placed
    shop.stack.kill("inventory-worker", signal.SIGTERM)
    stopped_at = time.monotonic()
    placed = [
        shop.place(token, [{"product_id": product, "quantity": 1}])["id"] for _ in range(ORDERS)
    ]

    # then: the saga's alerts fire
    wait_for(
        lambda: prometheus.alerts("firing") >= STALLED | WORKER_AWAY,
        timeout=40,
        interval=0.25,
        what=f"{STALLED | WORKER_AWAY} to fire",
    )
    fired_after = time.monotonic() - stopped_at
    waiting = prometheus.value('shop_queue_messages{service="inventory"}')
    assert float(waiting[0]["value"][1]) >= ORDERS

    # when: it returns
    restarted_at = time.monotonic()
    shop.stack.start(["inventory-worker"])
    returned_at = time.monotonic()

    # then: every order settles and every alert clears
    for order_id in placed:
        shop.wait_status(token, order_id, "awaiting_payment", timeout=20)
    wait_for(
        lambda: not prometheus.alerts("firing") and not prometheus.alerts("pending"),
        timeout=30,
        interval=0.25,
        what="every alert to clear",
    )
    cleared_at = time.monotonic()

    def settled_seen() -> float:
        series = prometheus.value('shop_order_settle_seconds_count{outcome="reserved"}')
        return sum(float(one["value"][1]) for one in series)

    # The orders worker's target is scraped on its own schedule: its histogram may lag the
    # alerts by a scrape.
    wait_for(lambda: settled_seen() >= ORDERS, timeout=10, what="the settles to be scraped")

    timings = {
        # From the worker's stop (the orders placed just after) to every alert firing.
        "fired_after_seconds": round(fired_after, 1),
        # From the restart to the worker consuming again, and on to every alert cleared.
        "worker_ready_after_seconds": round(returned_at - restarted_at, 1),
        "cleared_after_seconds": round(cleared_at - restarted_at, 1),
    }
    artifacts = Path(os.environ.get("SHOP_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    (artifacts / "monitoring" / "alert-timings.json").write_text(json.dumps(timings))
    print(f"alert timings: {timings}")
