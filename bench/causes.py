"""Why a figure misses its budget: the analysis behind each miss (evidence in docs/performance.md).

Shown in the results table next to a missed figure. Kept apart from the measuring code
so every explanation is in one place; update it when a cause is fixed.
"""

CAUSES = {
    # register and payment: within budget (the per-car statements are plain SQL compiled once per
    # dialect, the config is read once per call, the receipt is built from the values written;
    # docs/performance.md, causes). Only the look-up's p99 can miss, on noise:
    "lookup": (
        "Not the booth's work: with one query per call and plain SQL compiled once (docs/performance.md) the "
        "look-up is ~0.04 ms against ~0.03 ms (1.3-1.5x at p50). Its p99 of ~190 samples is the third-slowest, so two "
        "or three stalls of 0.2-4 ms on a shared machine decide it; they hit both sides (no garbage collection in "
        "them) and put one side or the other over 3x in some runs. More samples (--n 1000) steady it."
    ),
    "expiry": (
        "By design (docs/performance.md, causes): batches sized by time (~20 ms) with no fsync "
        "per batch on the worker's connection, its own checkpoints only when the WAL needs room, purges in id order "
        "from one read of the candidates, schema 1.7.0 without the duplicate plate index. At 1/10 size the whole run is "
        "~15-20 ms against the plan's 11-17 ms DELETE, so a miss there is fixed overhead (config reads, the candidate "
        "list, two commits) or a disk stall; at full size look at the number of batches (capped at 400 WAL pages each)."
    ),
    "archive": (
        "Time-sized batches without an fsync each, oldest first on idx_audit_logs_timestamp (no batch scans the "
        "recent audit rows). A miss means a slow disk: "
        "the batches are capped at ~20 ms and 400 WAL pages by design (the 100 ms bound and booths first)."
    ),
    "window": (
        "Measured (docs/performance.md, \"The maintenance window\"): the run is bounded by SQLite's check of the "
        "20-million-row archive table (integrity_check(audit_logs_archive): ~20 s of one core, one SQLite call that "
        "cannot be split) while the byte copy, its fsync and comparison, the other tables' checks and the page "
        "accounting share the other core; validation after the change is ~5-7 s (the page comparison with the "
        "backup and the walk of every page). `cp` copies into the page cache without an fsync (3-17 s for the same "
        "5.5 GB, depending on how much the kernel writes back meanwhile); against the durable copy (cp + fsync) the "
        "ratio is shown beside it. No check was dropped to gain time."
    ),
    "schema": "the runner adds per-version bookkeeping (history row, lock, foreign_key_check before each commit).",
    "tui_start": (
        "Where the time goes (docs/performance.md): Textual building the Entry screen (four inputs, a select, "
        "a header, a ten-key footer: ~250 ms of CPU against the minimal app's ~40) and the booth layer's module bodies "
        "(~40 ms). Off the start-up path: psycopg on a SQLite booth (.venv without the driver), the maintenance "
        "commands, peewee-migrate and phonenumbers; no GC during the imports, the first spot read done "
        "while the terminal is built (the first frame is the usable one), screens imported when first shown, one CSS "
        "parse for the theme, one footer rebuild. At full size the first read (10,000 cells, ~50 ms) is on the path."
    ),
    "tui_memory": (
        "Measured stage by stage (`python -m bench.ui_child memory DB`; docs/performance.md, TUI peak memory): the "
        "kiosk's libraries and layers (peewee + sqlite3 ~3.5 MB, click + CLI ~1.8, argon2 + kiosk.booth ~3.4, the rest "
        "~2), 10,000 spots read and held (~7 MB at full size, ~1 at 1/10), the spot map's and Entry's widgets (~5 MB "
        "each), and the background the app starts at once: the maintenance alerts check ~5 MB (its schema-drift check "
        "alone 3-3.5: it builds the expected schema with peewee-migrate in a scratch database), phone rules and the "
        "large type ~1-3. No database page is memory-mapped and SQLite's own heap stays under ~2 MB. 1.5x (~50 MB) "
        "needs ~18 MB less: the drift check out of the terminal (ship each version's expected catalog), the booth layer "
        "split per screen, a packed spot store instead of one object per spot, each a change of its own. A sign-in's "
        "Argon2id hash adds 64 MiB while it runs (RFC 9106's profile): a security setting, reported apart."
    ),
    "map_open": (
        "Opening builds the map's layout for every spot and draws the first screenful; the first spot read (one packed "
        "string, ~35-50 ms of Python at 10,000 spots) is done while the terminal is built (docs/performance.md)."
    ),
    "map_move": (
        "A scroll frame is ~4 ms of Textual rendering plus ~2 ms of key handling; refreshes hand the map only changed "
        "spots, lines come from a per-line cache, full collections wait until nobody types. A p99 over budget comes "
        "from young-generation collections and other processes on the machine; per-key breakdown in latest.json."
    ),
    "pg_register": (
        "One booth on PostgreSQL: ~28 round trips per cycle on both sides (the same statements), so the ratio is the "
        "kiosk's Python per statement (peewee's execute_sql, validation, the guard, result objects: ~1 ms of CPU per "
        "cycle over bare psycopg). A miss at p99 with p50 in budget is the machine's noise on ~200 samples."
    ),
    "pg_lookup": "Two indexed SELECTs on both sides; a p99 miss on ~200 samples of ~0.3 ms is the machine's noise.",
    "pg_payment": (
        "The same 13 statements on both sides; a miss is the kiosk's Python per statement (see pg_register) or, at p99 "
        "only, the machine's noise."
    ),
    "booths": (
        "Measured below: on 2 cores the booths and the server share the CPU, so from 4 booths on the machine is 100% "
        "busy and each side's throughput is the CPU divided by its CPU per cycle; the kiosk's booth process spends "
        "~1 ms more per cycle than bare psycopg (peewee, validation, the guard, result objects), and the CPU per cycle "
        "of both grows with N (context switches of N processes). A miss with CPU saturated and lock waiters near 0 is "
        "that; a large 'rest' in the detail table is other work on the machine (rerun on a quiet machine)."
    ),
    "during": (
        "Booths announce themselves on <db>.intent and the worker hands the lock over within a fraction of a "
        "millisecond (it interrupts the statement under way; docs/performance.md). What is left: the booth's own "
        "commit fsyncs the worker's unsynced WAL pages, and on 2 cores the worker competes with it for the CPU. At "
        "1/10 size p99 is the worst of a few dozen registrations, so one scheduling hiccup of a shared machine decides it."
    ),
}
