"""What the outbox replays is one of its known actions; anything else on disk waits there."""

from __future__ import annotations

import logging
import sqlite3

from tests.support.clock import FakeClock
from tests.support.outbox import RecordingApi, Tasks, make_sync
from tests.support.waiting import wait_for
from tiri_tui.sync.store import Outbox


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
