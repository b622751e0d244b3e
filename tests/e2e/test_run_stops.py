"""`make run` stopped as a supervisor or `kill -- -PGID` stops it: SIGTERM to its process group,
which reaches the runner twice (make passes it on), once or twice over. Every process it
started is gone within the time README.md gives."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.stack import STOP_SECONDS
from tests.harness import ROOT

# README.md: "every process it started is gone within 25 seconds".
GONE_WITHIN_SECONDS = 25
assert STOP_SECONDS + 5 <= GONE_WITHIN_SECONDS
START_TIMEOUT_SECONDS = 240


def free_port_run(length: int = 5) -> int:
    """A first port of `length` consecutive ones that nothing listens on (just now)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + length > 65535:
            continue
        taken = False
        for port in range(first, first + length):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return first
    raise RuntimeError("no run of free ports")


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`, whatever session it moved to."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def started_with(var_dir: Path) -> set[int]:
    """The processes whose environment names `var_dir`: every one a run started."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(var_dir).encode() in (entry / "environ").read_bytes():
                    found.add(int(entry.name))
    return found - {os.getpid()}


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:160].decode()
    except OSError:
        return f"{pid} (gone)"


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One for both runs: the second reuses the first's databases, as a second `make run` does.
    return tmp_path_factory.mktemp("make-run-var")


@pytest.fixture
def make_run(var_dir: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port_run()
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE"
        and not key.endswith("DATABASE_URL")
        and key != "CELERY_BROKER_URL"
    }
    env.update(SHOP_VAR_DIR=str(var_dir), SHOP_RUN_PORT=str(port))
    output = open(var_dir / f"make-run-{port}.out", "wb")  # noqa: SIM115 - closed below
    # Its own process group, as a terminal or a supervisor gives it.
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while b"The shop is up" not in (var_dir / f"make-run-{port}.out").read_bytes():
            assert make.poll() is None, (var_dir / f"make-run-{port}.out").read_text()
            assert time.monotonic() < deadline, "make run did not come up"
            time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200
        yield make, port
    finally:
        # Whatever it started, the processes a failed stop left behind (orphans) included.
        for pid in descendants(make.pid) | {make.pid} | started_with(var_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        make.wait(timeout=10)
        output.close()


@pytest.mark.parametrize("times", [1, 2], ids=["once", "twice"])
def test_sigterm_to_make_runs_group_stops_every_process_in_time(make_run, times):
    make, port = make_run
    started = descendants(make.pid)
    assert len(started) >= 14, started  # make's runner, 4 webs, 4 workers, nginx

    for _ in range(times):
        os.killpg(make.pid, signal.SIGTERM)
        time.sleep(0.3)

    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while (left := {pid for pid in started if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [command_line(pid) for pid in left]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
