"""What survives a restart: the notification cache and the outbox of marks.

Both are SQLite (stdlib ``sqlite3``, WAL mode). The cache lives in the
platformdirs cache dir (losing it costs only a slower first paint); the
outbox lives in the data dir, because losing it would lose a user's marks.

Their methods block: the controller calls them on its store thread, never
on the event loop. A database is opened on first use, so even creating the
file happens on that thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from msgspec import Struct

from tiri_tui.sync.intents import IntentAction
from tiri_tui.wire.models import Notification, WireError

log = logging.getLogger(__name__)


#: What a cache load gives: notifications (newest first), unread count, sync watermark.
CacheLoad = tuple[list[Notification], int | None, datetime | None]


class SqliteFile:
    """A SQLite file opened on first use (WAL mode), with its schema."""

    def __init__(self, path: Path, schema: str) -> None:
        self._path = path
        self._schema = schema
        self._connection: sqlite3.Connection | None = None
        self._closed = False

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            if str(self._path) != ":memory:":
                self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(self._schema)
            self._migrate(db)
            self._connection = db
        return self._connection

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring a file written by an older version up to the schema."""

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (if it was ever opened)."""
        self._closed = True
        if self._connection is not None:
            self._connection.close()


class NotificationCache(SqliteFile):
    """The newest notifications and the unread count of one account, for instant start."""

    def __init__(self, path: Path, limit: int = 1000) -> None:
        super().__init__(
            path,
            """
            CREATE TABLE IF NOT EXISTS notifications (
                id TEXT PRIMARY KEY, created_at REAL NOT NULL, body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS by_created ON notifications (created_at DESC);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """,
        )
        self.limit = limit

    def load(self, start: int = 0, count: int | None = None) -> CacheLoad:
        """The cached notifications (newest first, ``count`` of them from ``start``:
        a first screenful can be shown before the rest is parsed), the unread
        count, and the sync watermark."""
        wanted = self.limit - start if count is None else min(count, self.limit - start)
        # Ties broken by id: two loads of adjacent ranges must neither repeat nor skip a row.
        rows = self._db.execute(
            "SELECT body FROM notifications ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            (max(0, wanted), start),
        ).fetchall()
        notifications = []
        for (body,) in rows:
            try:
                notifications.append(Notification.from_dict(json.loads(body)))
            except (ValueError, WireError):
                log.warning("skipping an unreadable cached notification")
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        unread = int(meta["unread_count"]) if "unread_count" in meta else None
        synced = datetime.fromisoformat(meta["synced_until"]) if "synced_until" in meta else None
        return notifications, unread, synced

    def replace(self, notifications: Iterable[Notification], unread_count: int | None) -> None:
        """Store these (the newest ``limit`` of them) as the cache, in one transaction."""
        rows = [
            (n.id, n.created_at.timestamp(), json.dumps(n.to_dict()))
            for _, n in zip(range(self.limit), notifications, strict=False)
        ]
        with self._transaction():
            self._db.execute("DELETE FROM notifications")
            self._db.executemany("INSERT OR REPLACE INTO notifications VALUES (?, ?, ?)", rows)
            if unread_count is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('unread_count', ?)", (str(unread_count),)
                )

    def apply(
        self,
        changed: Iterable[Notification],
        removed: Iterable[str],
        unread_count: int | None,
        synced_until: datetime | None = None,
    ) -> None:
        """Write only what changed since the last save, then trim to the newest ``limit``."""
        rows = [(n.id, n.created_at.timestamp(), json.dumps(n.to_dict())) for n in changed]
        with self._transaction():
            self._db.executemany("DELETE FROM notifications WHERE id = ?", [(i,) for i in removed])
            self._db.executemany("INSERT OR REPLACE INTO notifications VALUES (?, ?, ?)", rows)
            if unread_count is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('unread_count', ?)", (str(unread_count),)
                )
            if synced_until is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('synced_until', ?)",
                    (synced_until.isoformat(),),
                )
            (count,) = self._db.execute("SELECT COUNT(*) FROM notifications").fetchone()
            if count > self.limit:
                self._db.execute(
                    "DELETE FROM notifications WHERE id NOT IN "
                    "(SELECT id FROM notifications ORDER BY created_at DESC LIMIT ?)",
                    (self.limit,),
                )

    def forget_read(self) -> int:
        """Remove every read notification (the server cleared them): how many."""
        with self._transaction():
            cursor = self._db.execute(
                "DELETE FROM notifications WHERE json_extract(body, '$.is_read') = 1"
            )
        return cursor.rowcount


class OutboxEntry(Struct, frozen=True):
    """One intent that has not reached the server yet."""

    seq: int
    action: IntentAction
    notification_id: str | None
    queued_at: float
    attempts: int
    #: A delete of a notification that was unread here: until the server has
    #: it, the server's unread count still includes that one.
    was_unread: bool = False


class Outbox(SqliteFile):
    """Intents queued on disk, replayed in order; survives restarts."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            """CREATE TABLE IF NOT EXISTS outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL,
                notification_id TEXT, queued_at REAL NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                was_unread INTEGER NOT NULL DEFAULT 0)""",
        )

    def _migrate(self, db: sqlite3.Connection) -> None:
        columns = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
        if "was_unread" not in columns:  # written before deletes remembered unread-ness
            db.execute("ALTER TABLE outbox ADD COLUMN was_unread INTEGER NOT NULL DEFAULT 0")

    def pending(self) -> list[OutboxEntry]:
        """Every queued intent this version can send, oldest first.

        An action it does not know (queued by a newer tiri-tui) stays on disk
        for a version that does: it can be neither sent nor known to be done.
        """
        entries = []
        for seq, action, nid, queued_at, attempts, was_unread in self._db.execute(
            "SELECT seq, action, notification_id, queued_at, attempts, was_unread"
            " FROM outbox ORDER BY seq"
        ):
            try:
                known = IntentAction(action)
            except ValueError:
                log.warning("leaving queued intent #%d on disk: unknown action %r", seq, action)
                continue
            entries.append(OutboxEntry(seq, known, nid, queued_at, attempts, bool(was_unread)))
        return entries

    def add(
        self, action: IntentAction, notification_id: str | None, *, was_unread: bool = False
    ) -> OutboxEntry:
        """Queue an intent (persisted before any attempt is made)."""
        action = IntentAction(action)  # ValueError: not an intent the outbox carries
        now = time.time()
        cursor = self._db.execute(
            "INSERT INTO outbox (action, notification_id, queued_at, was_unread)"
            " VALUES (?, ?, ?, ?)",
            (action, notification_id, now, int(was_unread)),
        )
        return OutboxEntry(cursor.lastrowid or 0, action, notification_id, now, 0, was_unread)

    def done(self, seq: int) -> None:
        """Forget an intent that reached the server (or can never apply)."""
        self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def attempted(self, seq: int) -> None:
        """Count a failed attempt."""
        self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(count)
