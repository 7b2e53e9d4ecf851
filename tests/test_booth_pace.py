"""How the expiry/archive worker sizes statements and batches (kiosk.booth.pace): pure, no clock."""

import pytest

from kiosk.booth import pace
from kiosk.booth.pace import Pace


def test_pinned_batches_are_one_statement_of_exactly_the_size():
    p = Pace(pinned=7)
    assert p.chunk(0) == 7 and p.whole_batch() == 7 and p.room() == 7
    p.observe_chunk(7, 10.0)  # however slow: the size does not move
    assert not p.batch_full(6, 100.0) and p.batch_full(7, 0.0)
    assert p.chunk(0) == 7 and p.largest == 7


def test_the_first_statement_takes_the_configured_size_then_follows_the_rate():
    p = Pace(start=500)
    assert p.chunk(0) == 500 and p.whole_batch() == 500
    p.observe_chunk(500, 0.001)  # 500 rows per ms
    assert p.chunk(500) == int(500 * pace.CHUNK_MS)
    assert p.whole_batch() == min(pace.MAX_ROWS, int(500 * pace.TARGET_MS))
    slow = Pace(start=500)
    slow.observe_chunk(500, 1.0)  # a disk 1000x slower gets statements of the floor size
    assert slow.chunk(0) == pace.MIN_CHUNK


def test_one_stall_does_not_collapse_the_rate():
    p = Pace(start=100)
    p.observe_chunk(100, 0.001)
    p.observe_chunk(100, 0.5)  # one statement stuck on the disk
    assert p.chunk(0) > 0.5 * 100 * pace.CHUNK_MS


def test_a_batch_ends_on_time_before_the_target():
    p = Pace(start=100)
    p.observe_chunk(100, 0.001)
    assert not p.batch_full(100, 0.001)
    assert p.batch_full(100, (pace.TARGET_MS - pace.CHUNK_MS / 2) / 1000)


def test_the_wal_budget_caps_a_batch_once_pages_per_row_are_known():
    p = Pace(start=100)
    assert p.room() == pace.MAX_ROWS  # before the first checkpoint only time decides
    p.frames_per_row = 0.5
    assert p.room() == int(pace.WAL_FRAMES / 0.5)
    assert p.batch_full(p.room(), 0.0)
    p.observe_chunk(10**6, 0.001)  # however fast: a statement never overruns the room left
    assert p.chunk(p.room() - 3) == 3
    assert p.wal_room(0) and not p.wal_room(1)  # a full batch fits an empty WAL only


def test_no_pages_per_row_means_checkpoint_first():
    assert not Pace(start=100).wal_room(0)


@pytest.mark.parametrize("rows, seconds", [(0, 1.0), (-1, 1.0)])
def test_nothing_done_teaches_nothing(rows, seconds):
    p = Pace(start=100)
    p.observe_chunk(rows, seconds)
    assert p.rate is None and p.chunk(0) == 100


def test_after_an_interrupted_batch_the_next_ones_are_shorter_until_they_get_through():
    p = Pace(start=400)
    p.interrupted()  # in the very first statement: that statement shrinks too
    assert p.chunk(0) == 200
    p.observe_chunk(200, 0.001)
    elapsed = (pace.TARGET_MS / 2 - pace.CHUNK_MS) / 1000 + 0.0001
    assert p.batch_full(200, elapsed) and not Pace(start=400).batch_full(200, elapsed)
    for _ in range(10):
        p.interrupted()
    assert p.shrink == 8  # never below an eighth of the target
    p.observe_batch(10)
    p.observe_batch(10)
    p.observe_batch(10)
    assert p.shrink == 1


def test_pinned_batches_ignore_interruptions():
    p = Pace(pinned=50)
    p.interrupted()
    assert p.chunk(0) == 50 and not p.batch_full(49, 10.0)
