"""Nothing blocks the event loop: every store call runs on the store thread,
and work over all held rows is done in slices that let the loop in."""

from __future__ import annotations

import asyncio
import threading

import msgspec

from tests.support.fakes import UnreachableApi, notifications, offline_controller
from tests.support.serving import confirm, save_cache, take_rows
from tests.support.waiting import wait_for
from tiri_tui.connection.auth import FileTokenStore
from tiri_tui.sync.store import NotificationCache, Outbox


def record_threads(monkeypatch, cls: type, names: list[str], seen: list[tuple[str, str]]) -> None:
    for name in names:
        original = getattr(cls, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            seen.append((_name, threading.current_thread().name))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, spy)


async def test_every_cache_and_outbox_call_runs_off_the_loop(monkeypatch, tmp_path):
    seen: list[tuple[str, str]] = []
    record_threads(monkeypatch, NotificationCache, ["load", "apply", "close"], seen)
    record_threads(monkeypatch, Outbox, ["pending", "add", "attempted", "done", "close"], seen)
    cache = NotificationCache(tmp_path / "cache.sqlite3")
    ctl = offline_controller(tmp_path, cache)
    await ctl.start()
    take_rows(ctl, notifications(50))
    confirm(ctl)
    target = next(n for n in ctl.inbox if not n.is_read)
    ctl.mark_read(target.id)
    await wait_for(lambda: any(name == "attempted" for name, _ in seen), what="a send tried")
    await ctl.aclose()
    loop_thread = threading.current_thread().name
    assert {name for name, _ in seen} >= {"load", "apply", "pending", "add", "attempted"}
    assert [name for name, thread in seen if thread == loop_thread] == []


async def test_a_rotated_token_is_saved_off_the_loop(monkeypatch, server, client):
    seen: list[tuple[str, str]] = []
    record_threads(monkeypatch, FileTokenStore, ["save", "load"], seen)
    await client.auth.access_token(force_refresh=True)
    assert seen and all(thread != threading.current_thread().name for _, thread in seen)


async def test_a_save_after_a_big_load_writes_only_the_rows_the_cache_keeps(monkeypatch, tmp_path):
    written: list[int] = []
    original = NotificationCache.apply

    def counting(self, changed, *args, **kwargs):  # type: ignore[no-untyped-def]
        changed = list(changed)
        written.append(len(changed))
        return original(self, changed, *args, **kwargs)

    monkeypatch.setattr(NotificationCache, "apply", counting)
    cache = NotificationCache(tmp_path / "cache.sqlite3", limit=1000)
    ctl = offline_controller(tmp_path, cache)
    await ctl.start()
    take_rows(ctl, notifications(20_000))
    confirm(ctl)
    await ctl.aclose()  # saves
    assert written == [1000]


async def test_mark_all_read_over_many_rows_lets_the_loop_in():
    ctl = offline_controller()
    take_rows(ctl, notifications(60_000))
    unread = ctl.inbox.unread()
    assert unread > 30_000
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ticking = asyncio.create_task(ticker())
    task = ctl.mark_all_read()
    assert ctl.unread_count == 0  # the badge at once
    await task
    ticking.cancel()
    assert ctl.inbox.unread() == 0
    assert turns > 2, "marking 40,000 rows never yielded to the event loop"
    await ctl.aclose()


async def test_a_disk_that_refuses_an_intent_holds_no_later_one_back(monkeypatch, tmp_path):
    sent: list[str] = []

    class Accepting(UnreachableApi):
        async def mark_read(self, notification_id: str) -> None:
            sent.append(notification_id)

    ctl = offline_controller(tmp_path, api=Accepting())
    await ctl.start()
    take_rows(ctl, notifications(10))
    first, second = [n.id for n in ctl.inbox if not n.is_read][:2]
    original, refused = Outbox.add, {"left": 1}

    def full_disk(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if refused["left"]:
            refused["left"] -= 1
            raise OSError("disk full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Outbox, "add", full_disk)
    ctl.mark_read(first)
    ctl.mark_read(second)
    await wait_for(lambda: sent == [first, second], what="both sent, in order")
    await wait_for(lambda: ctl.outbox.pending_count == 0)
    await ctl.aclose()


async def test_the_cache_shows_a_screenful_first_then_the_rest_without_gaps(monkeypatch, tmp_path):
    """The first paint needs one screenful: it is shown while the rest is still
    being read. Rows with the same timestamp across the boundary are neither
    repeated nor skipped."""

    from tiri_tui.sync.cache_writer import FIRST_SCREEN

    rows = notifications(400)
    tied = rows[0].created_at
    rows = [
        msgspec.structs.replace(n, created_at=tied) if i < 300 else n for i, n in enumerate(rows)
    ]
    cache = NotificationCache(tmp_path / "cache.sqlite3", limit=1000)
    cache.replace(sorted(rows, key=lambda n: n.sort_key, reverse=True), 7)
    cache.close()
    rest_may_load = threading.Event()
    original = NotificationCache.load

    def held_back(self, start=0, count=None):  # type: ignore[no-untyped-def]
        if start > 0:
            rest_may_load.wait(10)
        return original(self, start, count)

    monkeypatch.setattr(NotificationCache, "load", held_back)
    ctl = offline_controller(tmp_path, NotificationCache(tmp_path / "cache.sqlite3"))
    showing = asyncio.create_task(ctl.start())
    try:
        await wait_for(lambda: len(ctl.inbox) == FIRST_SCREEN, what="a screenful shown first")
        assert ctl.unread_count == 7 and ctl.cached
    finally:
        rest_may_load.set()
    await showing
    assert [n.id for n in ctl.inbox] == [
        n.id for n in sorted(rows, key=lambda n: n.sort_key, reverse=True)
    ]
    await ctl.aclose()


async def test_mark_all_read_leaves_no_pile_of_young_rows_for_one_collection():
    """Marking 30,000 read replaces them all, allocating as much as it frees: the
    collector's counter never trips, and the next collection would walk every
    new row at once (a stall of tens of ms). The slices collect as they go."""
    import gc

    from tiri_tui.wire.models import Notification

    ctl = offline_controller()
    take_rows(ctl, notifications(30_000))
    gc.collect()
    gc.freeze()  # as the entry point does after the first load
    try:
        ctl.mark_all_read()
        await wait_for(lambda: ctl.inbox.unread() == 0, what="every row read")
        young = sum(
            isinstance(o, Notification) for generation in (0, 1) for o in gc.get_objects(generation)
        )
        assert young < 1_000, f"{young} new rows left for one collection to walk"
    finally:
        gc.unfreeze()
        await ctl.aclose()


async def test_the_cache_bookkeeping_does_not_grow_with_the_rows_held(tmp_path):
    """Which rows to save is found from the cache's window alone (the newest
    ``limit``): tracking every changed id cost ~4 MB at 100,000 rows."""
    import tracemalloc

    ctl = offline_controller(tmp_path, NotificationCache(tmp_path / "cache.sqlite3", limit=100))
    await ctl.start()
    rows = notifications(20_000)
    tracemalloc.start()
    try:
        take_rows(ctl, rows)
        controller_bytes = sum(
            stat.size
            for stat in tracemalloc.take_snapshot().statistics("filename")
            if stat.traceback[0].filename.endswith("tiri_tui/controller.py")
        )
    finally:
        tracemalloc.stop()
    assert controller_bytes < 100_000, f"{controller_bytes} bytes of bookkeeping"
    await ctl.aclose()


async def test_a_save_writes_only_rows_that_changed_since_the_last(monkeypatch, tmp_path):
    written: list[list[str]] = []
    original = NotificationCache.apply

    def recording(self, changed, *args, **kwargs):  # type: ignore[no-untyped-def]
        changed = list(changed)
        written.append([n.id for n in changed])
        return original(self, changed, *args, **kwargs)

    monkeypatch.setattr(NotificationCache, "apply", recording)
    ctl = offline_controller(tmp_path, NotificationCache(tmp_path / "cache.sqlite3", limit=100))
    await ctl.start()
    confirm(ctl)
    take_rows(ctl, notifications(300))
    await save_cache(ctl)
    assert len(written[-1]) == 100
    target = ctl.inbox[5]
    ctl.mark_read(target.id) if not target.is_read else ctl.mark_unread(target.id)
    await save_cache(ctl)
    assert written[-1] == [target.id]
    await save_cache(ctl)  # nothing changed: nothing written
    assert len(written) == 2
    await ctl.aclose()
