"""Open-loop load: POST orders at a fixed rate, whatever the shop's answers take.

    python -m tests.bench.openloop SPEC.json RESULT.json

A closed loop (wrk) sends the next request only when the last one is answered, so a shop that
slows down is simply offered less: the queue it builds is hidden (coordinated omission). Here
request i is due at start + i/rate, whether or not earlier ones were answered, and its latency
is measured from when it was due, not from when it was actually sent, so a late send (the
client itself behind, or no free connection) counts against the shop as a real client's would.

It runs as a process of its own so that its CPU is measured apart from the shop's. SPEC gives
`url`, `rate_per_s`, `duration_s`, `requests` (a list of `[token, body]` sent in turn),
`connections` (at most this many open at once) and `timeout_s`. RESULT gets one row per
request: `[due_offset_s, latency_ms, status, order_id, has_retry_after, send_lag_ms]`, status 0
for a transport error, plus the wall-clock start.
"""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp


async def _one(
    session: aiohttp.ClientSession,
    url: str,
    due: float,
    token: str,
    body: str,
    start: float,
) -> list[Any]:
    loop = asyncio.get_running_loop()
    send_lag_ms = (loop.time() - due) * 1000
    status, order_id, has_retry_after = 0, "", False
    try:
        async with session.post(
            url,
            data=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        ) as response:
            status = response.status
            has_retry_after = "Retry-After" in response.headers
            payload = await response.read()
            if status == 202:
                order_id = json.loads(payload)["id"]
    except (aiohttp.ClientError, TimeoutError, ValueError, KeyError):
        pass
    latency_ms = (loop.time() - due) * 1000
    return [round(due - start, 4), round(latency_ms, 2), status, order_id, has_retry_after,
            round(send_lag_ms, 2)]  # fmt: skip


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    rate = float(spec["rate_per_s"])
    count = int(rate * float(spec["duration_s"]))
    requests = spec["requests"]
    connector = aiohttp.TCPConnector(limit=int(spec["connections"]))
    timeout = aiohttp.ClientTimeout(total=float(spec["timeout_s"]))
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # A head start, so that the first request is not due before the loop is running.
        start = loop.time() + 0.5
        wall_start = time.time() + 0.5
        tasks = []
        for index in range(count):
            due = start + index / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            token, body = requests[index % len(requests)]
            tasks.append(asyncio.create_task(_one(session, spec["url"], due, token, body, start)))
        rows = await asyncio.gather(*tasks)
    return {"wall_start": wall_start, "rate_per_s": rate, "duration_s": count / rate, "rows": rows}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = asyncio.run(run(spec))
    Path(sys.argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
