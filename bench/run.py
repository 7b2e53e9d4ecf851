"""The benchmark suite: every figure (docs/performance.md) as a ratio against a baseline measured in the same run.

    make bench                      # = .venv/bin/python -m bench.run
    python -m bench.run --scales 0.1          # quicker: the 1/10 site only
    python -m bench.run --scales 0.01 --out /tmp/r   # a smoke run
    python -m bench.run --only oltp,during --no-explain   # some figures only (results in bench/data/results)
    python -m bench.run --only booths --scales 0.1        # many booths on one PostgreSQL server only

Generates (or reuses) the sites under bench/data/, measures each figure at every
scale (each baseline and subject on its own copy), prints the table, and writes
bench/results/latest.md and latest.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

from . import booths, booths_report, lifecycle, oltp, plans, schema_bench, window
from .causes import CAUSES
from .common import Copy, Sample, log, machine_info
from .generate import cached_site

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _ui(site: Path, reps: int) -> dict:
    """TUI start vs a minimal Textual app, each in fresh processes, alternating; then the spot map."""
    out = {"kiosk": Sample(), "minimal": Sample(), "rss_first_screen_mb": 0.0, "minimal_rss_mb": 0.0}
    with Copy(site, "ui") as path:
        for _ in range(reps):
            for side in ("minimal", "kiosk"):
                args = ["start", str(path)] if side == "kiosk" else ["minimal"]
                t0 = time.time()
                proc = subprocess.run([sys.executable, "-m", "bench.ui_child", *args, repr(t0)], capture_output=True,
                                      text=True, cwd=HERE.parent, timeout=300)
                if proc.returncode != 0:
                    raise RuntimeError(f"ui_child {side} failed: {proc.stderr.strip()[-800:]}")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                out[side].add(res["startup_s"])
                key = "rss_first_screen_mb" if side == "kiosk" else "minimal_rss_mb"
                out[key] = max(out[key], res["rss_first_screen_mb"])
        for key, extra in (("memory", []), ("memory_trace", ["--trace"])):  # where the peak goes; Python's share
            proc = subprocess.run([sys.executable, "-m", "bench.ui_child", "memory", str(path), *extra],
                                  capture_output=True, text=True, cwd=HERE.parent, timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(f"ui_child memory failed: {proc.stderr.strip()[-800:]}")
            out[key] = json.loads(proc.stdout.strip().splitlines()[-1])
        proc = subprocess.run([sys.executable, "-m", "bench.ui_child", "map", str(path)], capture_output=True, text=True,
                              cwd=HERE.parent, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"ui_child map failed: {proc.stderr.strip()[-800:]}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
    times = res["results_s"]
    out["map_spots"] = res["spots"]
    out["map_open_s"] = times.pop("open")[0]
    out["map_keys"] = {label: Sample(v) for label, v in times.items()}
    out["map_rss_mb"] = res["rss_mb"]
    log(f"  TUI start p50 {out['kiosk'].p50:.2f} s vs minimal {out['minimal'].p50:.2f} s; map open {out['map_open_s']:.3f} s")
    return out


STEPS = ("oltp", "expiry", "archive", "schema", "window", "ui", "during", "booths")


def measure_scale(scale: float, n: int, ui_reps: int, only: tuple[str, ...] = STEPS, booth_opts: dict | None = None) -> dict:
    site, meta = cached_site(scale, log=log)
    v100, meta100 = cached_site(scale, v100=True, log=log)
    log(f"scale {scale:g}: {site} ({meta['size_bytes'] / 1e9:.2f} GB)")
    r: dict = {"scale": scale, "site": meta, "site_v100": meta100}
    t0 = time.perf_counter()
    steps = {
        "oltp": lambda: oltp.measure(site, n),
        "expiry": lambda: lifecycle.expiry(site, meta),
        "archive": lambda: lifecycle.archive(site),
        "schema": lambda: schema_bench.measure(v100),
        "window": lambda: window.measure(site),
        "ui": lambda: _ui(site, ui_reps),
        "during": lambda: lifecycle.register_during_expiry(site, meta, n_alone=max(50, n)),
        # its own PostgreSQL server, loaded with the same site at this scale (bench/booths.py)
        "booths": lambda: booths.step(scale, n, **(booth_opts or {})),
    }
    r["step_seconds"] = {}
    for name, fn in steps.items():
        if name not in only:
            continue
        gc.collect()  # nothing left over from the previous figure is collected inside this one
        t1 = time.perf_counter()
        r[name] = fn()
        r["step_seconds"][name] = round(time.perf_counter() - t1, 1)
        log(f"  [{name}: {r['step_seconds'][name]} s]")
    r["seconds"] = round(time.perf_counter() - t0, 1)
    return r


# --------------------------------------------------------------------------- figures
def _fmt_ms(s: float) -> str:
    return f"{s * 1000:.2f} ms" if s < 1 else f"{s:.2f} s"


def figures(r: dict) -> list[dict]:
    """One row per figure: what, subject, baseline, ratio, budget, verdict."""
    rows = []
    o = r.get("oltp")
    for key, label in (("register", "register one vehicle"), ("lookup", "look up open stay by plate + fee"),
                       ("payment", "take a payment")) if o else ():
        k, b = o["kiosk"][key], o["baseline"][key]
        r50, r99 = k.p50 / b.p50, k.p99 / b.p99
        rows.append({"id": key, "figure": f"{label} (p50 / p99)",
                     "subject": f"{_fmt_ms(k.p50)} / {_fmt_ms(k.p99)}", "baseline": f"{_fmt_ms(b.p50)} / {_fmt_ms(b.p99)}",
                     "ratio": f"{r50:.1f}× / {r99:.1f}×", "value": r50, "budget": "≤ 3×", "ok": r50 <= 3 and r99 <= 3})
    for key, label in (("expiry", "expiry of closed stays"), ("archive", "archive of old audit rows")):
        if key not in r:
            continue
        k, b = r[key]["kiosk"], r[key]["baseline"]
        ratio = k["rows_per_s"] / b["rows_per_s"]
        rows.append({"id": key, "figure": f"{label} ({k['rows']:,} rows, batches of {k['batch_size']})",
                     "subject": f"{k['rows_per_s']:,.0f} rows/s, longest tx {k['longest_tx_ms']:.0f} ms",
                     "baseline": f"{b['rows_per_s']:,.0f} rows/s ({b['rows']:,} rows), one tx {b['longest_tx_ms']:.0f} ms",
                     "ratio": f"{ratio:.2f}×", "value": ratio, "budget": "≥ 0.5×, tx ≤ 100 ms",
                     "ok": ratio >= 0.5 and k["longest_tx_ms"] <= 100})
    s = r.get("schema")
    if s:
        ratio = s["kiosk"]["total_s"] / s["baseline"]["total_s"]
        rows.append({"id": "schema", "figure": f"migrate {s['from']} → {s['to']} and roll back (schema work)",
                     "subject": f"{_fmt_ms(s['kiosk']['migrate_s'])} + {_fmt_ms(s['kiosk']['rollback_s'])}",
                     "baseline": f"{_fmt_ms(s['baseline']['migrate_s'])} + {_fmt_ms(s['baseline']['rollback_s'])}",
                     "ratio": f"{ratio:.2f}×", "value": ratio, "budget": "≤ 1.5×", "ok": ratio <= 1.5})
    if r.get("window"):
        w = r["window"]
        rows.append({"id": "window", "figure": f"maintenance window: whole `kiosk --maintenance migrate` {w['from']} → {w['to']}",
                     "subject": w["subject"], "baseline": w["baseline"], "ratio": f"{w['ratio']:.2f}×",
                     "value": w["ratio"], "budget": "≤ 3×", "ok": w["ratio"] <= 3})
    if "ui" in r:
        rows += _ui_rows(r["ui"])
    if "during" in r:
        rows.append(_during_row(r["during"]))
    if "booths" in r:
        rows += booths_report.rows(r["booths"])
        wp = r["booths"].get("window_pg")
        if wp and "error" in wp:
            rows.append({"id": "window_pg", "figure": "maintenance window on PostgreSQL", "subject": "failed",
                         "baseline": "—", "ratio": "—", "value": None, "budget": "report", "ok": False,
                         "measured": wp["error"]})
        elif wp:
            rows.append({"id": "window_pg", "figure": f"maintenance window on PostgreSQL: whole `kiosk --maintenance migrate` "
                         f"{wp['from']} → {wp['to']}", "subject": wp["subject"], "baseline": wp["baseline"],
                         "ratio": f"{wp['ratio']:.2f}×", "value": wp["ratio"], "budget": "report", "ok": None})
    for row in rows:
        if row["ok"] is False:
            measured = f" Measured: {row['measured']}." if row.get("measured") else ""
            row["note"] = CAUSES.get(row["id"], "cause not analysed") + measured
        if row.get("detail"):
            row["note"] = f"{row.get('note', '')} {row['detail']}".strip()
    return rows


def _ui_rows(u: dict) -> list[dict]:
    rows = []
    ratio = u["kiosk"].p50 / u["minimal"].p50
    rows.append({"id": "tui_start", "figure": "TUI start → first usable screen (p50 / p99)",
                 "subject": f"{_fmt_ms(u['kiosk'].p50)} / {_fmt_ms(u['kiosk'].p99)}, {u['rss_first_screen_mb']:.0f} MB",
                 "baseline": f"{_fmt_ms(u['minimal'].p50)} / {_fmt_ms(u['minimal'].p99)}, {u.get('minimal_rss_mb', 0):.0f} MB",
                 "ratio": f"{ratio:.2f}×", "value": ratio, "budget": "≤ 2×", "ok": ratio <= 2})
    if "memory" in u:
        rows.append(_memory_row(u))
    rows.append({"id": "map_open", "figure": f"spot map, {u['map_spots']:,} spots: open", "subject": _fmt_ms(u["map_open_s"]),
                 "baseline": "—", "ratio": "—", "value": u["map_open_s"], "budget": "≤ 0.5 s", "ok": u["map_open_s"] <= 0.5})
    moves = Sample([v for label, s in u["map_keys"].items() if label.startswith("arrow") for v in s.values])
    rows.append({"id": "map_move", "figure": "spot map: one arrow-key move (p50 / p99)",
                 "subject": f"{_fmt_ms(moves.p50)} / {_fmt_ms(moves.p99)}", "baseline": "—", "ratio": "—",
                 "value": moves.p99, "budget": "≤ 16 ms", "ok": moves.p99 <= 0.016})
    return rows


def _memory_row(u: dict) -> dict:
    """Peak RSS of the terminal signed in, spot map and Entry open, against the minimal app's; the note says
    where it goes (ui_child memory: each stage's growth) and what Argon2id's PIN hash adds while it runs."""
    m, base = u["memory"], u["minimal_rss_mb"]
    ratio = m["peak_mb"] / base
    st = m["stages"]
    growth = [f"{b['stage']} +{b['rss_mb'] - a['rss_mb']:.1f}" for a, b in zip(st, st[1:])
              if not b["stage"].startswith("first manager") and b["rss_mb"] - a["rss_mb"] >= 0.5]
    py = u.get("memory_trace", {}).get("python", {})
    note = (f"Breakdown (MB of RSS after each stage, ui_child memory): {'; '.join(growth)}. Each sign-in hashes the PIN "
            f"with Argon2id: +{m['argon2_mb']:.0f} MB for the hash's duration (peak then {m['argon2_hwm_mb']:.0f} MB), not "
            "counted above. " + (f"Live Python objects {py['total_mb']:.0f} MB (by package: "
                                 + ", ".join(f"{k} {v:.1f}" for k, v in list(py["by_package_mb"].items())[:6]) + ")."
                                 if py else ""))
    return {"id": "tui_memory", "figure": "TUI peak memory, signed in, spot map and Entry open (VmHWM)",
            "subject": f"{m['peak_mb']:.0f} MB (+{m['argon2_mb']:.0f} MB during a PIN hash)",
            "baseline": f"minimal app {base:.0f} MB", "ratio": f"{ratio:.2f}×", "value": ratio, "budget": "≤ 1.5×",
            "ok": ratio <= 1.5, "detail": note}


def _during_row(d: dict) -> dict:
    ratio = d["during"].p99 / d["alone"].p99
    return {"id": "during", "figure": "register during `kiosk --maintenance expire` (p50 / p99)",
            "subject": f"{_fmt_ms(d['during'].p50)} / {_fmt_ms(d['during'].p99)} (n={len(d['during'].values)})",
            "baseline": f"alone {_fmt_ms(d['alone'].p50)} / {_fmt_ms(d['alone'].p99)}",
            "ratio": f"{ratio:.2f}× (p99)", "value": ratio, "budget": "p99 ≤ 2×", "ok": ratio <= 2}


def verdict(ok) -> str:
    return {True: "ok", False: "MISSED", None: "report"}[ok]


def markdown(results: list[dict], machine: dict, explain: list[dict], total_s: float) -> str:
    big = results[-1]
    lines = [f"# Benchmark results ({machine['when_utc']} UTC)", "",
             f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM; {machine['os']}; "
             f"Python {machine['python']}, SQLite {machine['sqlite_module']} (module) / {machine['sqlite_shell']} (shell), "
             f"Textual {machine['textual']}, peewee {machine['peewee']}. Whole run: {total_s / 60:.1f} min.", ""]
    for r in results:
        c = r["site"]["counts"]
        lines += [f"## Scale {r['scale']:g}: {c['spots']:,} spots, {c['vehicles']:,} vehicles, {c['payments']:,} payments, "
                  f"{c['audit']:,} audit rows, {c['archive']:,} archived "
                  f"({r['site']['size_bytes'] / 1e9:.2f} GB, generated in {r['site']['seconds']} s)", "",
                  "| figure | kiosk | baseline | ratio | budget | verdict |", "|---|---|---|---|---|---|"]
        for row in figures(r):
            lines.append(f"| {row['figure']} | {row['subject']} | {row['baseline']} | {row['ratio']} | {row['budget']} | "
                         f"{verdict(row['ok'])} |")
        notes = [f"- **{row['id']}**: {row['note']}" for row in figures(r) if row.get("note")]
        if notes:
            lines += ["", "Misses and notes:", ""] + notes
        lines.append("")
        if "booths" in r:
            lines += booths_report.details(r["booths"])
    if len(results) > 1:
        small = results[0]
        lines += [f"## Growth from scale {small['scale']:g} to {big['scale']:g}", "",
                  "| figure | small | large | large / small |", "|---|---|---|---|"]
        for a, b in zip(figures(small), figures(big)):
            if a["value"] and b["value"]:
                lines.append(f"| {a['figure']} | {a['subject']} | {b['subject']} | "
                             f"ratio {a['ratio']} → {b['ratio']} |")
        lines.append("")
    if explain:
        lines += ["## EXPLAIN QUERY PLAN of the hot queries (largest scale)", "",
                  "| operation | verdict | plan | query |", "|---|---|---|---|"]
    for e in explain:
        sql = " ".join(e["sql"].split())
        lines.append(f"| {e['operation']} | {'ok' if e['ok'] else 'FAIL'}: {e['verdict']} | "
                     f"{' / '.join(e['plan'])} | `{sql[:160]}{'…' if len(sql) > 160 else ''}` |")
    return "\n".join(lines) + "\n"


def _jsonable(obj):
    if isinstance(obj, Sample):
        return obj.ms()
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.1,1", help="comma-separated site scales, smallest first (default 0.1,1)")
    parser.add_argument("--n", type=int, default=200, help="repetitions of each per-car figure (default 200)")
    parser.add_argument("--ui-reps", type=int, default=9,
                        help="process starts per side for the TUI figure, alternating with the baseline (default 9)")
    parser.add_argument("--out", type=Path, help="where latest.md/latest.json go (default: bench/results for a full "
                        "run, bench/data/results for a partial one, so the committed results stay whole)")
    parser.add_argument("--only", default=",".join(STEPS),
                        help=f"comma-separated figures to measure (default all: {','.join(STEPS)})")
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAIN QUERY PLAN table")
    parser.add_argument("--booths", default=",".join(map(str, booths.NS)),
                        help="booth process counts of the booths figure (default 1,4,16,64)")
    parser.add_argument("--booth-seconds", type=float, default=10.0,
                        help="measured seconds per side and booth count, after a 2 s warm-up (default 10)")
    args = parser.parse_args(argv)
    scales = sorted(float(s) for s in args.scales.split(","))
    only = tuple(x.strip() for x in args.only.split(",") if x.strip())
    unknown = sorted(set(only) - set(STEPS))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}: choose from {', '.join(STEPS)}")
    try:
        booth_opts = {"ns": tuple(int(x) for x in args.booths.split(",")), "duration": args.booth_seconds}
    except ValueError:
        parser.error(f"--booths takes comma-separated process counts, e.g. 1,4,16,64 (got {args.booths!r})")
    if any(not 1 <= x <= 150 for x in booth_opts["ns"]) or not 0 < args.booth_seconds <= 600:
        parser.error("--booths: each count 1-150; --booth-seconds: above 0, at most 600")
    if args.out is None:
        args.out = RESULTS if set(only) == set(STEPS) else HERE / "data" / "results"
    t0 = time.perf_counter()
    machine = machine_info()
    results = []
    args.out.mkdir(parents=True, exist_ok=True)
    for s in scales:
        results.append(measure_scale(s, args.n, args.ui_reps, only, booth_opts))
        # kept as we go: a run stopped later still leaves what it measured
        (args.out / "partial.json").write_text(json.dumps(_jsonable(results), indent=2, default=str))
    log("EXPLAIN QUERY PLAN of the hot queries")
    explain = [] if args.no_explain else plans.explain_all(cached_site(scales[-1], log=log)[0])
    total = time.perf_counter() - t0
    md = markdown(results, machine, explain, total)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(md)
    data = {"machine": machine, "seconds": round(total, 1),
            "scales": [{**_jsonable(r), "figures": figures(r)} for r in results], "explain": explain}
    (args.out / "latest.json").write_text(json.dumps(data, indent=2, default=str))
    (args.out / "partial.json").unlink(missing_ok=True)
    print(md)
    failed = [e for e in explain if not e["ok"]]
    if failed:
        log(f"{len(failed)} hot queries do not use an index: see the EXPLAIN table")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
