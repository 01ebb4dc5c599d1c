"""Getting the user's marks to the server: queue on disk first, send in order, retry.

An intent is written to the persisted outbox before any attempt, so a crash
or a dead network never loses it; it is removed only when the server has
answered (or when it can never apply, e.g. the notification is gone). The
writes happen on the store thread (``run_io``); the intent applies here at
once, so pages and counts that arrive meanwhile already see it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, assert_never

from msgspec import Struct, field

from tiri_tui.connection.api import RATE_LIMIT_PAUSE, TiriApi
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.store import Outbox, OutboxEntry
from tiri_tui.wire.errors import ApiError, LoginRequired, RateLimited, TiriError, is_transient
from tiri_tui.wire.models import Notification

log = logging.getLogger(__name__)
#: Runs a blocking store call on the store thread.
RunIO = Callable[..., Awaitable[Any]]
BACK_ONLINE = "will retry when back online"
#: Pause after a 429 that did not say how long to wait.
#: Seconds a delivered mark is remembered against stale copies of the server's.
MARK_MEMORY = 120.0
#: After a send failed for a while (network, 5xx), the first pause before the
#: outbox tries again on its own; doubled each time up to RETRY_MAX.
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
#: The intents about one notification's read state.
MARKS = frozenset({IntentAction.MARK_READ, IntentAction.MARK_UNREAD})


class Intent(Struct, eq=False):
    """One intent not yet acknowledged by the server; ``seq`` once it is on disk."""

    action: IntentAction
    notification_id: str | None
    was_unread: bool = False
    seq: int | None = None
    written: asyncio.Event = field(default_factory=asyncio.Event)
    #: Not sent before this moment (the sync's clock): the undo window.
    hold_until: float = 0.0

    @classmethod
    def from_disk(cls, entry: OutboxEntry) -> Intent:
        """An intent a previous run queued."""
        intent = cls(entry.action, entry.notification_id, entry.was_unread, entry.seq)
        intent.written.set()
        return intent


class OutboxSync:
    """Sends queued intents through the REST client, oldest first.

    ``on_queued(action, reason)`` hears of an intent that has to wait,
    ``on_all_read(before)`` of a mark-all the server confirmed (everything
    created before then is read there), and ``spawn`` runs a flush in the
    owner's background tasks. A session that needs a new login is the REST
    client's to tell (its intents stay queued for the next login).
    """

    def __init__(
        self,
        outbox: Outbox,
        api: TiriApi,
        *,
        on_queued: Callable[[IntentAction, str], None],
        on_all_read: Callable[[datetime], None],
        spawn: Callable[[Coroutine[Any, Any, None], str], object],
        run_io: RunIO,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._outbox = outbox
        self._api = api
        self._on_queued = on_queued
        self._on_all_read = on_all_read
        self._spawn = spawn
        self._clock = clock
        self._wall_clock = wall_clock
        self._run_io = run_io
        self._pending: list[Intent] = []
        self._lock = asyncio.Lock()
        self._told: set[int] = set()
        #: Seconds from submit to the intent being on disk (the recent ones).
        self.write_times: deque[float] = deque(maxlen=1000)
        #: The latest local mark per id, and the latest mark-all: (read?, when).
        self._marks: dict[str, tuple[bool, float]] = {}
        self._all_read: tuple[float, datetime] | None = None
        self.sent = 0
        #: The intent whose request is on its way (it can no longer be cancelled).
        self._in_flight: Intent | None = None
        #: The intent whose call is out or answered and not yet off the queue:
        #: the server may have applied it already.
        self._sending: Intent | None = None
        #: When the flush waiting for a held intent wakes up (None: none waits).
        self._wake_at: float | None = None
        self._sleep = sleep
        #: Set once an intent taken back is off the disk too (while it is not).
        self._forgetting: set[asyncio.Event] = set()
        self._stopped = False
        self._retry_delay = RETRY_FIRST
        self._retry_waiting = False

    async def start(self) -> None:
        """Take up what an earlier run left queued (read on the store thread)."""
        entries = await self._run_io(self._outbox.pending)
        self._pending = [Intent.from_disk(e) for e in entries] + self._pending
        if self._pending:
            self._spawn(self.flush(), "tiri-outbox-flush")

    async def written(self) -> None:
        """Until every intent submitted so far is on disk, and every one taken
        back is off it (before shutting down)."""
        for intent in list(self._pending):
            await intent.written.wait()
        for forgotten in list(self._forgetting):
            await forgotten.wait()

    async def stop(self) -> None:
        """Send nothing more; returns once the send in flight (if any) is answered.

        What is still queued stays on disk: the next run (or the controller of a
        new login) reads it there and sends it, so it is sent once, by that one.
        """
        self._stopped = True
        async with self._lock:
            pass

    async def close(self) -> None:
        """Close the outbox's database (what is queued stays on disk)."""
        await self._run_io(self._outbox.close)

    @property
    def pending_count(self) -> int:
        """How many intents wait to reach the server."""
        return len(self._pending)

    def has_pending(self, notification_id: str) -> bool:
        """Whether an intent about this id still waits to reach the server."""
        return any(entry.notification_id == notification_id for entry in self._pending)

    def submit(
        self,
        action: IntentAction,
        notification_id: str | None,
        *,
        was_unread: bool = False,
        hold: float = 0.0,
    ) -> Intent:
        """Apply an intent at once; write it to disk, then try to send it.

        ``hold``: seconds it waits before it is sent (on disk already, so a
        quit or a crash meanwhile sends it at the next start), during which
        :meth:`cancel` takes it back. Intents behind it wait too: order is kept.
        """
        action = IntentAction(action)
        self._remember(action, notification_id)
        intent = Intent(action, notification_id, was_unread)
        if hold > 0:
            intent.hold_until = self._clock() + hold
        self._pending.append(intent)
        self._spawn(self._write_then_flush(intent), "tiri-outbox-flush")
        return intent

    def cancel(self, intent: Intent) -> bool:
        """Take back an intent that has not left (held, or waiting for the
        network); False once its request is on its way or done."""
        if intent is self._in_flight or intent not in self._pending:
            return False
        self._pending.remove(intent)
        if intent.notification_id is not None and intent.action in MARKS:
            self._marks.pop(intent.notification_id, None)  # the server never had it
        forgotten = asyncio.Event()
        self._forgetting.add(forgotten)
        self._spawn(self._forget_on_disk(intent, forgotten), "tiri-outbox-cancel")
        return True

    async def _forget_on_disk(self, intent: Intent, forgotten: asyncio.Event) -> None:
        try:
            await intent.written.wait()
            await self._on_disk(self._outbox.done, intent.seq)
        finally:
            forgotten.set()
            self._forgetting.discard(forgotten)

    def _wake_later(self, at: float) -> None:
        """One flush waits for the held intent at the head of the queue."""
        if self._wake_at is not None and self._wake_at <= at:
            return
        self._wake_at = at

        async def wake() -> None:
            await self._sleep(max(0.0, at - self._clock()))
            if self._wake_at == at:
                self._wake_at = None
            await self.flush()

        self._spawn(wake(), "tiri-outbox-flush")

    async def _write_then_flush(self, intent: Intent) -> None:
        started = self._clock()
        try:
            entry = await self._run_io(
                self._outbox.add,
                intent.action,
                intent.notification_id,
                was_unread=intent.was_unread,
            )
            intent.seq = entry.seq
            self.write_times.append(self._clock() - started)
        except Exception:
            # A disk that refuses the write must not hold every later intent
            # back: this one is sent from memory (lost only if we also crash).
            log.exception("could not queue %s on disk", intent.action.words)
        finally:
            intent.written.set()
        await self.flush()

    async def flush(self) -> None:
        """Send every pending intent in order; stop at the first that cannot go yet."""
        async with self._lock:
            while self._pending and not self._stopped:
                if (wait := self._api.paused_for()) > 0:
                    self._retry_later(wait)  # the server asked us to wait (429 Retry-After)
                    return
                entry = self._pending[0]
                if self._clock() < entry.hold_until:
                    self._wake_later(entry.hold_until)  # the person may still undo it
                    return
                await entry.written.wait()  # never sent before it is on disk
                if not self._pending or self._pending[0] is not entry:
                    continue  # cancelled (undone) meanwhile
                seq = entry.seq  # None: the disk refused it; sent from memory
                self._in_flight = entry  # from here on, an undo comes too late
                try:
                    if not await self._attempt(entry, seq):
                        return
                finally:
                    self._in_flight = self._sending = None

    async def _attempt(self, entry: Intent, seq: int | None) -> bool:
        """Send the head of the queue; False when it has to wait (it stays queued)."""
        sent_at = self._wall_clock()
        # From the call until the intent leaves the queue, the server may have
        # applied it (an answer is written to disk before it leaves).
        self._sending = entry
        try:
            await self._send(entry)
        except RateLimited as exc:
            self._sending = None
            await self._on_disk(self._outbox.attempted, seq)
            self._retry_later(self._api.paused_for() or exc.retry_after or RATE_LIMIT_PAUSE)
            self._tell(entry, f"the server asked to slow down; {BACK_ONLINE}")
            return False
        except LoginRequired as exc:
            self._sending = None
            # The REST client's gate told the owner (the session ends); the
            # intent stays queued for the next login.
            await self._on_disk(self._outbox.attempted, seq)
            self._tell(entry, str(exc))
            return False
        except TiriError as exc:
            if is_transient(exc):
                self._sending = None
                await self._on_disk(self._outbox.attempted, seq)
                self._tell(entry, BACK_ONLINE)
                self._retry_later(self._retry_delay)
                self._retry_delay = min(RETRY_MAX, self._retry_delay * 2)
                return False
            # 404: the notification is gone; other refusals never succeed.
            log.warning("dropping queued %s: %s", entry.action.words, exc)
            if not (isinstance(exc, ApiError) and exc.status == 404):
                self._tell(entry, f"{entry.action.words} failed: {exc}")
        await self._on_disk(self._outbox.done, seq)
        if seq is not None:
            self._told.discard(seq)
        self._pending.remove(entry)
        self._sending = None
        self.sent += 1
        self._retry_delay = RETRY_FIRST
        if entry.action is IntentAction.MARK_ALL_READ:
            # The server marked everything it had when the call arrived,
            # perhaps while our socket was down and its updates lost.
            self._on_all_read(sent_at)
        return True

    def _retry_later(self, delay: float) -> None:
        """Try again after ``delay`` also when nothing else asks to (a new
        connection's fill, a new intent): the socket may have stayed up while
        a send failed, and then nothing else would."""
        if not self._retry_waiting:
            self._retry_waiting = True
            self._spawn(self._flush_after(delay), "tiri-outbox-retry")

    async def _flush_after(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        finally:
            self._retry_waiting = False
        await self.flush()

    async def _on_disk(self, call: Callable[[int], None], seq: int | None) -> None:
        """Record an attempt or a delivery, for an intent that is on disk."""
        if seq is not None:
            await self._run_io(call, seq)

    async def _send(self, entry: Intent) -> None:
        target = entry.notification_id or ""
        match entry.action:
            case IntentAction.MARK_READ:
                await self._api.mark_read(target)
            case IntentAction.MARK_UNREAD:
                await self._api.mark_unread(target)
            case IntentAction.DELETE:
                await self._api.delete(target)
            case IntentAction.MARK_ALL_READ:
                await self._api.mark_all_read()
            case _:
                assert_never(entry.action)

    def _tell(self, entry: Intent, reason: str) -> None:
        if entry.seq is None or entry.seq in self._told:
            return
        self._told.add(entry.seq)
        self._on_queued(entry.action, reason)

    def _remember(self, action: IntentAction, notification_id: str | None) -> None:
        now = self._clock()
        if action in MARKS and notification_id is not None:
            self._marks[notification_id] = (action is IntentAction.MARK_READ, now)
        elif action is IntentAction.MARK_ALL_READ:
            self._all_read = (now, self._wall_clock())
        if len(self._marks) > 1000:  # old marks can no longer race with anything
            self._marks = {k: v for k, v in self._marks.items() if now - v[1] < MARK_MEMORY}

    def rebase(self, n: Notification, fetched_at: float | None = None) -> Notification | None:
        """A server copy with the user's intents applied on top; None if deleted here.

        Pending intents always win. Marks already delivered still win over a
        copy the server produced before them: a page requested at
        ``fetched_at`` (monotonic) can arrive after the mark was confirmed.
        """
        if fetched_at is not None:
            mark = self._marks.get(n.id)
            if mark is not None and mark[1] > fetched_at and mark[0] != n.is_read:
                n = n.with_read(mark[0])
            all_read = self._all_read
            if (
                all_read is not None
                and all_read[0] > fetched_at
                and not n.is_read
                and n.created_at <= all_read[1]
            ):
                n = n.with_read(True)
        if not self._pending:
            return n
        for entry in self._pending:
            if entry.action is IntentAction.MARK_ALL_READ and not n.is_read:
                n = n.with_read(True)
            elif entry.notification_id != n.id:
                continue
            elif entry.action is IntentAction.DELETE:
                return None
            elif (entry.action is IntentAction.MARK_READ) != n.is_read:
                n = n.with_read(entry.action is IntentAction.MARK_READ)
        return n

    def rebase_count(self, server_count: int, *, live: bool = False) -> int:
        """The server's unread count adjusted by the intents it has not seen yet
        (a pending delete of an unread one counts as one fewer).

        ``live``: the count came over the socket. The server pushes it once it
        has applied a call, before it answers the call: the intent whose call
        is out (or answered, on its way off the queue) is then already in it
        (the next push corrects a count that is not yet)."""
        count = server_count
        for entry in self._pending:
            if live and entry is self._sending:
                continue
            match entry.action:
                case IntentAction.MARK_ALL_READ:
                    count = 0
                case IntentAction.MARK_READ:
                    count -= 1
                case IntentAction.MARK_UNREAD:
                    count += 1
                case IntentAction.DELETE:
                    count -= entry.was_unread
                case _:
                    assert_never(entry.action)
        return max(0, count)
