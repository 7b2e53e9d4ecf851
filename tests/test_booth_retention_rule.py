"""What expiry may purge is defined once (kiosk.booth.retention.expirable); the plain-SQL fast
path, the row-lock path, the partial index and a real run are pinned to it on a fixture that
holds every case: closed, departed, still on site, too new, exactly at the cutoff, a plate
that came back, already purged, under a legal hold (closed, on site, released). Runs on both databases."""

import datetime as dt

import pytest
from dbcheck import is_pg

from kiosk.backends import backend_for
from kiosk.booth import retention
from kiosk.booth.context import Context
from kiosk.booth.sql import Statement, ts
from kiosk.models import Vehicle

PHONE = "07400 123456"
HOURS = 24
HELD, RELEASED = ("HE55LDD", "HS77ITE"), ("RE66LSD",)


def _rich_site(booth, clock):
    """Returns the cutoff of an expiry run at the clock's final time."""
    old = booth.register("PU11RGD", "Pat", PHONE, "car")
    booth.pay(old.stay_id, "cash", "5")
    clock.advance(hours=HOURS, minutes=1)
    assert booth.expire().rows == 1  # already purged before the run under test
    paid = booth.register("AB12CDE", "Jane", PHONE, "car")
    booth.pay(paid.stay_id, "card")
    booth.register("XY34ZZZ", "Jim", PHONE, "car")
    gone = booth.register("GO11NEE", "Ann", PHONE, "van")
    booth.close_departed(gone.stay_id, "left_without_paying")
    back = booth.register("BA22CKK", "Bo", PHONE, "car")  # leaves, then comes back: one open stay
    booth.pay(back.stay_id, "cash", "5")
    twice = booth.register("TW33ICE", "Tia", PHONE, "car")  # leaves twice: every stay closed
    booth.pay(twice.stay_id, "cash", "5")
    for plate in ("HE55LDD", "RE66LSD"):  # closed and held; closed, held, then released
        booth.pay(booth.register(plate, "Hal", PHONE, "car").stay_id, "card")
    booth.register("HS77ITE", "Hal", PHONE, "car")  # on site and held
    clock.advance(minutes=1)
    edge = booth.register("ED44GEE", "Ed", PHONE, "car")  # entered exactly at the cutoff: kept
    booth.pay(edge.stay_id, "card")
    clock.advance(hours=1)
    booth.pay(booth.register("BA22CKK", "Bo", PHONE, "car").stay_id, "card")
    booth.register("BA22CKK", "Bo", PHONE, "car")
    booth.pay(booth.register("TW33ICE", "Tia", PHONE, "car").stay_id, "card")
    new = booth.register("NE55WWW", "Nia", PHONE, "car")  # too new
    booth.pay(new.stay_id, "card")
    for plate in HELD + RELEASED:
        booth.place_hold("dispute", plate=plate)
    for h in booth.holds():
        if Vehicle.get_by_id(h.vehicle_id).number_plate in RELEASED:
            booth.release_hold(h.id)
    clock.advance(hours=HOURS - 1)
    return clock.now().replace(microsecond=0) - dt.timedelta(hours=HOURS)


@pytest.fixture
def site(booth, clock, database):
    cutoff = _rich_site(booth, clock)
    ctx = Context.create(database, clock)
    rule = {r.id for r in retention.expirable(cutoff)}
    purged_before = {v.id for v in Vehicle.select().where(Vehicle.purged_at.is_null(False))}
    assert rule and purged_before and not rule & purged_before
    return ctx, cutoff, rule, purged_before


def test_the_plain_sql_rule_selects_what_the_definition_selects(site, database):
    ctx, cutoff, rule, _ = site
    due = Statement(f"SELECT v.id FROM vehicles AS v WHERE {retention._DUE}")
    assert {r[0] for r in due.rows(database, (ts(cutoff),))} == rule


def test_the_partial_index_holds_every_row_the_rule_may_purge(site, database):
    ctx, cutoff, rule, purged_before = site
    if is_pg(database):
        sql = database.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_vehicles_unpurged_entry'").fetchone()[0]
    else:
        sql = database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'idx_vehicles_unpurged_entry'").fetchone()[0]
    predicate = sql.split(" WHERE ", 1)[1]
    indexed = {r[0] for r in database.execute_sql(f"SELECT id FROM vehicles WHERE {predicate}")}
    assert rule <= indexed and not indexed & purged_before


def test_the_row_lock_path_purges_what_the_definition_selects(site, database):
    ctx, cutoff, rule, _ = site
    with database.atomic() as txn:
        assert retention._expire_batch(ctx, cutoff, 10_000) == len(rule)
        purged = {v.id for v in Vehicle.select().where(Vehicle.purged_at == ctx.now())}
        txn.rollback()
    assert purged == rule


@pytest.mark.parametrize("batch_size", [1, 10_000])
def test_a_run_on_this_database_purges_what_the_definition_selects(site, booth, database, batch_size):
    ctx, cutoff, rule, purged_before = site
    report = booth.expire(batch_size=batch_size)
    assert report.status == "done" and report.rows == len(rule)
    purged = {v.id for v in Vehicle.select().where(Vehicle.purged_at.is_null(False))}
    assert purged - purged_before == rule
    assert ctx.backend is backend_for(database)


def test_the_rule_skips_held_vehicles_and_takes_released_ones(site, database):
    ctx, cutoff, rule, _ = site
    plate_of = {v.id: v.number_plate for v in Vehicle.select()}
    assert not {plate_of[i] for i in rule} & set(HELD) and set(RELEASED) <= {plate_of[i] for i in rule}
    assert retention.held_back(cutoff) == 1  # the closed held one; the one on site is not due anyway
