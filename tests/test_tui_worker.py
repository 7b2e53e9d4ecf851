"""The background expiry + archive worker inside the app: on demand from Activity, on its timer,
never overlapping, stoppable, failures shown (notification, header alert, Activity) without
ending the app, and entries not held up by a large purge."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from textual.widgets import Static

from kiosk.booth import retention
from kiosk.models import LifecycleRun, Vehicle
from kiosk.tui.app import build_app
from kiosk.tui.lifecycle_worker import LifecycleWorker
from tui_helpers import settle, header
from tui_seed import seed

HOUR = 3600.0  # an interval that never fires during a test: runs are started explicitly



def make_app(target, database, booth, clock, interval=None, jobs=None):
    app = build_app(target, database, "1.5.0", booth=booth, clock=clock, mode="activity", freeze_gc=False,
                    lifecycle_interval=interval)
    if jobs is not None:
        app.lifecycle = LifecycleWorker(app, interval=interval, jobs=jobs)
    return app



def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())



async def wait_until(pilot, condition, rounds: int = 1000):
    """Let the app run until `condition()` holds (the loop must keep turning: never block it)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not reached")


def personal_data_left() -> int:
    return Vehicle.select().where(Vehicle.purged_at.is_null()).count()


async def test_run_now_purges_archives_and_shows_the_counts(target, database, booth, clock):
    seed(booth, clock)
    booth.update_config(archive_days=2)
    clock.advance(hours=72)
    due = booth.expiry_preview(24)
    assert due > 0
    app = make_app(target, database, booth, clock, interval=HOUR)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.lifecycle.armed and "every 60 min · next 13:00" in text_of(app, "#activity-runs-text")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert booth.expiry_preview(24) == 0 and personal_data_left() == 4  # the 4 cars still on site
        expire, archive = (LifecycleRun.get(LifecycleRun.kind == k) for k in ("expire", "archive"))
        assert expire.rows_done == due and archive.rows_done > 0
        runs = text_of(app, "#activity-runs-text")
        assert f"Last expiry   12:00 done · {due} rows" in runs
        assert f"Last archive  12:00 done · {archive.rows_done} rows" in runs
        said = [n.message for n in app._notifications]
        assert f"removed personal data of {due} closed stays, archived {archive.rows_done} audit rows" in said
        assert [r[1] for r in (app.screen.query_one("#activity-audit").get_row_at(0),)] == ["archive"]
        assert app.lifecycle.armed  # the next timed run is armed again


async def test_failure_is_shown_everywhere_the_app_keeps_running_and_a_later_success_clears_it(
        target, database, booth, clock, monkeypatch):
    def broken_expire(*_a, **_kw):
        raise RuntimeError("disk I/O error")

    # The rule itself: the worker runs it through its own Booth (acting as the worker), not `booth`.
    monkeypatch.setattr(retention, "expire", broken_expire)
    app = make_app(target, database, booth, clock, interval=HOUR)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.is_running
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "expiry failed: disk I/O error; trying again in 60 min" in errors[0].message
        assert app.header_info.alert == "expiry/archive run failed at 12:00: expiry failed: disk I/O error"
        assert "! expiry/archive run failed at 12:00" in header(app)
        assert "! expiry/archive run failed" in text_of(app, "#activity-alerts-text")
        assert LifecycleRun.get(LifecycleRun.kind == "archive").status == "done"  # archiving still ran
        assert app.lifecycle.armed  # the next run will try again

        monkeypatch.undo()  # the cause is fixed: the next run succeeds and the alert goes
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert app.lifecycle.status.error == "" and "failed" not in header(app)
        assert text_of(app, "#activity-alerts-text") == "Alerts        none"


async def test_an_unreadable_database_is_a_failed_run_not_a_crash(target, database, booth, clock, monkeypatch):
    def no_connection():
        raise OSError("unable to open database file")

    app = make_app(target, database, booth, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(booth.database, "connection_context", no_connection)
        app.lifecycle.run_now()
        await settle(app, pilot)
        monkeypatch.undo()
        assert app.is_running
        assert "could not open the database: unable to open database file" in app.header_info.alert


async def test_runs_never_overlap_and_the_next_is_armed_only_after_the_last_finished(target, database, booth, clock):
    release, started, seen_stop = threading.Event(), threading.Event(), []

    def slow_expire(booth, progress, should_stop):
        started.set()
        release.wait(30)
        seen_stop.append(should_stop())
        return booth.expire(progress=progress, should_stop=should_stop)

    app = make_app(target, database, booth, clock, interval=HOUR, jobs={"expire": slow_expire})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.lifecycle.armed
        assert app.lifecycle.run_now()
        await wait_until(pilot, started.is_set)
        await pilot.pause()
        assert app.lifecycle.status.running and not app.lifecycle.armed
        assert not app.lifecycle.run_now()  # a second run is refused while one is under way
        await pilot.press("ctrl+r")  # and from the key it says so
        assert any("already under way" in n.message for n in app._notifications)
        assert "expiry under way (on demand)" in text_of(app, "#activity-runs-text")
        release.set()
        await settle(app, pilot)
        assert app.lifecycle.status.runs == 1 and not app.lifecycle.status.running
        assert app.lifecycle.armed and seen_stop == [False]
        assert LifecycleRun.select().count() == 2


async def test_stopping_reaches_the_booth_as_should_stop(target, database, booth, clock):
    release, started, seen_stop = threading.Event(), threading.Event(), []

    def slow_expire(booth, progress, should_stop):
        started.set()
        release.wait(30)
        seen_stop.append(should_stop())
        return booth.expire(progress=progress, should_stop=should_stop)

    app = make_app(target, database, booth, clock, interval=HOUR, jobs={"expire": slow_expire})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.lifecycle.run_now()
        await wait_until(pilot, started.is_set)
        app.lifecycle.stop()  # what the app does on exit
        release.set()
        await wait_until(pilot, lambda: not app.lifecycle.status.running)
        assert seen_stop == [True]
        assert LifecycleRun.get(LifecycleRun.kind == "expire").status == "stopped"
        assert not LifecycleRun.select().where(LifecycleRun.kind == "archive").exists()  # not started
        assert not any(n.severity == "error" for n in app._notifications)


async def test_the_timer_starts_runs_by_itself(target, database, booth, clock):
    app = make_app(target, database, booth, clock, interval=0.01)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.lifecycle.status.runs >= 2)  # the outcome, not a time
        assert app.lifecycle.status.runs >= 2 and app.lifecycle.status.trigger == "timer"
        assert LifecycleRun.select().where(LifecycleRun.kind == "expire").count() >= 2


@pytest.mark.slow
async def test_an_entry_during_a_large_purge_completes(target, database, booth, clock):
    """Registrations from another thread while the worker purges 6,000 vehicles all succeed."""
    old = clock.now() - dt.timedelta(days=3)
    rows = [{"number_plate": f"OLD{i:05d}", "contact_name": "Old Driver", "phone_number": "+447400123456",
             "entry_timestamp": old, "created_at": old, "updated_at": old} for i in range(6000)]
    with database.atomic():
        for i in range(0, len(rows), 500):
            Vehicle.insert_many(rows[i:i + 500]).execute()
    booth.update_config(expiry_batch_size=200)
    done, registered, errors, during = threading.Event(), [], [], []
    first = threading.Event()

    def register_cars():
        with database.connection_context():
            for i in range(30):
                if done.is_set() and i >= 1:
                    break
                try:
                    registered.append(booth.register(f"NEW{i:03d}A", "Jane Doe", "07400 123456", "car"))
                    if not done.is_set():
                        during.append(i)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    errors.append(repr(exc))
                first.set()

    entry_thread = threading.Thread(target=register_cars)

    def expire_with_entries(booth, progress, should_stop):
        def hook(n, total):
            progress(n, total)
            if not entry_thread.is_alive() and not first.is_set():
                entry_thread.start()
                first.wait(30)  # the purge is mid-way: one entry gets through before it goes on
        try:
            return booth.expire(progress=hook, should_stop=should_stop)
        finally:
            done.set()

    app = make_app(target, database, booth, clock, jobs={"expire": expire_with_entries})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.lifecycle.run_now()
        await settle(app, pilot)
        entry_thread.join(60)
        assert errors == [] and len(registered) >= 1 and during
        report = app.lifecycle.status.reports[0]
        assert (report.status, report.rows, report.batches) == ("done", 6000, 30)
        assert Vehicle.select().where(Vehicle.number_plate.startswith("OLD")).count() == 0  # all purged
        assert personal_data_left() == len(registered)  # the new cars, kept
        assert app.is_running and not app.lifecycle.status.error


async def test_the_worker_deletes_the_receipt_files_of_the_stays_it_expires(target, database, booth, clock, tmp_path):
    from kiosk.booth.receipts import write_receipt
    from kiosk.tui.services import booth_services

    services = booth_services(booth, receipts_dir=tmp_path / "booth-receipts", refresh_seconds=HOUR)
    reg = booth.register("AB12CDE", "Jane Doe", "07400 123456", "car")
    path = write_receipt(services.receipts_dir, booth.pay(reg.stay_id, "card"))  # as the Payment screen does
    clock.advance(hours=25)
    app = build_app(target, database, "1.8.0", services=services, clock=clock, mode="activity", freeze_gc=False,
                    lifecycle_interval=HOUR)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert path.exists()
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: not app.lifecycle.status.running and app.lifecycle.status.runs == 1)
        assert not path.exists() and personal_data_left() == 0
