"""Order placement and the saga: how many placements the shop accepts (closed loop, wrk), and
how fast accepted orders reach `awaiting_payment` at fixed offered rates (open loop).

Settle latency is read from each order's own history (its `pending` and `awaiting_payment`
rows in the orders database), so polling adds nothing to what is measured. The backlog at a
moment is the number of this run's orders that entered `pending` and had not yet left it, also
from the history.
"""

import json
import time
from datetime import datetime
from typing import Any

import requests

from tests.bench import load
from tests.bench.context import LOADGEN, Bench, percentile, rounded, shop_cpu_ms

SPREAD = "spread"
ONE_PRODUCT = "one_product"
SERIES = (SPREAD, ONE_PRODUCT)
LINES_PER_ORDER = 3
# Bodies prepared per run, sent in turn: enough that no two customers repeat in step.
BODIES_PER_RUN = 2000
SETTLE_LIMIT_MS = 1000
# A rate is sustainable only if (nearly) everything offered was accepted...
MIN_ACCEPTED_SHARE = 0.99
# ...and its backlog did not grow by more than this many seconds of offered orders over the
# second half of the window (it fluctuates around rate x latency when the shop keeps up).
BACKLOG_GROWTH_SECONDS = 0.5


def order_body(bench: Bench, series: str) -> str:
    if series == ONE_PRODUCT:
        # Every order on the same product: every reservation waits for one stock row's lock.
        items = [{"product_id": bench.product_ids[0], "quantity": 1}]
    else:
        products = bench.rng.sample(bench.product_ids, LINES_PER_ORDER)
        items = [{"product_id": product_id, "quantity": 1} for product_id in products]
    return json.dumps({"items": items}, separators=(",", ":"))


def order_requests(bench: Bench, series: str) -> list[tuple[str, str]]:
    customers = bench.accounts.customers
    return [
        (customers[index % len(customers)].access, order_body(bench, series))
        for index in range(BODIES_PER_RUN)
    ]


def place_readable_orders(bench: Bench) -> None:
    """Orders for GET /api/orders/{id}/ to read, spread over the customers; settled first."""
    session = requests.Session()
    customers = bench.accounts.customers
    for index in range(bench.plan.readable_orders):
        owner = index % len(customers)
        response = session.post(
            f"{bench.shop.stack.gateway_url}/api/orders/",
            data=order_body(bench, SPREAD),
            headers={
                "Authorization": f"Bearer {customers[owner].access}",
                "Content-Type": "application/json",
            },
            timeout=30,
        )
        if response.status_code != 202:
            raise RuntimeError(f"placing a readable order: {response.status_code} {response.text}")
        bench.readable_orders.append((response.json()["id"], owner))
    drained, _ = bench.drain(bench.plan.drain_timeout_seconds)
    if not drained:
        raise RuntimeError("the readable orders did not settle")


# -- closed loop: placements accepted per second ---------------------------------------------


def run_placement(bench: Bench) -> None:
    plan = bench.plan
    for series in SERIES:
        rates, p99s, cpus, accepted_counts, drains = [], [], [], [], []
        for run in range(plan.runs):
            bench.accounts.fresh_tokens()
            placements = [
                load.Request("POST", "/api/orders/", token=token, body=body)
                for token, body in order_requests(bench, series)
            ]
            with bench.cpu_window() as cpu:
                result = load.wrk(
                    bench.shop.stack.gateway_url,
                    placements,
                    seconds=plan.placement_seconds,
                    work_dir=bench.work_dir,
                    label=f"place-{series}",
                )
                # The orders accepted are settled too, inside the window: CPU per order then
                # covers its whole saga, as for the open-loop runs.
                drained, drain_seconds = bench.drain(plan.drain_timeout_seconds)
            cpu[LOADGEN] = result.cpu_ms
            bench.loadgen_server_errors += result.server_errors
            accepted = result.count(202)
            rates.append(result.per_second(202))
            p99s.append(result.latency_p99_ms)
            cpus.append(cpu)
            accepted_counts.append(accepted)
            drains.append(drain_seconds if drained else None)
            bench.say(
                f"placement {series} run {run + 1}/{plan.runs}: {result.per_second(202):.1f}"
                f" accepted/s, p99 {result.latency_p99_ms:.0f} ms, statuses {result.statuses},"
                f" drained in {drain_seconds:.1f} s" + ("" if drained else " (NOT drained)")
            )
            bench.results[f"orders_placement_{series}_statuses_run{run + 1}"] = {
                str(status): count for status, count in sorted(result.statuses.items())
            }
        suffix = "" if series == SPREAD else "_one_product"
        bench.record_series(f"orders_accepted_per_s{suffix}", rates, 1)
        bench.record_series(f"orders_placement_closed_p99_ms{suffix}", p99s, 1)
        bench.record_series(f"orders_placement_closed_drain_s{suffix}", drains, 1)
        bench.record_cpu_split(f"cpu_ms_per_accepted_order{suffix}", cpus, accepted_counts)


# -- open loop: the saga at fixed rates ------------------------------------------------------


def _history(bench: Bench, order_ids: list[str]) -> dict[str, dict[str, float]]:
    """Per order: when it entered each status (seconds since the epoch)."""
    rows = bench.shop.query(
        "orders",
        "SELECT order_id::text, status, min(at) FROM orders_orderstatuschange"
        " WHERE order_id = ANY(%s::uuid[]) GROUP BY order_id, status",
        (order_ids,),
    )
    history: dict[str, dict[str, float]] = {}
    for order_id, status, at in rows:
        history.setdefault(order_id, {})[status] = _epoch(at)
    return history


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def open_loop_run(
    bench: Bench, *, series: str, rate: float, seconds: float, drain_timeout: float, label: str
) -> dict[str, Any]:
    """Offer `rate` orders/s for `seconds`, wait for the drain, and measure. Returns the run's
    figures (unprefixed) and its CPU split."""
    bench.accounts.fresh_tokens()
    placements = order_requests(bench, series)
    with bench.cpu_window() as cpu:
        result = load.open_loop(
            f"{bench.shop.stack.gateway_url}/api/orders/",
            placements,
            rate_per_s=rate,
            seconds=seconds,
            work_dir=bench.work_dir,
            label=label,
        )
        window_end = result.wall_start + result.duration_s
        drained, _ = bench.drain(drain_timeout)
        drained_at = time.time()
    cpu[LOADGEN] = result.cpu_ms

    rows = result.rows
    statuses = [row[2] for row in rows]
    accepted_ids = [row[3] for row in rows if row[2] == 202]
    shed = sum(1 for row in rows if row[2] == 503 and row[4])
    server_errors = sum(1 for status in statuses if status >= 500) - shed
    bench.loadgen_server_errors += server_errors
    placement = [row[1] for row in rows if row[2] != 0]
    history = _history(bench, accepted_ids) if accepted_ids else {}

    settle_ms, settled_in_window, rejected, still_pending = [], 0, 0, 0
    # Per order offered: when it was due and when it stopped waiting (settled, rejected, or
    # answered with anything but a 202); None: still waiting at the end.
    unsettled: list[tuple[float, float | None]] = []
    pending: list[tuple[float, float | None]] = []
    for due_offset, latency_ms, status, order_id, _, _ in rows:
        due = result.wall_start + due_offset
        steps = history.get(order_id, {}) if status == 202 else {}
        pending_at = steps.get("pending")
        if pending_at is None:
            unsettled.append((due, due + latency_ms / 1000))
            continue
        settled_at = steps.get("awaiting_payment")
        left_at = min((at for step, at in steps.items() if step != "pending"), default=None)
        unsettled.append((due, left_at))
        pending.append((pending_at, left_at))
        if settled_at is not None:
            settle_ms.append((settled_at - pending_at) * 1000)
            if result.wall_start <= settled_at <= window_end:
                settled_in_window += 1
        elif "rejected" in steps:
            rejected += 1
        else:
            # Never settled before the drain timeout: counted at least as long as it waited.
            still_pending += 1
            settle_ms.append((drained_at - pending_at) * 1000)

    def waiting(intervals: list[tuple[float, float | None]], moment: float) -> int:
        return sum(
            1
            for entered, left in intervals
            if entered <= moment and (left is None or left > moment)
        )

    # The backlog: orders offered and not settled yet, wherever they wait (in a queue in front
    # of the web server, or pending between the services).
    middle = result.wall_start + result.duration_s / 2
    backlog_mid, backlog_end = waiting(unsettled, middle), waiting(unsettled, window_end)
    grows = backlog_end - backlog_mid > max(5, BACKLOG_GROWTH_SECONDS * rate)
    settled = len(settle_ms) - still_pending
    figures = {
        "offered": len(rows),
        "offered_per_s": rounded(len(rows) / result.duration_s, 1),
        "accepted": len(accepted_ids),
        "placement_p50_ms": rounded(percentile(placement, 50), 1),
        "placement_p99_ms": rounded(percentile(placement, 99), 1),
        "status_5xx": server_errors,
        "shed": shed,
        "transport_errors": statuses.count(0),
        "other_status": {
            str(status): statuses.count(status)
            for status in sorted(set(statuses))
            if status not in (0, 202) and status < 500
        },
        "settled": settled,
        "rejected": rejected,
        "settled_per_s": rounded(settled_in_window / result.duration_s, 1),
        "settle_p50_ms": rounded(percentile(settle_ms, 50), 1),
        "settle_p90_ms": rounded(percentile(settle_ms, 90), 1),
        "settle_p99_ms": rounded(percentile(settle_ms, 99), 1),
        "settle_max_ms": rounded(max(settle_ms, default=None), 1) if settle_ms else None,
        "backlog_mid": backlog_mid,
        "backlog_end": backlog_end,
        "backlog_grows": grows,
        "pending_mid": waiting(pending, middle),
        "pending_end": waiting(pending, window_end),
        "drained": drained,
        "drain_s": rounded(drained_at - window_end, 1) if drained else None,
        "send_lag_p99_ms": rounded(percentile([row[5] for row in rows], 99), 1),
        "cpu_ms_per_settled": rounded(shop_cpu_ms(cpu) / settled, 3) if settled else None,
        "loadgen_cpu_ms_per_settled": rounded(cpu[LOADGEN] / settled, 3) if settled else None,
    }
    figures["sustainable"] = bool(
        figures["settle_p99_ms"] is not None
        and figures["settle_p99_ms"] < SETTLE_LIMIT_MS
        and not grows
        and drained
        and len(accepted_ids) >= MIN_ACCEPTED_SHARE * len(rows)
        and server_errors == 0
    )
    bench.say(
        f"saga {label}: offered {len(rows)} at {rate:g}/s, accepted {len(accepted_ids)}, "
        f"placement p99 {figures['placement_p99_ms']} ms, settle p50/p99 "
        f"{figures['settle_p50_ms']}/{figures['settle_p99_ms']} ms, settled/s "
        f"{figures['settled_per_s']}, backlog {backlog_mid}->{backlog_end}, drain "
        f"{figures['drain_s']} s, 5xx {server_errors}, shed {shed}"
    )
    return {"figures": figures, "cpu": cpu, "settled": settled}


def run_series(bench: Bench) -> dict[str, int | None]:
    """Both series at every rate of the plan; returns each series' sustainable rate."""
    plan = bench.plan
    sustainable: dict[str, int | None] = {}
    for series in SERIES:
        # A series starts from an empty backlog, even after one that ended without draining.
        drained, seconds = bench.drain(plan.overload_drain_timeout_seconds)
        if not drained:
            bench.say(
                f"saga {series}: still {bench.pending_orders()} pending after {seconds:.0f} s"
            )
        best: int | None = None
        failed = False
        for rate in plan.saga_rates_per_s:
            prefix = f"saga_{series}_r{rate}"
            run = open_loop_run(
                bench,
                series=series,
                rate=rate,
                seconds=plan.saga_seconds,
                drain_timeout=plan.drain_timeout_seconds,
                label=f"{series}-r{rate}",
            )
            bench.series_runs[(series, rate)] = run
            for key, value in run["figures"].items():
                bench.results[f"{prefix}_{key}"] = value
            for name, milliseconds in sorted(run["cpu"].items()):
                bench.results[f"{prefix}_cpu_ms_per_settled__{name}"] = (
                    rounded(milliseconds / run["settled"], 3) if run["settled"] else None
                )
            # The highest rate that passes with every lower one passing too: a rate that passes
            # by luck above one that failed says nothing about what the shop sustains.
            if run["figures"]["sustainable"] and not failed:
                best = rate
            else:
                failed = True
            if not run["figures"]["drained"]:
                bench.say(f"saga {series}: backlog did not drain; higher rates skipped")
                break
        sustainable[series] = best
    bench.results["orders_sustainable_per_s"] = sustainable[SPREAD]
    bench.results["orders_sustainable_per_s_one_product"] = sustainable[ONE_PRODUCT]
    return sustainable


def run_half_sustainable(bench: Bench, sustainable: int | None) -> None:
    """Settle p99 and CPU per settled order at half the sustainable rate (spread series),
    `plan.runs` times: the series ran once per rate, these are the repeated headline figures."""
    plan = bench.plan
    lowest = plan.saga_rates_per_s[0]
    rate = max(lowest, round(sustainable / 2)) if sustainable else lowest
    bench.results["half_sustainable_rate_per_s"] = rate
    # The series' own run at that rate counts as the first.
    runs = [bench.series_runs[(SPREAD, rate)]] if (SPREAD, rate) in bench.series_runs else []
    while len(runs) < plan.runs:
        runs.append(
            open_loop_run(
                bench,
                series=SPREAD,
                rate=rate,
                seconds=plan.saga_seconds,
                drain_timeout=plan.drain_timeout_seconds,
                label=f"half-r{rate}-{len(runs) + 1}",
            )
        )
    bench.record_series(
        "settle_p99_ms_at_half_sustainable", [run["figures"]["settle_p99_ms"] for run in runs], 1
    )
    bench.record_series(
        "settle_p50_ms_at_half_sustainable", [run["figures"]["settle_p50_ms"] for run in runs], 1
    )
    bench.record_cpu_split(
        "cpu_ms_per_settled_order",
        [run["cpu"] for run in runs],
        [run["settled"] for run in runs],
    )
    bench.results["orders_cpu_ms_per_settled"] = bench.results["cpu_ms_per_settled_order"]
    for suffix in ("_min", "_max"):
        bench.results[f"orders_cpu_ms_per_settled{suffix}"] = bench.results.pop(
            f"cpu_ms_per_settled_order{suffix}"
        )
    bench.results["orders_loadgen_cpu_ms_per_settled"] = bench.results.get(
        "cpu_ms_per_settled_order__loadgen"
    )
    bench.results["orders_cpu_ms_per_settled_rate_per_s"] = rate
    bench.results["orders_cpu_ms_per_settled_runs"] = len(runs)


def run_overload(bench: Bench, sustainable: int | None) -> None:
    plan = bench.plan
    rate = max(50, 2 * (sustainable or 0))
    bench.drain(plan.overload_drain_timeout_seconds)
    run = open_loop_run(
        bench,
        series=SPREAD,
        rate=rate,
        seconds=plan.overload_seconds,
        drain_timeout=plan.overload_drain_timeout_seconds,
        label=f"overload-r{rate}",
    )
    figures = run["figures"]
    bench.results["overload_rate_per_s"] = rate
    for key in (
        "offered",
        "accepted",
        "placement_p50_ms",
        "placement_p99_ms",
        "status_5xx",
        "shed",
        "other_status",
        "transport_errors",
        "settled",
        "settled_per_s",
        "settle_p50_ms",
        "settle_p90_ms",
        "settle_p99_ms",
        "backlog_mid",
        "backlog_end",
        "backlog_grows",
        "pending_mid",
        "pending_end",
        "send_lag_p99_ms",
        "drained",
        "drain_s",
        "cpu_ms_per_settled",
    ):
        bench.results[f"overload_{key}"] = figures[key]
