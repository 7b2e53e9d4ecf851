"""The many-booths figures as rows of the results table, and their detail table (bench/run.py shows both)."""

from __future__ import annotations

from .booths import cause

OPS = (("register", "register one vehicle"), ("lookup", "look up open stay by plate + fee"), ("payment", "take a payment"))
PER_CAR_BUDGET = 3.0  # as the SQLite table's per-car rows
THROUGHPUT_BUDGET, P99_BUDGET = 0.5, 2.0


def _ms(v) -> str:
    return "—" if v is None else f"{v:.2f} ms"


def _pair(s: dict) -> str:
    return f"{_ms(s['p50_ms'])} / {_ms(s['p99_ms'])}"


def _errors(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "0"


def rest_cpu_s(side: dict) -> float:
    """CPU seconds the machine spent on other things than the booths and the server during the window."""
    s = side["server"]
    return s["machine_busy_cpu_s"] - side["booth_cpu_s"] - (s["postgres_cpu_s"] or 0.0)


def _quiet(kiosk: dict, base: dict) -> str:
    """A warning when other work took a tenth of the machine or more during either side's window."""
    rest = {name: rest_cpu_s(side) for name, side in (("kiosk", kiosk), ("baseline", base))}
    cap = kiosk["server"]["cpu_capacity_s"] or 1.0
    if max(rest.values()) < 0.1 * cap:
        return ""
    return (f". Machine not quiet: other work took {rest['kiosk']:.1f} CPU-s during the kiosk's window and "
            f"{rest['baseline']:.1f} during the baseline's (of {cap:.1f})")


def rows(b: dict) -> list[dict]:
    out = []
    pc = b["per_car"]
    for key, label in OPS:
        k, base = pc["kiosk"][key], pc["baseline"][key]
        r50, r99 = k["p50_ms"] / base["p50_ms"], k["p99_ms"] / base["p99_ms"]
        out.append({"id": f"pg_{key}", "figure": f"PostgreSQL, one booth: {label} (p50 / p99)", "subject": _pair(k),
                    "baseline": f"psycopg {_pair(base)}", "ratio": f"{r50:.1f}× / {r99:.1f}×", "value": r50,
                    "budget": f"≤ {PER_CAR_BUDGET:g}×", "ok": r50 <= PER_CAR_BUDGET and r99 <= PER_CAR_BUDGET})
    for n, sides in sorted(b["booths"].items(), key=lambda kv: int(kv[0])):
        k, base = sides["kiosk"], sides["baseline"]
        ratio = k["throughput"] / base["throughput"] if base["throughput"] else 0.0
        p99 = {op: k["ops"][op]["p99_ms"] / base["ops"][op]["p99_ms"] for op, _ in OPS
               if k["ops"][op]["p99_ms"] and base["ops"][op]["p99_ms"]}
        worst = max(p99, key=lambda op: p99[op]) if p99 else "register"
        worst_ratio = p99.get(worst, float("inf"))
        errors = sum(k["errors"].values())
        ok = ratio >= THROUGHPUT_BUDGET and worst_ratio <= P99_BUDGET and errors == 0
        out.append({
            "id": "booths", "figure": f"{n} booth process{'es' if n != '1' else ''} on one server: cycles/s "
                                      "(register, look up + fee, pay)",
            "subject": f"{k['throughput']:.0f}/s, p99 {worst} {_ms(k['ops'][worst]['p99_ms'])}, errors {_errors(k['errors'])}",
            "baseline": f"psycopg {base['throughput']:.0f}/s, p99 {_ms(base['ops'][worst]['p99_ms'])}",
            "ratio": f"{ratio:.2f}× / p99 {worst_ratio:.1f}×", "value": ratio,
            "budget": f"≥ {THROUGHPUT_BUDGET:g}×, p99 ≤ {P99_BUDGET:g}×, 0 errors", "ok": ok,
            "measured": cause(int(n), k) + _quiet(k, base)})
    for side in ("kiosk", "baseline"):
        stop = b["stops"].get(side)
        text = (f"after N={stop['after']} ({stop['from']:.0f}/s → {stop['to']:.0f}/s at N={stop['at']})" if stop
                else "still growing at the largest N")
        row = {"id": "booths_growth", "figure": f"where {'the kiosk' if side == 'kiosk' else 'bare psycopg'}'s "
                                                "throughput stops growing",
               "subject": text, "baseline": "—", "ratio": "—", "value": None, "budget": "report", "ok": None}
        if stop:
            row["note"] = f"{side}, N={stop['at']}: {stop['cause']}"
        out.append(row)
    return out


def details(b: dict) -> list[str]:
    lines = [f"Booths on PostgreSQL {b['server']}: site loaded in {b['load_s']:.0f} s "
             f"(of which VACUUM {b.get('vacuum_s', 0):.0f} s; {b['db_bytes'] / 1e9:.2f} GB); "
             f"each side {b['warmup_s']:g} s warm-up then {b['duration_s']:g} s measured; whole step {b['seconds']:.0f} s.",
             "", "| N | side | cycles/s | register p50 / p99 | look up p50 / p99 | payment p50 / p99 | errors (conflicts "
             "retried) | CPU busy | CPU-s booths / server / rest | CPU ms per cycle, booths / server | connections | "
             "active / idle in tx | lock waiters (by table) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, sides in sorted(b["booths"].items(), key=lambda kv: int(kv[0])):
        for side in ("kiosk", "baseline"):
            d = sides[side]
            s = d["server"]
            pg = "?" if s["postgres_cpu_s"] is None else f"{s['postgres_cpu_s']:.1f}"
            rest = rest_cpu_s(d)
            per = max(1, d["cycles"])
            per_cycle = (f"{1000 * d['booth_cpu_s'] / per:.1f} / "
                         + ("?" if s["postgres_cpu_s"] is None else f"{1000 * s['postgres_cpu_s'] / per:.1f}"))
            locks = ", ".join(f"{t} {v:.1f}" for t, v in s["lock_waits_by_table_mean"].items()) or "0"
            lines.append(
                f"| {n} | {side} | {d['throughput']:.0f} | {_pair(d['ops']['register'])} | {_pair(d['ops']['lookup'])} | "
                f"{_pair(d['ops']['payment'])} | {_errors(d['errors'])} ({_errors(d['retried'])}) | "
                f"{s['machine_busy_pct']:.0f}% | {d['booth_cpu_s']:.1f} / {pg} / {rest:.1f} | {per_cycle} | "
                f"{s['connections_mean']:.0f} | "
                f"{s['states_mean'].get('active', 0):.1f} / {s['states_mean'].get('idle in transaction', 0):.1f} | "
                f"{locks} |")
    return lines + [""]
