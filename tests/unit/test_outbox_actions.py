"""What the outbox replays is one of its known actions; anything else on disk waits there."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from tests.support.clock import FakeClock
from tests.support.outbox import RecordingApi, Tasks, make_sync, run_now
from tests.support.waiting import wait_for
from tiri_tui.sync.store import Outbox
from tiri_tui.wire.errors import ServerUnreachable


async def test_an_action_this_version_does_not_know_is_kept_on_disk_never_dropped(tmp_path, caplog):
    """Written by a newer tiri-tui (an action added later): this one can neither
    send it nor know it is done, so it leaves it queued for the one that can."""
    path = tmp_path / "outbox.sqlite3"
    written = Outbox(path)
    written.add("mark_read", "n1")
    written.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO outbox (action, notification_id, queued_at) VALUES ('archive', 'n2', 0)"
        )
        db.execute(
            "INSERT INTO outbox (action, notification_id, queued_at) VALUES ('mark_unread', 'n3', 0)"
        )
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    sync = make_sync(path, api, clock, tasks)
    tasks_for_start = Tasks()
    sync._spawn = tasks_for_start.spawn
    with caplog.at_level(logging.WARNING, logger="tiri_tui"):
        await sync.start()
        await wait_for(lambda: len(api.calls) == 2, what="the known ones sent")
        await tasks_for_start.settle()
    assert api.calls == [("mark_read", "n1"), ("mark_unread", "n3")]
    with sqlite3.connect(path) as db:
        left = db.execute("SELECT action, notification_id FROM outbox").fetchall()
    assert left == [("archive", "n2")]
    assert "archive" in caplog.text
    tasks.cancel()
    tasks_for_start.cancel()


class HeldApi(RecordingApi):
    """Marks read only when let go (the call is out meanwhile); refuses deletes
    as a server out of reach does."""

    def __init__(self) -> None:
        super().__init__()
        self.let_go = asyncio.Event()

    async def mark_read(self, target: str = "") -> None:
        self.calls.append(("mark_read", target))
        await self.let_go.wait()

    async def delete(self, target: str = "") -> None:
        self.calls.append(("delete", target))
        raise ServerUnreachable("cannot reach the server")


async def test_a_count_over_the_socket_already_holds_the_call_that_is_out(tmp_path):
    """The server pushes its count once it has applied a call, before it answers
    it: the call that is out is in that count, the ones queued behind it are not.
    A count over REST may be from before the call: every pending intent counts."""
    api, clock, tasks = HeldApi(), FakeClock(), Tasks()
    sync = make_sync(tmp_path / "outbox.sqlite3", api, clock, tasks)
    sync.submit("mark_read", "n1", was_unread=True)
    sync.submit("mark_read", "n2", was_unread=True)
    await wait_for(lambda: api.calls == [("mark_read", "n1")], what="the first call out")
    assert sync.rebase_count(10) == 8
    assert sync.rebase_count(10, live=True) == 9
    api.let_go.set()
    await wait_for(lambda: sync.pending_count == 0, what="both sent")
    assert sync.rebase_count(10, live=True) == sync.rebase_count(10) == 10
    tasks.cancel()


async def test_a_call_that_failed_is_not_in_the_socket_count(tmp_path):
    api, clock, tasks = HeldApi(), FakeClock(), Tasks()
    sync = make_sync(tmp_path / "outbox.sqlite3", api, clock, tasks)
    sync.submit("delete", "n1", was_unread=True)
    await wait_for(lambda: api.calls == [("delete", "n1")], what="the delete tried")
    await tasks.settle()
    assert sync.pending_count == 1
    assert sync.rebase_count(10, live=True) == sync.rebase_count(10) == 9
    tasks.cancel()


async def test_an_answered_call_on_its_way_off_the_queue_is_in_the_socket_count(tmp_path):
    """Between the server's answer and the intent leaving the queue (its delivery
    is written to disk first) a pushed count already holds it: the last push of
    a run of marks came in that moment and the badge stayed one short."""
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    sync = make_sync(tmp_path / "outbox.sqlite3", api, clock, tasks)
    writing_done, let_go = asyncio.Event(), asyncio.Event()

    async def run_io(call, *args, **kwargs):  # type: ignore[no-untyped-def]
        if call == sync._outbox.done:
            writing_done.set()
            await let_go.wait()
        return await run_now(call, *args, **kwargs)

    sync._run_io = run_io
    sync.submit("mark_read", "n1", was_unread=True)
    sync.submit("mark_read", "n2", was_unread=True)
    await wait_for(writing_done.is_set, what="the first answered")
    assert api.calls == [("mark_read", "n1")] and sync.pending_count == 2
    assert sync.rebase_count(10, live=True) == 9  # n2 only: the server has applied n1
    let_go.set()
    await wait_for(lambda: sync.pending_count == 0, what="both sent")
    tasks.cancel()
