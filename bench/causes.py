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
        "The plan's DELETE is one statement and one commit; the booth works in batches (configured 500 rows) with a "
        "commit, a WAL checkpoint and a pause of half the batch time between batches so booths get the write lock "
        "(kiosk.booth.lifecycle). The batch statements use indexes. Fixed here: each batch picked its rows with "
        "ORDER BY id, which walked every vehicle from id 1 again (quadratic); it now follows idx_vehicles_unpurged_entry."
    ),
    "archive": (
        "Same shape as expiry: 1,000-row batches, each a commit + checkpoint + pause, against one INSERT ... SELECT and "
        "one DELETE (the plan's run holds the database for seconds: see its one-transaction time). Larger batches "
        "(system_config.archive_batch_size) raise rows/s but lengthen every transaction; the 100 ms bound and "
        "'booths keep registering' win over rows/s by design."
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
        "A registration that arrives while a batch holds the write lock waits for the rest of that batch (tens of ms) "
        "before its own ~5-10 ms; p99 therefore tracks the batch time, not the register time. Smaller batches shorten "
        "the wait but lower the expiry/archive rows/s (the two budgets pull in opposite directions). Before the fair "
        "write lock merged from issue 5, a registration could starve for over 2 s (3 cars got through a 3.5 s run)."
    ),
}
