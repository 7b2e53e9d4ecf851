"""Why a figure misses its budget: the analysis behind each miss (evidence in docs/performance.md).

Shown in the results table next to a missed figure. Kept apart from the measuring code
so every explanation is in one place; update it when a cause is fixed.
"""

CAUSES = {
    # register and payment: within budget since the per-car statements are plain SQL compiled once per
    # dialect, the config is read once per call and the receipt is built from the values written
    # (docs/performance.md, causes). Only the look-up's p99 can still miss, on noise:
    "lookup": (
        "Not the booth's work: since the fixes (one query per call, plain SQL compiled once, docs/performance.md) the "
        "look-up is ~0.04 ms against ~0.03 ms (1.3-1.5x at p50). Its p99 of ~190 samples is the third-slowest, so two "
        "or three stalls of 0.2-4 ms on a shared machine decide it; they hit both sides (no garbage collection in "
        "them) and put one side or the other over 3x in some runs. More samples (--n 1000) steady it."
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
