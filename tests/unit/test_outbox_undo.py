"""The undo window of the outbox: an intent held on disk a few seconds, taken
back by an undo, sent when the window ends or at the next start, never lost."""

from __future__ import annotations

from tests.support.clock import FakeClock
from tests.support.fakes import offline_controller, sample
from tests.support.outbox import RecordingApi, Tasks, make_sync
from tests.support.serving import set_unread, take_rows
from tests.support.waiting import wait_for
from tiri_tui.sync.controller_settings import UNDO_SECONDS
from tiri_tui.sync.store import Outbox


async def test_a_held_intent_is_sent_only_when_its_undo_window_ends(tmp_path):
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    sync = make_sync(tmp_path / "outbox.sqlite3", api, clock, tasks)
    sync.submit("delete", "n1", hold=UNDO_SECONDS)
    sync.submit("mark_read", "n2")  # behind it: order is kept
    await tasks.settle()
    assert api.calls == [] and sync.pending_count == 2
    clock.advance(UNDO_SECONDS - 0.1)
    await tasks.settle()
    assert api.calls == []
    clock.advance(0.2)
    await wait_for(lambda: sync.pending_count == 0)
    assert api.calls == [("delete", "n1"), ("mark_read", "n2")]
    tasks.cancel()


async def test_an_undo_in_the_window_takes_the_intent_back_from_memory_and_disk(tmp_path):
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    path = tmp_path / "outbox.sqlite3"
    sync = make_sync(path, api, clock, tasks)
    held = sync.submit("delete", "n1", hold=UNDO_SECONDS)
    await tasks.settle()
    assert sync.cancel(held)
    assert not sync.cancel(held)  # once
    await tasks.settle()
    clock.advance(UNDO_SECONDS * 2)
    await tasks.settle()
    assert api.calls == [] and sync.pending_count == 0
    assert Outbox(path).pending() == []
    tasks.cancel()


async def test_an_intent_held_when_the_app_quits_is_sent_at_the_next_start(tmp_path):
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    path = tmp_path / "outbox.sqlite3"
    sync = make_sync(path, api, clock, tasks)
    sync.submit("mark_unread", "n7", hold=UNDO_SECONDS)
    await sync.written()
    await sync.close()  # quit inside the window
    tasks.cancel()
    assert api.calls == []
    again, tasks = make_sync(path, api, clock, Tasks()), Tasks()
    again._spawn = tasks.spawn
    await again.start()
    await wait_for(lambda: again.pending_count == 0)
    assert api.calls == [("mark_unread", "n7")]
    tasks.cancel()


async def test_once_sent_it_can_no_longer_be_taken_back(tmp_path):
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    sync = make_sync(tmp_path / "outbox.sqlite3", api, clock, tasks)
    held = sync.submit("mark_read", "n1", hold=UNDO_SECONDS)
    clock.advance(UNDO_SECONDS)
    await wait_for(lambda: sync.pending_count == 0)
    assert not sync.cancel(held)
    assert api.calls == [("mark_read", "n1")]
    tasks.cancel()


async def test_the_controller_restores_a_row_taken_back_and_answers_a_sent_mark():
    api = RecordingApi()
    controller = offline_controller(api=api)
    rows = sample(3)
    take_rows(controller, rows)
    set_unread(controller, 2)
    unread = rows[0]
    assert not unread.is_read
    deleted = controller.delete(unread.id, hold=UNDO_SECONDS)
    assert deleted is not None and unread.id not in controller.held
    assert controller.unread_count == 1
    undone = controller.undo([(deleted, unread)])
    assert (undone.taken_back, undone.sent_back, undone.too_late) == (1, 0, 0)
    assert controller.held.get(unread.id) == unread and controller.unread_count == 2
    # A mark sent at once (no window): the undo is the opposite mark.
    marked = controller.mark_read(unread.id)
    assert marked is not None
    await wait_for(lambda: ("mark_read", unread.id) in api.calls)
    await wait_for(lambda: controller.outbox.pending_count == 0)
    undone = controller.undo([(marked, unread)])
    assert (undone.taken_back, undone.sent_back) == (0, 1)
    await wait_for(lambda: ("mark_unread", unread.id) in api.calls)
    assert not controller.held.get(unread.id).is_read
    # A delete the server has: too late, and said so.
    gone = controller.delete(unread.id)
    await wait_for(lambda: ("delete", unread.id) in api.calls)
    await wait_for(lambda: controller.outbox.pending_count == 0)
    assert controller.undo([(gone, unread)]).too_late == 1
    assert unread.id not in controller.held
    await controller.aclose()


async def test_an_undo_just_before_quitting_is_on_disk_when_the_outbox_closes(tmp_path):
    """Quitting right after an undo must not leave the intent on disk to be
    sent at the next start (a delete the person took back)."""
    api, clock, tasks = RecordingApi(), FakeClock(), Tasks()
    path = tmp_path / "outbox.sqlite3"
    sync = make_sync(path, api, clock, tasks)
    held = sync.submit("delete", "n1", hold=UNDO_SECONDS)
    await sync.written()
    assert sync.cancel(held)
    await sync.written()  # what the controller awaits before it stops its tasks
    tasks.cancel()
    await sync.close()
    assert Outbox(path).pending() == []
