"""How many rows the expiry/archive worker's next statement and next batch take.

Pinned (a row count given by the caller, or the configuration for a Booth made with
auto_size=False): every batch is exactly that many rows, in one statement.

Otherwise by time, so a fast disk is not held back and a slow one never holds the
write lock for long: the first statement takes the configured batch size
(system_config.expiry_batch_size / archive_batch_size), later ones about CHUNK_MS at
the rate measured so far (a waiting booth waits for at most one: kiosk.backends.intent),
a batch about TARGET_MS; and on SQLite never more rows than would add WAL_FRAMES
pages to the WAL, at the pages per row measured at the last checkpoint
(kiosk.booth.worker_session). A booth connection checkpoints on its own commit once
the WAL holds 1000 pages (SQLite's default), which would stall that registration;
keeping a batch below that, and checkpointing between batches, keeps that work off
the booths. A batch rolled back because a booth interrupted it is followed by
shorter ones (half the time target each time, down to an eighth) until batches get
through again. PostgreSQL batches are one statement of about TARGET_MS.
"""

from __future__ import annotations

TARGET_MS = 20.0  # a batch (one transaction) holds the write lock about this long; the bound is 100 ms
CHUNK_MS = 2.0  # one statement inside a batch: what a booth that starts waiting waits for at most
WAL_FRAMES = 400  # pages one batch may add to the WAL (its commit writes them, while a booth may wait)
MIN_CHUNK = 10
MAX_ROWS = 100_000


class Pace:
    def __init__(self, pinned: int | None = None, start: int = 500):
        self.pinned = pinned
        self.start = max(1, start)
        self.rate: float | None = None  # rows per ms while a statement runs
        self.frames_per_row: float | None = None
        self.largest = pinned or 0  # rows of the largest batch so far (what the run reports)
        self.shrink = 1  # after a batch was interrupted for a booth: 2, 4, ... (time target divided by it)

    def room(self) -> int:
        """Rows a batch may take at most (before the first checkpoint: time alone decides)."""
        if self.pinned:
            return self.pinned
        if self.frames_per_row is None:
            return MAX_ROWS
        return _clamp(WAL_FRAMES / self.frames_per_row, MIN_CHUNK, MAX_ROWS)

    def chunk(self, seen: int) -> int:
        """Rows for the next statement of a batch that has gone through `seen` rows."""
        left = self.room() - seen
        if self.pinned:
            return max(1, left)
        want = self.start if self.rate is None else _clamp(self.rate * CHUNK_MS, MIN_CHUNK, MAX_ROWS)
        return max(1, min(want, left))

    def whole_batch(self) -> int:
        """Rows for a batch that is a single statement (PostgreSQL)."""
        if self.pinned:
            return self.pinned
        return self.start if self.rate is None else _clamp(self.rate * TARGET_MS, MIN_CHUNK, MAX_ROWS)

    def wal_room(self, frames_now: float) -> bool:
        """Would one more batch fit in the WAL's budget on top of `frames_now` pages?"""
        return self.frames_per_row is not None and frames_now + self.room() * self.frames_per_row <= WAL_FRAMES

    def batch_full(self, seen: int, elapsed_s: float) -> bool:
        if seen >= self.room():
            return True
        # Stop when another statement would likely end past the target.
        return not self.pinned and elapsed_s * 1000 + CHUNK_MS > TARGET_MS / self.shrink

    def observe_chunk(self, rows: int, seconds: float) -> None:
        if self.pinned or rows <= 0:
            return
        rate = rows / max(seconds * 1000, 0.01)
        # Smoothed, so one disk stall does not shrink the statements for long, nor one quick one grow them 10x.
        self.rate = rate if self.rate is None else 0.6 * self.rate + 0.4 * rate

    def observe_batch(self, seen: int) -> None:
        self.largest = max(self.largest, seen)
        self.shrink = max(1, self.shrink // 2)

    def interrupted(self) -> None:
        """A batch was rolled back for a booth: the next ones are shorter, so a busy booth does not
        interrupt every one of them; they grow back once batches get through."""
        self.shrink = min(self.shrink * 2, 8)
        if self.rate is None:  # interrupted in the first statement: that one was too long too
            self.start = max(MIN_CHUNK, self.start // 2)


def _clamp(value: float, lo: int, hi: int) -> int:
    return int(max(lo, min(hi, value)))
