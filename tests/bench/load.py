"""The load generators: wrk (closed loop, in C) for throughput, and the open-loop asyncio client
(tests/bench/openloop.py) for the saga, each run as a child process whose CPU is measured apart
(its rusage, from wait4) from the shop's."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.local.stack import ROOT

LUA_SCRIPT = Path(__file__).with_name("lua") / "rotate.lua"
WRK_THREADS = 2
WRK_CONNECTIONS = 16
WRK_TIMEOUT = "10s"
OPEN_LOOP_CONNECTIONS = 256
OPEN_LOOP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    token: str = ""
    body: str = ""


@dataclass
class Measured:
    """A child process's output and the CPU it used (user + system, its children included)."""

    stdout: str
    returncode: int
    cpu_ms: float


def run_measured(command: list[str], *, timeout_seconds: float) -> Measured:
    """Run `command` to its end; killed after `timeout_seconds` (the generators stop by
    themselves well before: their own duration, then a bounded per-request timeout)."""
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        watchdog = threading.Timer(timeout_seconds, _kill, args=(process.pid,))
        watchdog.daemon = True
        watchdog.start()
        try:
            # wait4, not Popen.wait: it hands back exactly this child's CPU (and its children's).
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted: the generator must not outlive the benchmark
            _kill(process.pid)
            process.wait()
            raise
        finally:
            watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        return Measured(
            stdout=output.read(),
            returncode=process.returncode,
            cpu_ms=(usage.ru_utime + usage.ru_stime) * 1000,
        )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if os.access("/usr/bin/wrk", os.X_OK) else "")
    if not found:
        raise FileNotFoundError("wrk is not installed: apt-get install wrk")
    return found


def write_requests(path: Path, requests: list[Request]) -> Path:
    with path.open("w") as file:
        for request in requests:
            for value in (request.path, request.token, request.body):
                if "\t" in value or "\n" in value:
                    raise ValueError(f"a tab or newline in a request field: {value!r}")
            file.write(f"{request.method}\t{request.path}\t{request.token}\t{request.body}\n")
    return path


@dataclass
class WrkResult:
    requests: int
    seconds: float
    statuses: dict[int, int]
    shed: int
    errors: dict[str, int]
    latency_p50_ms: float
    latency_p99_ms: float
    cpu_ms: float

    def count(self, *statuses: int) -> int:
        return sum(self.statuses.get(status, 0) for status in statuses)

    @property
    def server_errors(self) -> int:
        """5xx answers, less the 503s with Retry-After: those are the shop shedding load on
        purpose (API.md), counted apart as `shed`."""
        return sum(count for status, count in self.statuses.items() if status >= 500) - self.shed

    def per_second(self, *statuses: int) -> float:
        return self.count(*statuses) / self.seconds


def wrk(
    base_url: str, requests: list[Request], *, seconds: float, work_dir: Path, label: str
) -> WrkResult:
    """Closed loop: WRK_CONNECTIONS connections, each sending its next request when the last is
    answered, for `seconds`, rotating through `requests`."""
    request_file = write_requests(work_dir / f"{label}.tsv", requests)
    command = [
        wrk_binary(),
        "--threads", str(WRK_THREADS),
        "--connections", str(WRK_CONNECTIONS),
        "--duration", f"{seconds:g}s",
        "--timeout", WRK_TIMEOUT,
        "--script", str(LUA_SCRIPT),
        base_url,
        "--", str(request_file),
    ]  # fmt: skip
    measured = run_measured(command, timeout_seconds=seconds + 60)
    line = next((line for line in measured.stdout.splitlines() if line.startswith("BENCH ")), None)
    if measured.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({measured.returncode}):\n{measured.stdout[-2000:]}")
    data = json.loads(line.removeprefix("BENCH "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        statuses={int(status): count for status, count in data["statuses"].items()},
        shed=data["shed"],
        errors=data["errors"],
        latency_p50_ms=data["latency_p50_us"] / 1000,
        latency_p99_ms=data["latency_p99_us"] / 1000,
        cpu_ms=measured.cpu_ms,
    )


@dataclass
class OpenLoopResult:
    wall_start: float
    rate_per_s: float
    duration_s: float
    # [due_offset_s, latency_ms, status, order_id, has_retry_after, send_lag_ms] per request
    rows: list[list[Any]]
    cpu_ms: float


def open_loop(
    url: str,
    requests: list[tuple[str, str]],
    *,
    rate_per_s: float,
    seconds: float,
    work_dir: Path,
    label: str,
) -> OpenLoopResult:
    """POST `requests` (`(token, body)`, in turn) to `url` at a fixed rate for `seconds`."""
    spec_file = work_dir / f"{label}.spec.json"
    result_file = work_dir / f"{label}.result.json"
    spec_file.write_text(
        json.dumps(
            {
                "url": url,
                "rate_per_s": rate_per_s,
                "duration_s": seconds,
                "requests": requests,
                "connections": OPEN_LOOP_CONNECTIONS,
                "timeout_s": OPEN_LOOP_TIMEOUT_SECONDS,
            }
        )
    )
    measured = run_measured(
        [sys.executable, "-m", "tests.bench.openloop", str(spec_file), str(result_file)],
        timeout_seconds=seconds + OPEN_LOOP_TIMEOUT_SECONDS + 60,
    )
    if measured.returncode != 0:
        raise RuntimeError(f"open-loop client failed:\n{measured.stdout[-2000:]}")
    data = json.loads(result_file.read_text())
    return OpenLoopResult(
        wall_start=data["wall_start"],
        rate_per_s=data["rate_per_s"],
        duration_s=data["duration_s"],
        rows=data["rows"],
        cpu_ms=measured.cpu_ms,
    )
