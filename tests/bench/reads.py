"""The read endpoints through the gateway, and the two references, under the same wrk settings.

Runs are interleaved (references, then every endpoint, then again), so that each run's ratios
compare figures taken within the same minute: absolute numbers on a shared machine drift.
"""

import math
from typing import Any

from tests.bench import load
from tests.bench.context import LOADGEN, Bench, rounded, shop_cpu_ms
from tests.bench.reference.servers import DJANGO_PATH, NGINX_PATH, References

PAGE_SIZE = 20
ENDPOINTS = ("list_anonymous", "list_authenticated", "detail", "order_detail")
REFERENCES = ("reference_nginx", "reference_django")
WARM_UP_SECONDS = 1


def read_requests(bench: Bench, name: str) -> list[load.Request]:
    customers = bench.accounts.customers
    pages = math.ceil(len(bench.product_ids) / PAGE_SIZE)
    if name == "reference_nginx":
        return [load.Request("GET", NGINX_PATH)]
    if name == "reference_django":
        return [load.Request("GET", DJANGO_PATH)]
    if name == "list_anonymous":
        return [load.Request("GET", f"/api/products/?page={page}") for page in range(1, pages + 1)]
    if name == "list_authenticated":
        # Every page with every customer's token, in an order where neither repeats in step.
        return [
            load.Request(
                "GET",
                f"/api/products/?page={index % pages + 1}",
                token=customers[(index // pages + index) % len(customers)].access,
            )
            for index in range(pages * len(customers))
        ]
    if name == "detail":
        ids = list(bench.product_ids)
        bench.rng.shuffle(ids)
        return [load.Request("GET", f"/api/products/{product_id}/") for product_id in ids]
    if name == "order_detail":
        return [
            load.Request("GET", f"/api/orders/{order_id}/", token=customers[owner].access)
            for order_id, owner in bench.readable_orders
        ]
    raise ValueError(name)


def _one(bench: Bench, references: References, name: str, seconds: float) -> dict[str, Any]:
    base_url = references.url if name in REFERENCES else bench.shop.stack.gateway_url
    requests = read_requests(bench, name)
    with bench.cpu_window() as cpu:
        result = load.wrk(base_url, requests, seconds=seconds, work_dir=bench.work_dir, label=name)
    cpu[LOADGEN] = result.cpu_ms
    if name not in REFERENCES:
        bench.loadgen_server_errors += result.server_errors
    return {"result": result, "cpu": cpu}


def run_reads(bench: Bench, references: References) -> None:
    plan = bench.plan
    bench.accounts.fresh_tokens()
    bench.say("reads: warming up every endpoint")
    for name in REFERENCES + ENDPOINTS:
        _one(bench, references, name, WARM_UP_SECONDS)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in REFERENCES + ENDPOINTS}
    for run in range(plan.runs):
        bench.accounts.fresh_tokens()
        for name in REFERENCES + ENDPOINTS:
            measured = _one(bench, references, name, plan.read_seconds)
            runs[name].append(measured)
            result = measured["result"]
            bench.say(
                f"reads run {run + 1}/{plan.runs} {name}: {result.per_second(200):.0f}/s, "
                f"p99 {result.latency_p99_ms:.1f} ms, statuses {result.statuses}"
            )
    _record(bench, runs)


def _record(bench: Bench, runs: dict[str, list[dict[str, Any]]]) -> None:
    results = bench.results
    for name, measured in runs.items():
        wrk_results = [run["result"] for run in measured]
        cpus = [run["cpu"] for run in measured]
        bench.record_series(f"{name}_per_s", [result.per_second(200) for result in wrk_results], 1)
        bench.record_series(f"{name}_p50_ms", [result.latency_p50_ms for result in wrk_results])
        bench.record_series(f"{name}_p99_ms", [result.latency_p99_ms for result in wrk_results])
        results[f"{name}_non_200"] = sum(
            result.requests - result.count(200) + sum(result.errors.values())
            for result in wrk_results
        )
        results[f"{name}_5xx"] = sum(result.server_errors for result in wrk_results)
        served = [result.count(200) for result in wrk_results]
        bench.record_series(
            f"loadgen_cpu_ms_per_request_{name}",
            [
                cpu[LOADGEN] / count if count else None
                for cpu, count in zip(cpus, served, strict=True)
            ],
            3,
        )
        if name in REFERENCES:
            bench.record_series(
                f"cpu_ms_per_request_{name}",
                [
                    sum(ms for process, ms in cpu.items() if process.startswith("reference-"))
                    / count
                    if count
                    else None
                    for cpu, count in zip(cpus, served, strict=True)
                ],
                3,
            )
            continue
        bench.record_cpu_split(f"cpu_ms_per_request_{name}", cpus, served)
        for reference in REFERENCES:
            ratios = [
                result.per_second(200) / base["result"].per_second(200)
                if base["result"].per_second(200)
                else None
                for result, base in zip(wrk_results, runs[reference], strict=True)
            ]
            short = reference.removeprefix("reference_")
            bench.record_series(f"{name}_ratio_to_{short}", ratios, 4)
        # How much of one request's CPU the shop spends above the minimal Django reference.
        django_cpu = results.get("cpu_ms_per_request_reference_django")
        shop_cpu = [
            shop_cpu_ms(cpu) / count for cpu, count in zip(cpus, served, strict=True) if count
        ]
        if django_cpu and shop_cpu:
            results[f"cpu_ratio_to_django_{name}"] = rounded(
                sorted(shop_cpu)[len(shop_cpu) // 2] / django_cpu, 2
            )
