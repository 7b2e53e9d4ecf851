"""Why a figure misses its budget: the analysis behind each miss (evidence in docs/performance.md).

Shown in the results table next to a missed figure. Kept apart from the measuring code
so every explanation is in one place; update it when a cause is fixed.
"""

CAUSES = {
    "register": (
        "Python in the booth layer, not the database: the SQL is the baseline's plus two config reads, all on indexes "
        "(EXPLAIN table). cProfile of 100 registrations: peewee building SQL text is ~58% of the time (13 statements, "
        "~0.3 ms each), sqlite3 execute ~12%, the commit ~8%, ctx.config_row() read twice per car (phone region, "
        "audit booth name) ~16%. Fixed here: the look-alike check scanned every open stay in Python (76 ms per car at "
        "1/10 size, growing with the cars on site); it now looks the few O/0-I/1 variants up on the plate index. Not "
        "fixed (not small): compile the hot statements once, or read the config row once per transaction."
    ),
    "lookup": (
        "The baseline is one indexed SELECT (~0.05 ms); the booth runs 4 peewee queries (open stay by plate, config row "
        "for the overstay flag, the stay by id, the rate) at ~0.3 ms of SQL building each. All use indexes. Fixed here: "
        "the overstay flag read every rate too (read_config); it now reads the config row only. The ratio stays high "
        "because the baseline is tiny; in absolute terms a look-up is ~1-2 ms."
    ),
    "payment": (
        "As for register: ~9 peewee statements plus the receipt rebuilt by re-reading the payment, stay and vehicle "
        "(3 more queries after the writes). Fixed here: the receipt no longer reads every rate. Not fixed: return the "
        "receipt from the values just written instead of re-reading them."
    ),
    "expiry": (
        "Fixed in the lifecycle rework (docs/performance.md, causes): batches sized by time (~20 ms) with no fsync "
        "per batch on the worker's connection, its own checkpoints only when the WAL needs room, purges in id order "
        "from one read of the candidates, schema 1.7.0 without the duplicate plate index. At 1/10 size the whole run is "
        "~15-20 ms against the plan's 11-17 ms DELETE, so a miss there is fixed overhead (config reads, the candidate "
        "list, two commits) or a disk stall; at full size look at the number of batches (capped at 400 WAL pages each)."
    ),
    "archive": (
        "Fixed in the lifecycle rework: time-sized batches without an fsync each, oldest first on "
        "idx_audit_logs_timestamp (the old last batch scanned every recent audit row). A miss now means a slow disk: "
        "the batches are capped at ~20 ms and 400 WAL pages by design (the 100 ms bound and booths first)."
    ),
    "schema": "the runner adds per-version bookkeeping (history row, lock, foreign_key_check before each commit).",
    "tui_start": (
        "~0.7 s idle waiting for the workers started at mount (spot feed, maintenance alerts check), ~0.55 s of "
        "imports the minimal app lacks (kiosk.maintenance.alerts/backup, peewee importing psycopg, kiosk.booth), "
        "~0.3 s CSS parsing; not database size (see docs/performance.md)."
    ),
    "map_open": "spot-map widget work on a database of this size (the map screen belongs to issue 6).",
    "map_move": (
        "scrolling repaints the whole visible map, and the 3-s spot feed refresh (10,000 spots) most likely lands "
        "on some keys: spot-map widget and feed (issue 6); per-key breakdown in latest.json."
    ),
    "during": (
        "Booths announce themselves on <db>.intent and the worker hands the lock over within a fraction of a "
        "millisecond (it interrupts the statement under way; docs/performance.md). What is left: the booth's own "
        "commit fsyncs the worker's unsynced WAL pages, and on 2 cores the worker competes with it for the CPU. At "
        "1/10 size p99 is the worst of a few dozen registrations, so one scheduling hiccup of a shared machine decides it."
    ),
}
