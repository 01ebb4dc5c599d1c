"""Filters carried into a new session (after a new login) hold for the cached
rows it shows after its first screenful too."""

from __future__ import annotations

from tests.support.fakes import notifications, offline_controller
from tests.support.waiting import wait_for
from tiri_tui.sync.cache_writer import FIRST_SCREEN
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.store import NotificationCache


async def test_the_rest_of_the_cache_comes_through_the_filters_set_before_it(tmp_path):
    rows = notifications(3 * FIRST_SCREEN)
    cache = NotificationCache(tmp_path / "cache.sqlite3", limit=1000)
    cache.replace(sorted(rows, key=lambda n: n.sort_key, reverse=True), 7)
    ctl = offline_controller(tmp_path, cache)
    try:
        await ctl.show_cached()  # the first screenful
        await ctl.set_filters(Filters(unread_only=True))  # as the app does after a new login
        ctl.go_live()  # shows the rest of the cache
        leaked = lambda: [n.id for n in ctl.inbox if n.is_read]  # noqa: E731
        await wait_for(lambda: len(ctl.held) == len(rows) or leaked(), what="the whole cache")
        assert leaked() == [], "read rows shown through an unread-only filter"
        assert {n.id for n in ctl.inbox} == {n.id for n in rows if not n.is_read}
    finally:
        await ctl.aclose()
