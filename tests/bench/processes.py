"""CPU and memory of every process the benchmark cares about, read from /proc.

CPU is utime+stime+cutime+cstime: a worker that a gunicorn or Celery master reaped (max
requests, a recycled child) leaves its time in the parent's cutime, so a window's delta still
counts it. Processes are grouped by name: each process of the stack with its whole process
group (gunicorn workers, Celery's prefork children, nginx workers), PostgreSQL split by database,
RabbitMQ, and the benchmark's own reference servers.
"""

import contextlib
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from tests.harness import POSTGRES

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
RABBITMQ_COMMANDS = ("beam.smp", "erl_child_setup", "epmd", "inet_gethost")
POSTGRES_OTHER = "postgres other"
POSTGRES_FOREIGN = "postgres foreign"
MACHINE = "machine (all processes)"
RABBITMQ = "rabbitmq"


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    command: str
    parent_pid: int
    group_id: int
    ticks: int


def proc_table() -> dict[int, ProcessInfo]:
    """Every live process: its command, parent, process group and CPU ticks (own + reaped)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:  # gone between listing and reading
            continue
        # The command sits in parentheses and may itself contain spaces or parentheses.
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry.name)] = ProcessInfo(
            pid=int(entry.name),
            command=command,
            parent_pid=int(fields[1]),
            group_id=int(fields[2]),
            ticks=sum(int(value) for value in fields[11:15]),
        )
    return table


def descendants(table: Mapping[int, ProcessInfo], roots: set[int]) -> set[int]:
    children = defaultdict(set)
    for info in table.values():
        children[info.parent_pid].add(info.pid)
    found, stack = set(), list(roots)
    while stack:
        pid = stack.pop()
        if pid in found or pid not in table:
            continue
        found.add(pid)
        stack.extend(children[pid])
    return found


@dataclass
class Snapshot:
    """CPU ticks per named process at one moment, with the pids behind each name."""

    ticks: dict[str, int]
    pids: dict[str, set[int]]
    # Live PostgreSQL backends: pid -> (label, ticks), so that a backend that exits inside a
    # window does not subtract its earlier time from its database (see `cpu_delta`).
    backends: dict[int, tuple[str, int]] = field(default_factory=dict)
    postmaster_ticks: int = 0


class ProcessAccounting:
    """Names every process worth measuring and takes CPU snapshots of them.

    `groups` maps a name to the pid of a process group leader (every process started with
    start_new_session is one); `database_labels` maps PostgreSQL database names to labels
    (`shop_bench_orders` -> `postgres orders`); `own_backends` are the benchmark's own database
    connections, counted apart from the shop's.
    """

    def __init__(
        self,
        groups: Mapping[str, int],
        *,
        database_labels: Mapping[str, str],
        own_backends: set[int] | None = None,
    ) -> None:
        self.groups = dict(groups)
        self.database_labels = dict(database_labels)
        self.own_backends = own_backends or set()
        self._activity = psycopg2.connect(dbname="postgres", **POSTGRES)
        self._activity.autocommit = True
        with self._activity.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_backends.add(cursor.fetchone()[0])

    def close(self) -> None:
        with contextlib.suppress(psycopg2.Error):
            self._activity.close()

    def add_group(self, name: str, leader_pid: int) -> None:
        self.groups[name] = leader_pid

    def _database_of_backends(self) -> dict[int, str]:
        with self._activity.cursor() as cursor:
            cursor.execute("SELECT pid, datname FROM pg_stat_activity")
            return {pid: datname for pid, datname in cursor.fetchall()}

    def snapshot(self) -> Snapshot:
        databases = self._database_of_backends()
        table = proc_table()
        ticks: dict[str, int] = defaultdict(int)
        pids: dict[str, set[int]] = defaultdict(set)
        by_group = defaultdict(set)
        for info in table.values():
            by_group[info.group_id].add(info.pid)
        claimed: set[int] = set()
        for name, leader in self.groups.items():
            members = by_group.get(leader, set()) | descendants(table, {leader})
            pids[name] = members
            claimed |= members
            ticks[name] = sum(table[pid].ticks for pid in members)

        postgres = {
            pid for pid, info in table.items() if info.command == "postgres" and pid not in claimed
        }
        postmasters = {pid for pid in postgres if table[pid].parent_pid not in postgres}
        backends = {}
        postmaster_ticks = 0
        for pid in postgres:
            if pid in postmasters:
                postmaster_ticks += table[pid].ticks
                label = POSTGRES_OTHER
            elif pid in self.own_backends:
                label = "bench sql"
            else:
                datname = databases.get(pid)
                if datname is None:  # a background process: checkpointer, WAL writer, ...
                    label = POSTGRES_OTHER
                else:
                    # A database of someone else's (a test suite, another stack) on the same
                    # server: measured, never counted as the shop's.
                    label = self.database_labels.get(datname, POSTGRES_FOREIGN)
                backends[pid] = (label, table[pid].ticks)
            ticks[label] += table[pid].ticks
            pids[label].add(pid)

        beam = {
            pid
            for pid, info in table.items()
            if info.command in RABBITMQ_COMMANDS and pid not in claimed
        }
        rabbitmq = descendants(table, beam)
        pids[RABBITMQ] = rabbitmq
        ticks[RABBITMQ] = sum(table[pid].ticks for pid in rabbitmq)
        ticks[MACHINE] = machine_busy_ticks()
        return Snapshot(
            ticks=dict(ticks), pids=dict(pids), backends=backends, postmaster_ticks=postmaster_ticks
        )


def machine_busy_ticks() -> int:
    """Every CPU's non-idle time since boot: with the named processes it shows how much of a
    window went to processes nobody here started (other work on a shared machine)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return user + nice + system + irq + softirq + steal


def cpu_delta(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU milliseconds per name between two snapshots.

    PostgreSQL backends are counted pid by pid: one alive at both ends adds its delta to its
    database, one born inside the window all of its time; one that exited inside the window has
    its time folded into the postmaster's cutime, so the postmaster's growth less the dead
    backends' earlier time goes to "postgres other" and the total stays exact.
    """
    milliseconds_per_tick = 1000 / CLOCK_TICKS_PER_SECOND
    result: dict[str, float] = {}
    backend_labels = {label for label, _ in after.backends.values()} | {
        label for label, _ in before.backends.values()
    }
    for name in set(before.ticks) | set(after.ticks):
        if name in backend_labels or name == POSTGRES_OTHER:
            continue
        delta = after.ticks.get(name, 0) - before.ticks.get(name, 0)
        result[name] = max(delta, 0) * milliseconds_per_tick
    per_label: dict[str, int] = defaultdict(int)
    for pid, (label, ticks) in after.backends.items():
        earlier = before.backends.get(pid)
        per_label[label] += ticks - (earlier[1] if earlier else 0)
    died_earlier_ticks = sum(
        ticks for pid, (_, ticks) in before.backends.items() if pid not in after.backends
    )
    per_label[POSTGRES_OTHER] += (
        after.postmaster_ticks - before.postmaster_ticks - died_earlier_ticks
    )
    for label, ticks in per_label.items():
        result[label] = result.get(label, 0.0) + max(ticks, 0) * milliseconds_per_tick
    return result


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def pss_mib_by_name(snapshot: Snapshot) -> dict[str, float]:
    return {name: sum(pss_kib(pid) for pid in pids) / 1024 for name, pids in snapshot.pids.items()}
