"""Losing the RabbitMQ node that leads the service queues while orders flow: the quorum queues
elect a new leader on the surviving nodes, and every process of the stack, knowing all three
nodes' URLs, reconnects by itself. Nothing is lost, nothing is done twice."""

import itertools
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

from deploy.local.stack import ROOT, SERVICES
from tests.harness import Shop
from tests.invariants import assert_invariants, redeliveries

RATE_PER_SECOND = 8
FLOW_SECONDS = 20
KILL_AT_SECONDS = 5
DOWN_SECONDS = 6


class SteadyOrders:
    """Orders placed at a fixed rate from a thread (whatever the answers take), one line each,
    spread over a few customers: what the shop is doing when the node goes."""

    def __init__(self, shop: Shop, product_id: int) -> None:
        self.shop, self.product_id = shop, product_id
        self.tokens = [shop.new_customer() for _ in range(4)]
        self.accepted: list[str] = []
        self.answers: Counter = Counter()
        self.bad: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        for number in range(RATE_PER_SECOND * FLOW_SECONDS):
            time.sleep(max(0.0, started + number / RATE_PER_SECOND - time.monotonic()))
            try:
                response = self.shop.api.call(
                    "POST",
                    "orders",
                    "/api/orders/",
                    token=self.tokens[number % len(self.tokens)],
                    json={"items": [{"product_id": self.product_id, "quantity": 1}]},
                )
            except OSError as error:
                self.bad.append(repr(error))
                continue
            self.answers[response.status_code] += 1
            if response.status_code == 202:
                self.accepted.append(response.json()["id"])
            elif response.status_code != 503:  # shed under load: refused, nothing recorded
                self.bad.append(f"{response.status_code} {response.text[:200]}")


def placed_and_settled(shop: Shop, order_ids: list[str]) -> list[tuple[float, float]]:
    """When each order was placed and settled (its first move out of `pending`), epoch seconds
    of the database's clock, which is this machine's."""
    rows = shop.query(
        "orders",
        "SELECT extract(epoch FROM o.created_at), extract(epoch FROM min(c.at))"
        " FROM orders_order o JOIN orders_orderstatuschange c ON c.order_id = o.id"
        " AND c.status <> 'pending' WHERE o.id::text = ANY(%s) GROUP BY o.id",
        (order_ids,),
    )
    return [(float(placed), float(settled)) for placed, settled in rows]


def longest_gaps(rows: list[tuple[float, float]]) -> dict[str, float]:
    """The longest gap between consecutive placements and between consecutive settles, and the
    longest any one order waited, in seconds."""
    placed = sorted(row[0] for row in rows)
    settled = sorted(row[1] for row in rows)

    def gap(times: list[float]) -> float:
        return max((later - earlier for earlier, later in itertools.pairwise(times)), default=0.0)

    return {
        "longest gap between placements (s)": round(gap(placed), 2),
        "longest gap between settles (s)": round(gap(settled), 2),
        "longest placement-to-settle (s)": round(max(float(s - p) for p, s in rows), 2),
    }


def test_losing_the_queue_leader_mid_flow_loses_nothing_and_everyone_carries_on(shop):
    cluster = shop.rabbit
    product_id = shop.new_product(stock=10_000)
    pids = {name: process.pid for name, process in shop.stack.processes.items()}
    leaders = cluster.leaders(SERVICES)
    assert set(leaders) == set(SERVICES), f"service queues missing: {leaders}"
    assert "quorum" in cluster.ctl("list_queues", "name", "type", "--no-table-headers")
    # The node leading most service queues (all of them: clients connect to the first URL).
    leader = cluster.node(Counter(leaders.values()).most_common(1)[0][0])

    # when the leader dies mid-flow (SIGKILL, as a crash ends it) and comes back a while later
    flow = SteadyOrders(shop, product_id)
    started = time.monotonic()
    flow.thread.start()
    time.sleep(KILL_AT_SECONDS)
    leader.kill()
    killed_at, killed_clock = time.monotonic() - started, time.time()
    time.sleep(DOWN_SECONDS)
    leader.start()
    back_at, back_clock = time.monotonic() - started, time.time()
    flow.thread.join(timeout=FLOW_SECONDS + 60)
    assert_invariants(shop, flow.accepted)
    rows = placed_and_settled(shop, flow.accepted)
    settled_while_down = sum(killed_clock < settled < back_clock for _, settled in rows)
    figures = {
        "orders accepted": len(flow.accepted),
        "answers": dict(flow.answers),
        "leader killed": leader.node,
        "killed at (s)": round(killed_at, 1),
        "back at (s)": round(back_at, 1),
        "orders settled while it was down": settled_while_down,
        **longest_gaps(rows),
        "messages redelivered": redeliveries(shop),
        "leaders after": cluster.leaders(SERVICES),
    }
    report(figures)

    # then every accepted order settled, reserved once (the invariants), and no process of the
    # stack was restarted: each reconnected to a surviving node by itself
    assert flow.bad == []
    # Not waiting for the node's return: the two others carried the saga meanwhile.
    assert settled_while_down >= RATE_PER_SECOND, figures
    assert len(flow.accepted) > RATE_PER_SECOND * FLOW_SECONDS * 0.8
    statuses = dict(shop.query("orders", "SELECT id::text, status FROM orders_order"))
    assert {statuses[order_id] for order_id in flow.accepted} == {"awaiting_payment"}
    assert {name: process.pid for name, process in shop.stack.processes.items()} == pids
    assert shop.stack.running()
    assert cluster.running_nodes() == {node.node for node in cluster.nodes}
    # And the saga still runs end to end after the node's return.
    after = shop.new_product(stock=1)
    token = shop.new_customer()
    order = shop.place(token, [{"product_id": after, "quantity": 1}])
    assert shop.wait_status(token, order["id"], "awaiting_payment", timeout=30)


def report(figures: dict) -> None:
    artifacts = Path(os.environ.get("SHOP_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "cluster"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "node-loss.json").write_text(json.dumps(figures, indent=2))
    width = max(len(name) for name in figures)
    print()
    for name, value in figures.items():
        print(f"{name:<{width}} | {value}")
