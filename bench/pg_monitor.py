"""What the server and the machine were doing while the booths ran: the cause when throughput stops growing.

Every ~100 ms, from a connection of its own: the booth backends in pg_stat_activity (how many,
active / idle in transaction / idle, what the active ones wait on: CPU when nothing, else
wait_event_type:wait_event), the ones waiting for a lock by the table their statement names, and
pg_locks' ungranted count. Over the whole window: the machine's busy CPU share (/proc/stat) and
the CPU seconds of the server's processes (/proc/PID/stat of the postmaster's children); the
booth processes report their own.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_TABLE = re.compile(r"\b(?:FROM|UPDATE|INTO)\s+\"?(\w+)", re.I)
ACTIVITY = ("SELECT state, wait_event_type, wait_event, left(query, 300) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
WAITING_LOCKS = "SELECT count(*) FROM pg_locks WHERE NOT granted"


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def process_cpu_s(pid: int, reaped: bool = False) -> float:
    """utime + stime of a process; `reaped`: plus its waited-for children's (cutime + cstime)."""
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in parts[11:15 if reaped else 13]) / _TICK


def children_of(ppid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == ppid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


class Monitor:
    def __init__(self, url: str, postmaster_pid: int | None, clients: list[int] = ()):
        """`postmaster_pid`: the server's, to read its processes' CPU time (None: a server elsewhere)."""
        import psycopg

        self.con = psycopg.connect(url, autocommit=True, application_name="bench-monitor")
        self.postmaster = postmaster_pid
        self.clients = list(clients)
        self.samples = 0
        self.states: Counter[str] = Counter()
        self.waits: Counter[str] = Counter()
        self.lock_tables: Counter[str] = Counter()
        self.locks_waiting = 0
        self.connections: list[int] = []

    def begin(self) -> None:
        self._ticks = machine_ticks()
        self._pg_cpu = self._server_cpu()
        self._client_cpu = self._clients_cpu()
        self._t0 = time.monotonic()

    def _clients_cpu(self) -> float:
        return sum(process_cpu_s(pid) for pid in self.clients)

    def _server_cpu(self) -> float:
        """The server's CPU seconds so far: the postmaster with every child it has reaped, plus the
        live children. A backend or autovacuum worker that ends inside the window moves from the
        second term to the first, so the difference of two readings is the window's, pid reuse or not."""
        if self.postmaster is None:
            return 0.0
        return process_cpu_s(self.postmaster, reaped=True) + sum(process_cpu_s(p) for p in children_of(self.postmaster))

    def sample(self) -> None:
        rows = self.con.execute(ACTIVITY).fetchall()
        self.samples += 1
        self.connections.append(len(rows))
        for state, wtype, event, query in rows:
            self.states[state or "unknown"] += 1
            if state == "active":
                self.waits["CPU" if wtype is None else f"{wtype}:{event}"] += 1
                if wtype == "Lock":
                    m = _TABLE.search(query or "")
                    self.lock_tables[m.group(1) if m else "?"] += 1
        self.locks_waiting += self.con.execute(WAITING_LOCKS).fetchone()[0]

    def run_until(self, end: float, every_s: float = 0.1) -> None:
        """Sample until `end`, then read the CPU times (the booths stay connected until told to close)."""
        while time.monotonic() < end:
            t = time.monotonic()
            self.sample()
            time.sleep(max(0.0, min(every_s - (time.monotonic() - t), end - time.monotonic())))
        self._end = (machine_ticks(), time.monotonic(), self._server_cpu(), self._clients_cpu())

    def finish(self) -> dict:
        busy0, total0 = self._ticks
        (busy1, total1), t1, now, clients = self._end
        wall = t1 - self._t0
        pg_cpu = now - self._pg_cpu
        n = max(1, self.samples)
        self.con.close()
        return {
            "samples": self.samples,
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * (busy1 - busy0) / max(1, total1 - total0), 1),
            "cpu_capacity_s": round((total1 - total0) / _TICK, 2),  # the same jiffies as busy, so never below it
            "machine_busy_cpu_s": round((busy1 - busy0) / _TICK, 2),
            "postgres_cpu_s": round(pg_cpu, 2) if self.postmaster is not None else None,
            "clients_cpu_s": round(clients - self._client_cpu, 2),
            "connections_mean": round(sum(self.connections) / n, 1),
            "connections_max": max(self.connections, default=0),
            "states_mean": {k: round(v / n, 2) for k, v in self.states.most_common()},
            "waits_mean": {k: round(v / n, 2) for k, v in self.waits.most_common(8) if v / n >= 0.005},
            "lock_waits_by_table_mean": {k: round(v / n, 2) for k, v in self.lock_tables.most_common()},
            "locks_waiting_mean": round(self.locks_waiting / n, 2),
        }
