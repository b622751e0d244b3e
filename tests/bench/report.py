"""The benchmark's outputs: results.json (flat, one key per figure), results.md (the table a
person reads) and settle-latency.png (settle p50/p99 against the offered rate)."""

import json
from pathlib import Path
from typing import Any

from tests.bench.context import NOT_THE_SHOP_PREFIXES
from tests.bench.reads import ENDPOINTS, REFERENCES
from tests.bench.saga import ONE_PRODUCT, SERIES, SETTLE_LIMIT_MS, SPREAD

GENERATORS = """\
- **wrk** (C, closed loop, 2 threads, 16 connections, Lua script `tests/bench/lua/rotate.lua`
  rotating paths, tokens and order bodies, counting every status) drives the read endpoints, the
  two references and the closed-loop "placements accepted/s": a closed loop measures what the
  shop can serve when it sets the pace, and wrk costs little CPU per request.
- **The open-loop asyncio client** (`tests/bench/openloop.py`, aiohttp, its own process) drives
  the saga series and the overload: request *i* is due at start + *i*/rate whether or not the
  earlier ones were answered, and its latency counts from when it was due. A closed loop would
  slow down with the shop and hide the queue it builds (coordinated omission); a fixed offered
  rate shows it.
- The CPU of both is measured from their own rusage and reported apart (`loadgen`), never in
  the shop's totals; so are the reference servers and the benchmark's own SQL (`bench sql`)."""


def _value(results: dict[str, Any], key: str, unit: str = "") -> str:
    value = results.get(key)
    if value is None:
        return "-"
    low, high = results.get(f"{key}_min"), results.get(f"{key}_max")
    text = f"{value:g}{unit}" if isinstance(value, float | int) else str(value)
    if low is not None and high is not None and (low != value or high != value):
        text += f" ({low:g}-{high:g})"
    return text


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {count}" for key, count in value.items()) or "-"
    return str(value)


def _other(results: dict[str, Any], prefix: str) -> str:
    """Answers that were neither 202 nor 5xx, and requests that got no answer in time."""
    parts = dict(results.get(f"{prefix}other_status") or {})
    if results.get(f"{prefix}transport_errors"):
        parts["no answer"] = results[f"{prefix}transport_errors"]
    return _plain(parts)


def _processes(results: dict[str, Any], prefix: str) -> list[str]:
    marker = f"{prefix}__"
    return sorted(key.removeprefix(marker) for key in results if key.startswith(marker))


def markdown(results: dict[str, Any]) -> str:
    r = results
    rate = r.get("orders_cpu_ms_per_settled_rate_per_s")
    lines = [
        f"# Benchmark results ({'QUICK' if r.get('quick') else 'full'})",
        "",
        f"{r.get('measured_at')} · commit {r.get('git_commit')} · {r.get('machine')} · "
        f"Python {r.get('python')} · {r.get('duration_s')} s",
        "",
        "Every figure: the median of the runs, (min-max) when there were several. Reads are "
        "also given as ratios to the references measured in the same run: absolute numbers on "
        "a shared machine drift by ±20 % minute to minute.",
        "",
        "## Headline",
        "",
        "| figure | value |",
        "|---|---|",
        f"| sustainable order rate (spread over products) | "
        f"{_value(r, 'orders_sustainable_per_s', ' orders/s')} |",
        f"| sustainable order rate (all on one product) | "
        f"{_value(r, 'orders_sustainable_per_s_one_product', ' orders/s')} |",
        f"| settle p99 at half the sustainable rate ({r.get('half_sustainable_rate_per_s')}/s) |"
        f" {_value(r, 'settle_p99_ms_at_half_sustainable', ' ms')} |",
        f"| CPU per settled order (all processes but the load generator; spread, {rate}/s, "
        f"{r.get('orders_cpu_ms_per_settled_runs')} runs, window + drain) | "
        f"{_value(r, 'orders_cpu_ms_per_settled', ' ms')} |",
        f"| placements accepted (202), closed loop, 3 lines | "
        f"{_value(r, 'orders_accepted_per_s', '/s')} |",
        f"| placements accepted (202), closed loop, one product | "
        f"{_value(r, 'orders_accepted_per_s_one_product', '/s')} |",
        f"| product list, anonymous, ratio to minimal Django | "
        f"{_value(r, 'list_anonymous_ratio_to_django')} |",
        f"| product list, authenticated, ratio to minimal Django | "
        f"{_value(r, 'list_authenticated_ratio_to_django')} |",
        f"| product detail, ratio to minimal Django | {_value(r, 'detail_ratio_to_django')} |",
        f"| overload ({r.get('overload_rate_per_s')}/s offered): placement p99 | "
        f"{_value(r, 'overload_placement_p99_ms', ' ms')} |",
        f"| overload: settled/s in the window | {_value(r, 'overload_settled_per_s')} |",
        f"| overload: drained by itself, in | {_plain(r.get('overload_drained'))}, "
        f"{_plain(r.get('overload_drain_s'))} s |",
        f"| idle CPU (stack + PostgreSQL + RabbitMQ) | "
        f"{_value(r, 'idle_cpu_percent_of_one_core', ' % of one core')} |",
        f"| stack PSS after the load (PostgreSQL, RabbitMQ apart) | "
        f"{_value(r, 'stack_pss_mib', ' MiB')} (PostgreSQL {_plain(r.get('postgres_pss_mib'))}"
        f" MiB, RabbitMQ {_plain(r.get('rabbitmq_pss_mib'))} MiB) |",
        f"| invariants | {'**ok**' if r.get('invariants_ok') else '**FAILED**'} |",
        "",
        "## Reads (wrk, closed loop, through the gateway)",
        "",
        "| endpoint | 200/s | p50 ms | p99 ms | ratio to Django | ratio to nginx | "
        "shop CPU ms/request | loadgen CPU ms/request | non-200 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "reference_nginx": "reference: nginx `return 200`",
        "reference_django": "reference: minimal Django (gunicorn behind nginx)",
        "list_anonymous": "`GET /api/products/?page=N` anonymous",
        "list_authenticated": "`GET /api/products/?page=N` with a Bearer token",
        "detail": "`GET /api/products/{id}/`",
        "order_detail": "`GET /api/orders/{id}/` (owner's token)",
    }
    for name in REFERENCES + ENDPOINTS:
        lines.append(
            f"| {labels[name]} | {_value(r, f'{name}_per_s')} | {_value(r, f'{name}_p50_ms')} |"
            f" {_value(r, f'{name}_p99_ms')} | {_value(r, f'{name}_ratio_to_django')} |"
            f" {_value(r, f'{name}_ratio_to_nginx')} | "
            f"{_value(r, f'cpu_ms_per_request_{name}')} |"
            f" {_value(r, f'loadgen_cpu_ms_per_request_{name}')} | "
            f"{_plain(r.get(f'{name}_non_200'))} |"
        )
    lines += [
        "",
        "(References: CPU of the reference gunicorn and nginx only.)",
        "",
        "## Order placement, closed loop (wrk)",
        "",
        "| orders | accepted (202)/s | p99 ms | drain after the window, s | "
        "CPU ms per accepted order |",
        "|---|---|---|---|---|",
    ]
    for suffix, label in (
        ("", "3 random lines of 1,000 products"),
        ("_one_product", "one product"),
    ):
        lines.append(
            f"| {label} | {_value(r, f'orders_accepted_per_s{suffix}')} |"
            f" {_value(r, f'orders_placement_closed_p99_ms{suffix}')} |"
            f" {_value(r, f'orders_placement_closed_drain_s{suffix}')} |"
            f" {_value(r, f'cpu_ms_per_accepted_order{suffix}')} |"
        )
    lines += [
        "",
        "## The saga, open loop (202 → `awaiting_payment`, from each order's history)",
        "",
        f"Sustainable: settle p99 under {SETTLE_LIMIT_MS} ms, backlog not growing (end of the "
        "window vs its middle: no more than 0.5 s of offered orders more), drained, at least 99 % "
        "accepted, no 5xx, and every lower rate sustainable too.",
    ]
    for series in SERIES:
        title = "3 random lines of 1,000 products" if series == SPREAD else "all on one product"
        lines += [
            "",
            f"### {title}",
            "",
            "| offered/s | offered | accepted | placement p50/p99 ms | 5xx | shed | other |"
            " settled/s | settle p50/p90/p99 ms | backlog mid→end | drain s | CPU ms/settled |"
            " loadgen ms/settled | sustainable |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for offered in rates_of(r, series):
            p = f"saga_{series}_r{offered}_"
            lines.append(
                f"| {offered} | {_plain(r.get(p + 'offered'))} | {_plain(r.get(p + 'accepted'))} |"
                f" {_plain(r.get(p + 'placement_p50_ms'))}/{_plain(r.get(p + 'placement_p99_ms'))}"
                f" | {_plain(r.get(p + 'status_5xx'))} | {_plain(r.get(p + 'shed'))} |"
                f" {_other(r, p)} | {_plain(r.get(p + 'settled_per_s'))} |"
                f" {_plain(r.get(p + 'settle_p50_ms'))}/{_plain(r.get(p + 'settle_p90_ms'))}/"
                f"{_plain(r.get(p + 'settle_p99_ms'))} | {_plain(r.get(p + 'backlog_mid'))}→"
                f"{_plain(r.get(p + 'backlog_end'))} | {_plain(r.get(p + 'drain_s'))} |"
                f" {_plain(r.get(p + 'cpu_ms_per_settled'))} |"
                f" {_plain(r.get(p + 'loadgen_cpu_ms_per_settled'))} |"
                f" {_plain(r.get(p + 'sustainable'))} |"
            )
    lines += [
        "",
        f"### Overload: {r.get('overload_rate_per_s')}/s offered for the window "
        "(2x sustainable, at least 50/s)",
        "",
        "| offered | accepted | placement p50/p99 ms | 5xx | shed | other | settled/s |"
        " settle p50/p99 ms | backlog mid→end | drained | drain s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {_plain(r.get('overload_offered'))} | {_plain(r.get('overload_accepted'))} |"
        f" {_plain(r.get('overload_placement_p50_ms'))}/"
        f"{_plain(r.get('overload_placement_p99_ms'))} | {_plain(r.get('overload_status_5xx'))} |"
        f" {_plain(r.get('overload_shed'))} | {_other(r, 'overload_')} |"
        f" {_plain(r.get('overload_settled_per_s'))} | {_plain(r.get('overload_settle_p50_ms'))}/"
        f"{_plain(r.get('overload_settle_p99_ms'))} | {_plain(r.get('overload_backlog_mid'))}→"
        f"{_plain(r.get('overload_backlog_end'))} | {_plain(r.get('overload_drained'))} |"
        f" {_plain(r.get('overload_drain_s'))} |",
        "",
        "## CPU and memory per process",
        "",
        f"CPU per settled order: the spread series at {rate}/s (window and drain). Reads: CPU per "
        "200 answer over the wrk window. Idle: % of one core. PSS after the load.",
        "",
        "| process | CPU ms/settled order | "
        + " | ".join(f"{name} ms/request" for name in ENDPOINTS)
        + " | idle % | PSS MiB |",
        "|---|---|" + "---|" * len(ENDPOINTS) + "---|---|",
    ]
    names = set(_processes(r, "cpu_ms_per_settled_order"))
    for name in ENDPOINTS:
        names |= set(_processes(r, f"cpu_ms_per_request_{name}"))
    names |= set(_processes(r, "idle_cpu_percent")) | set(_processes(r, "stack_pss_mib"))
    names = {name for name in names if not name.startswith("reference-")}

    def row(name: str) -> str:
        cells = [_plain(r.get(f"cpu_ms_per_settled_order__{name}"))]
        cells += [_plain(r.get(f"cpu_ms_per_request_{endpoint}__{name}")) for endpoint in ENDPOINTS]
        cells += [
            _plain(r.get(f"idle_cpu_percent__{name}")),
            _plain(r.get(f"stack_pss_mib__{name}")),
        ]
        return f"| {name} | " + " | ".join(cells) + " |"

    shop = sorted(name for name in names if not name.startswith(NOT_THE_SHOP_PREFIXES))
    apart = sorted(name for name in names if name.startswith(NOT_THE_SHOP_PREFIXES))
    lines += [row(name) for name in shop]
    lines += [
        f"| **the shop** (the rows above) | {_value(r, 'orders_cpu_ms_per_settled')} | "
        + " | ".join(_value(r, f"cpu_ms_per_request_{endpoint}") for endpoint in ENDPOINTS)
        + f" | {_plain(r.get('idle_cpu_percent_of_one_core'))} | "
        f"{_plain(r.get('stack_pss_mib'))} |",
    ]
    lines += [row(name) for name in apart]
    lines += [
        "",
        "Not the shop's, reported apart: `loadgen` (wrk or the open-loop client), `bench sql` (the "
        "benchmark's own polling), `postgres foreign` (other databases on the same server), "
        "`machine (all processes)` (every CPU's busy time: what exceeds the shop + loadgen is "
        "other work on the machine, i.e. noise). `postgres other` is the postmaster, background "
        "processes and backends that ended inside the window; RabbitMQ is one server for "
        "everyone, so other users of it are inside `rabbitmq`.",
        "",
        "## Invariants (after the whole run)",
        "",
        "| check | value |",
        "|---|---|",
    ]
    for key in sorted(key for key in r if key.startswith("invariant")):
        lines.append(f"| {key} | {_plain(r[key])} |")
    lines += [
        f"| orders by status | {_plain(r.get('orders_by_status'))} |",
        "",
        "## Load generators",
        "",
        GENERATORS,
        "",
    ]
    return "\n".join(lines)


def rates_of(results: dict[str, Any], series: str) -> list[int]:
    prefix = f"saga_{series}_r"
    return sorted(
        {
            int(key.removeprefix(prefix).split("_", 1)[0])
            for key in results
            if key.startswith(prefix) and key.endswith("_offered")
        }
    )


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5))
    styles = {
        SPREAD: ("tab:blue", "3 random lines of 1,000"),
        ONE_PRODUCT: ("tab:red", "one product"),
    }
    for series in SERIES:
        color, label = styles[series]
        rates = rates_of(results, series)
        for percent, line_style in (("50", "--"), ("99", "-")):
            points = [
                (rate, results.get(f"saga_{series}_r{rate}_settle_p{percent}_ms")) for rate in rates
            ]
            points = [(rate, value) for rate, value in points if value is not None]
            if points:
                axes.plot(
                    [rate for rate, _ in points],
                    [value for _, value in points],
                    line_style,
                    marker="o",
                    color=color,
                    label=f"{label}: p{percent}",
                )
    axes.axhline(SETTLE_LIMIT_MS, color="gray", linestyle=":", label="1 s")
    axes.set_yscale("log")
    axes.set_xlabel("offered orders/s (open loop)")
    axes.set_ylabel("202 → awaiting_payment (ms)")
    axes.set_title(
        f"Settle latency ({'QUICK' if results.get('quick') else 'full'}, "
        f"{results.get('git_commit')})"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def write(results: dict[str, Any], output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    (output_dir / "results.md").write_text(markdown(results))
    chart(results, output_dir / "settle-latency.png")
