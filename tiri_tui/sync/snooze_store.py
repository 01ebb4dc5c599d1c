"""Snoozes on disk: one SQLite file per account, beside its outbox, with the
outbox's care (WAL, written before anything is shown as done), shared by
every face on the machine and by the agent.

A snooze comes back exactly once: the process whose update turns it from
away to back (one row changed) is the one that says so — an alert, the row
marked unread — however many faces watch the file, and across restarts.

Its methods block (call them on a thread, never on the event loop); one lock
keeps the calls of one process in turn.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from tiri_tui.sync.snoozes import BACK_KEPT, Snooze, SnoozeBook
from tiri_tui.sync.store import SqliteFile
from tiri_tui.wire.models import Notification, WireError

log = logging.getLogger(__name__)


class SnoozeStore(SqliteFile):
    """The snoozes of one account."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            """CREATE TABLE IF NOT EXISTS snoozes (
                id TEXT PRIMARY KEY, until REAL NOT NULL, back_at REAL,
                body TEXT NOT NULL)""",
        )
        self._lock = threading.Lock()
        self._seen_version: int | None = None

    def snooze(self, notification: Notification, until: float) -> None:
        """Put ``notification`` away until ``until`` (again, if it was: the new time holds)."""
        body = json.dumps(notification.to_dict())
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO snoozes (id, until, back_at, body) VALUES (?, ?, NULL, ?)",
                (notification.id, until, body),
            )
            self._seen_version = None

    def unsnooze(self, notification_id: str) -> bool:
        """Forget a snooze (away: the row is back where it was made); whether there was one."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM snoozes WHERE id = ?", (notification_id,))
            self._seen_version = None
        return cursor.rowcount == 1

    def claim(self, notification_id: str, now: float) -> bool:
        """Bring a due snooze back; True for the one caller that did (it says so)."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE snoozes SET back_at = ? WHERE id = ? AND back_at IS NULL AND until <= ?",
                (now, notification_id, now),
            )
            self._seen_version = None
        return cursor.rowcount == 1

    def read(self, now: float, *, if_changed: bool = False) -> SnoozeBook | None:
        """Every snooze (those back longer than :data:`BACK_KEPT` are let go);
        ``if_changed``: None when nothing was written since the last read."""
        with self._lock:
            db = self._db
            (version,) = db.execute("PRAGMA data_version").fetchone()
            if if_changed and version == self._seen_version:
                return None
            db.execute("DELETE FROM snoozes WHERE back_at < ?", (now - BACK_KEPT,))
            rows = db.execute("SELECT until, back_at, body FROM snoozes").fetchall()
            self._seen_version = version
        snoozes = []
        for until, back_at, body in rows:
            try:
                notification = Notification.from_dict(json.loads(body))
            except (ValueError, WireError):
                log.warning("leaving an unreadable snooze on disk")
                continue
            snoozes.append(Snooze(notification, float(until), back_at))
        return SnoozeBook(snoozes)
