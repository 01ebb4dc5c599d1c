"""A dashboard attached to the profile's agent: the agent's list, mirrored.

The agent holds the session, the socket, the REST walks, the cache and the
outbox. An attached dashboard holds none of them: it keeps its own copy of
the sync core's state (:func:`tiri_tui.sync.core.apply`, the same pure core)
fed by what the agent tells it — its newest rows at attach, each change as it
happens, older rows as the person scrolls — and sends every mark and delete
to the agent, whose outbox carries it. The screen reads it as it reads a
standalone controller (:class:`~tiri_tui.sync.controller_api.Controller`).

Filters apply to the rows mirrored here, and older rows are paged through
the agent until the filtered list fills the screen. When the agent goes
away the dashboard looks for it again; if it does not come back, the owner
(the app) is told, with the intents not yet handed over, and runs standalone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from tiri_tui.agent.link import (
    REATTACH_INTERVAL,
    AgentLink,
    AgentLost,
    AgentRefused,
    attach,
    hello,
    reattach,
)
from tiri_tui.agent.local_protocol import LineError, rows_of
from tiri_tui.connection.policy import ConnectionState, StateCode
from tiri_tui.sync.background import Background
from tiri_tui.sync.bulk import Bulk
from tiri_tui.sync.controller_api import Undone
from tiri_tui.sync.controller_reads import ControllerReads
from tiri_tui.sync.controller_settings import ControllerSettings, Counters
from tiri_tui.sync.core import apply
from tiri_tui.sync.events import (
    TOLD,
    Arrived,
    ControllerEvent,
    NotificationAdded,
    NotificationRemoved,
    NotificationUpdated,
    ServerAnswered,
    StateEvent,
    UnreadCountChanged,
)
from tiri_tui.sync.intents import IntentAction
from tiri_tui.sync.messages import (
    AllReadUndoWanted,
    AllReadWanted,
    AnsweredTold,
    ConnectionChanged,
    CountTold,
    DeleteTakenBack,
    DeleteWanted,
    Effect,
    FetchOlder,
    FilterHeld,
    FiltersWanted,
    HeldTold,
    MarkTakenBack,
    MarkUnreadEach,
    MarkWanted,
    Noted,
    OlderFailed,
    OlderTaken,
    OlderWanted,
    PageOneAnswered,
    ReadHeld,
    RowGoneTold,
    RowsReplaced,
    RowsWanted,
    RowTold,
    Submit,
    SyncEvent,
)
from tiri_tui.sync.outbox_sync import Intent
from tiri_tui.sync.rules import Filters
from tiri_tui.sync.state import SyncState
from tiri_tui.wire.models import Notification, Page, format_timestamp

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Rows asked for at attach: a screen's worth, and more (200 rows are ~100 KB).
FIRST_ROWS = 200
#: Rows asked for at a re-attach at most (what was mirrored is checked against them).
REATTACH_ROWS = 10_000
#: An undo within this many seconds of its window's end is not promised as
#: taken back: the agent may have sent it by the time the undo reaches it.
UNDO_MARGIN = 1.0
#: How often the status line's figures (the agent's counters) are asked for.
FIGURES_INTERVAL = 5.0
#: What a face's paging link to the agent looks like (``agent:<oldest id>``).
AGENT_PAGE = "agent:"


class AgentIntents:
    """The intents handed to the agent (the status line's figure, and undo keys)."""

    def __init__(self) -> None:
        self.pending_count = 0
        #: Each intent made with an undo window: the agent's key for it, once answered.
        self.keys: dict[int, asyncio.Future[int | None]] = {}


#: What a face sends for an intent it made (the op and its arguments).
Unsent = tuple[str, dict[str, Any]]


class AttachedController(ControllerReads):
    """The agent's list, mirrored for one dashboard; intents go to the agent.

    ``on_abandoned`` is called once the agent has gone for good, with the
    intents it never received (the owner replays them on a standalone
    controller)."""

    def __init__(
        self,
        link: AgentLink,
        answer: dict[str, Any],
        path: Path,
        server: str,
        settings: ControllerSettings,
        early: list[ControllerEvent] | None = None,
        on_abandoned: Callable[[list[Unsent]], None] = lambda unsent: None,
    ) -> None:
        self.settings = settings
        self._state = SyncState()
        self._closed = False
        self._link = link
        self._answer: dict[str, Any] | None = answer
        self._path = path
        self._server = server
        self.on_abandoned = on_abandoned
        self._observers: list[Callable[[ControllerEvent], None]] = []
        self._background = Background()
        self._bulk = Bulk(self.dispatch)
        self._loaded = asyncio.Event()
        #: The agent (as last attached) has shown its cache and loaded page 1.
        self._agent_loaded = asyncio.Event()
        self._stop = asyncio.Event()
        #: Agent events that came before the dashboard was ready for them.
        self._early: list[ControllerEvent] | None = early if early is not None else []
        self._intents = AgentIntents()
        self._unsent: list[Unsent] = []
        self._older: asyncio.Task[None] | None = None
        self._filtering: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self.counters = Counters()
        self.frames_dropped = 0
        link.rebind(self._on_agent_event, self._on_agent_message)

    # -- what the screen reads beyond the core's state ---------------------------------------
    @property
    def outbox(self) -> AgentIntents:
        return self._intents

    @property
    def loaded(self) -> asyncio.Event:
        return self._loaded

    @property
    def cached(self) -> bool:
        return False  # the agent's rows are the server's, or as current as it can say

    # -- observation ----------------------------------------------------------------------------
    def subscribe(self, observer: Callable[[ControllerEvent], None]) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def emit(self, event: ControllerEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("an observer failed on %s", type(event).__name__)

    def dispatch(self, event: SyncEvent, *, hold: float = 0.0) -> Intent | None:
        """Apply ``event`` to the mirrored state, carry out what the core decided."""
        queued: Intent | None = None
        for effect in apply(self._state, event):
            queued = self._carry_out(effect, hold) or queued
        return queued

    def _carry_out(self, effect: Effect, hold: float) -> Intent | None:
        if type(effect) in TOLD:
            self.emit(effect)  # type: ignore[arg-type]
            return None
        match effect:
            case Submit():
                return self._submit(effect, hold)
            case FetchOlder():
                self._older = self._spawn(self._fetch_older(effect.url, effect.chain), "older")
            case FilterHeld():
                if self._filtering is not None:
                    self._filtering.cancel()
                self._filtering = self._spawn(
                    self._bulk.filter_held(effect.everything, effect.filters, self._filtered),
                    "filter",
                )
            case ReadHeld():
                self._reading = self._spawn(
                    self._bulk.read_held(self._state.held.ids(), effect.before), "all-read"
                )
            case MarkUnreadEach():
                for nid in effect.ids:
                    self.mark_unread(nid)
            case RowsReplaced():
                self._bulk.replaced(effect.count)
            case Noted():
                log.warning("%s", effect.text)
            case _:
                pass  # the socket, its gaps and the session are the agent's
        return None

    # -- lifecycle ---------------------------------------------------------------------------
    def prefetch_cache(self) -> None:
        """Nothing to read: the agent's rows came with the attach."""

    async def show_cached(self) -> None:
        """Show the agent's rows, then what it said since."""
        answer, self._answer = self._answer, None
        if answer is not None:
            self._take_hello(answer)
        early, self._early = self._early or [], None
        for event in early:
            self._on_agent_event(event)
        self._spawn(self._keep_attached(), "attached")
        self._spawn(self._ask_figures(), "figures")

    def go_live(self) -> None:
        """Nothing to start: the agent is live."""

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._background.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hand_over_unsent(), 3)
        await self._link.aclose()
        await self._background.cancel_all(5, 1.0)
        self._background.shutdown()

    def _spawn(self, work: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        return self._background.spawn(work, f"tiri-attached-{name}")

    # -- what the agent says -----------------------------------------------------------------
    def _take_hello(self, answer: dict[str, Any]) -> None:
        rows = rows_of(answer)
        more = len(rows) < int(answer.get("held", 0)) or bool(answer.get("has_more"))
        self.dispatch(HeldTold(rows, _next_url(rows) if more else None))
        self._take_figures(answer)
        retry_in = answer.get("retry_in")
        self.dispatch(
            ConnectionChanged(
                ConnectionState(answer["state"]),
                StateCode(answer["code"]),
                str(answer.get("reason", "")),
                float(retry_in) if isinstance(retry_in, int | float) else None,
            )
        )
        if answer.get("current"):
            self.dispatch(AnsweredTold())
        if answer.get("loaded"):
            self._loaded.set()

    def _take_figures(self, answer: dict[str, Any]) -> None:
        count = answer.get("unread_count")
        if isinstance(count, int):
            self.dispatch(CountTold(count))
        pending = answer.get("pending")
        self._intents.pending_count = pending if isinstance(pending, int) else 0
        dropped = answer.get("frames_dropped")
        self.frames_dropped = dropped if isinstance(dropped, int) else 0
        with contextlib.suppress(msgspec.ValidationError):
            self.counters = msgspec.convert(answer.get("counters", {}), Counters)

    def _on_agent_message(self, message: dict[str, Any]) -> None:
        if message.get("event") == "loaded":
            self._loaded.set()
            self._agent_loaded.set()

    def _on_agent_event(self, event: ControllerEvent) -> None:
        if self._early is not None:
            self._early.append(event)
            return
        match event:
            case StateEvent():
                self.dispatch(
                    ConnectionChanged(event.state, event.code, event.reason, event.retry_in)
                )
            case NotificationAdded():
                # An older page the agent fetched (for this face or another)
                # comes to this one through its own ``older`` answers, in order.
                if not event.paged:
                    self.dispatch(RowTold(event.notification, event.live, event.news))
            case Arrived():
                self.dispatch(RowTold(event.notification, event.live, True))
            case NotificationUpdated():
                self.dispatch(RowTold(event.notification, False))
            case NotificationRemoved():
                self.dispatch(RowGoneTold(event.notification_id))
            case UnreadCountChanged():
                self.dispatch(CountTold(event.unread_count))
            case ServerAnswered():
                self.dispatch(AnsweredTold())
            case _:
                self.emit(event)  # server errors, queued intents: said as they are

    async def _ask_figures(self) -> None:
        while not self._closed:
            await asyncio.sleep(FIGURES_INTERVAL)
            with contextlib.suppress(AgentLost, AgentRefused):
                self._take_figures(await self._link.request("count"))

    # -- the agent going away ----------------------------------------------------------------
    async def _keep_attached(self) -> None:
        while not self._closed:
            await self._link.lost.wait()
            if self._closed or self._state.session_expired:
                return  # only a new login helps: the screen asks for it
            self.dispatch(
                ConnectionChanged(
                    ConnectionState.CONNECTING,
                    StateCode.CONNECTING,
                    "the agent went away: looking for it again",
                    None,
                )
            )
            self._agent_loaded.clear()
            link = await reattach(
                self._path, self._on_agent_event, self._on_agent_message, self._stop
            )
            answer = None if link is None else await self._hello(link)
            if link is None or answer is None:
                if link is not None:
                    await link.aclose()
                if not self._closed:
                    log.warning("the agent did not come back: the dashboard carries on alone")
                    unsent, self._unsent = self._unsent, []
                    self.on_abandoned(unsent)
                return
            self._link = link
            self._take_hello(answer)
            await self._hand_over_unsent()

    async def _hello(self, link: AgentLink) -> dict[str, Any] | None:
        """The agent's answer to a re-attach, once it holds its list again: a
        restarted agent listens before its cache is read, and what it holds
        then would take every row away here, and a mark handed over then
        would find no row to mark."""
        limit = min(max(len(self._state.held), FIRST_ROWS), REATTACH_ROWS)
        try:
            answer = await link.request("hello", **hello("dashboard", watch=True, limit=limit))
            if answer.get("agent", {}).get("server") != self._server:
                return None  # another server's agent now: not this dashboard's
            if not answer.get("loaded") and not answer.get("needs_login"):
                lost = asyncio.ensure_future(link.lost.wait())
                loaded = asyncio.ensure_future(self._agent_loaded.wait())
                try:
                    await asyncio.wait([lost, loaded], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    lost.cancel()
                    loaded.cancel()
                answer = {**answer, **await link.request("rows", limit=limit), "loaded": True}
        except (AgentLost, AgentRefused, LineError):
            return None
        return answer

    async def _hand_over_unsent(self) -> None:
        while self._unsent and not self._link.lost.is_set():
            op, arguments = self._unsent[0]
            try:
                await self._link.request(op, **arguments)
            except AgentRefused as exc:
                log.warning("the agent refused a %s: %s", op, exc)
            except AgentLost:
                return
            self._unsent.pop(0)

    # -- intents -----------------------------------------------------------------------------
    def _submit(self, effect: Submit, hold: float) -> Intent:
        intent = Intent(effect.action, effect.notification_id, effect.was_unread)
        intent.hold_until = time.monotonic() + hold
        match effect.action:
            case IntentAction.MARK_READ | IntentAction.MARK_UNREAD:
                read = effect.action is IntentAction.MARK_READ
                request: Unsent = (
                    "mark",
                    {"notification": effect.notification_id, "read": read, "hold": hold},
                )
            case IntentAction.DELETE:
                request = ("delete", {"notification": effect.notification_id, "hold": hold})
            case IntentAction.MARK_ALL_READ:
                request = ("mark_all_read", {})
        key: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if hold > 0:
            self._intents.keys[id(intent)] = key
        self._spawn(self._send(request, key), "intent")
        return intent

    async def _send(self, request: Unsent, key: asyncio.Future[int | None]) -> None:
        op, arguments = request
        if self._unsent or self._link.lost.is_set():
            self._unsent.append(
                (op, {**arguments, "hold": 0} if "hold" in arguments else arguments)
            )
            key.set_result(None)
            return
        try:
            answer = await self._link.request(op, **arguments)
        except AgentRefused as exc:
            log.warning("the agent refused a %s: %s", op, exc)
            answer = {}
        except AgentLost:
            # Whether the agent took it cannot be known; a mark sent twice
            # changes nothing, and a delete twice finds it gone.
            self._unsent.append(
                (op, {**arguments, "hold": 0} if "hold" in arguments else arguments)
            )
            answer = {}
        intent_key = answer.get("intent")
        key.set_result(intent_key if isinstance(intent_key, int) else None)

    def mark_read(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(MarkWanted(notification_id, True), hold=hold)

    def mark_unread(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(MarkWanted(notification_id, False), hold=hold)

    def delete(self, notification_id: str, *, hold: float = 0.0) -> Intent | None:
        if self._closed:
            return None
        return self.dispatch(DeleteWanted(notification_id), hold=hold)

    def undo(self, done: Sequence[tuple[Intent, Notification]]) -> Undone:
        """Take back intents: those still in their window (with a margin for
        the way to the agent) are restored here at once and taken back by the
        agent; a mark past it is answered by the opposite mark; a delete past
        it is too late."""
        undone = Undone()
        keys: list[asyncio.Future[int | None]] = []
        now = time.monotonic()
        for intent, before in done:
            key = self._intents.keys.pop(id(intent), None)
            if key is not None and now < intent.hold_until - UNDO_MARGIN:
                keys.append(key)
                if intent.action is IntentAction.DELETE:
                    self.dispatch(DeleteTakenBack(before))
                else:
                    self.dispatch(MarkTakenBack(before.id, before.is_read))
                undone.taken_back += 1
            elif intent.action is IntentAction.DELETE:
                undone.too_late += 1
            elif (self.mark_read if before.is_read else self.mark_unread)(before.id):
                undone.sent_back += 1
        if keys:
            self._spawn(self._undo(keys), "undo")
        return undone

    async def _undo(self, keys: list[asyncio.Future[int | None]]) -> None:
        known = [key for future in keys if (key := await future) is not None]
        if not known:
            return
        with contextlib.suppress(AgentLost, AgentRefused):
            answer = await self._link.request("undo", intents=known)
            for nid in answer.get("too_late", []):
                # Sent already after all (the margin was not enough): as the agent holds it.
                self.dispatch(RowGoneTold(str(nid)))

    def mark_all_read(self) -> asyncio.Task[None]:
        if self._closed:
            return asyncio.ensure_future(asyncio.sleep(0))
        self._reading = None
        self.dispatch(AllReadWanted())
        assert self._reading is not None  # the core asks for the rows to be read
        return self._reading

    def undo_mark_all_read(self) -> int:
        count = len(self._state.last_all_read or ()) if self.can_undo_mark_all_read() else 0
        self.dispatch(AllReadUndoWanted())
        return count

    def reconnect(self) -> None:
        self._spawn(self._ask("reconnect"), "reconnect")

    def refresh(self) -> asyncio.Task[str | None]:
        async def refresh() -> str | None:
            try:
                failure = (await self._link.request("refresh", timeout=60)).get("failure")
            except (AgentLost, AgentRefused) as exc:
                return str(exc)
            return None if failure is None else str(failure)

        return self._spawn(refresh(), "refresh")

    async def _ask(self, op: str) -> None:
        with contextlib.suppress(AgentLost, AgentRefused):
            await self._link.request(op)

    def load_more(self) -> asyncio.Task[None] | None:
        self.dispatch(OlderWanted())
        return self._older if self._state.paging.in_flight else None

    def want_rows(self, count: int) -> None:
        self.dispatch(RowsWanted(count))

    async def count_unread(self, filters: Filters) -> int:
        answer = await self._link.request(
            "count_unread", timeout=60, filters=msgspec.to_builtins(filters)
        )
        count = answer.get("count")
        if not isinstance(count, int):
            raise LineError("the agent's count is not a number")
        return count

    def set_filters(self, filters: Filters) -> asyncio.Task[None] | None:
        if filters == self.filters:
            return None
        self.dispatch(FiltersWanted(filters))
        return self._filtering

    async def _filtered(self) -> None:
        # What the agent holds is filtered; older rows come as the list asks.
        self.dispatch(PageOneAnswered())

    async def _fetch_older(self, url: str, chain: int) -> None:
        oldest = self._state.held.get(url.removeprefix(AGENT_PAGE))
        if oldest is None and len(self._state.held):
            oldest = self._state.held[len(self._state.held) - 1]
        if oldest is None:
            self.dispatch(OlderFailed(chain, None, final=True))
            return
        try:
            answer = await self._link.request(
                "older",
                timeout=60,
                notification=oldest.id,
                before=format_timestamp(oldest.created_at),
                limit=self.settings.page_size,
            )
            rows = rows_of(answer)
        except (AgentLost, AgentRefused, LineError) as exc:
            self.dispatch(OlderFailed(chain, str(exc), final=False))
            return
        if not rows and answer.get("failure"):
            self.dispatch(OlderFailed(chain, str(answer["failure"]), final=False))
            return
        more = bool(answer.get("more")) and bool(rows)
        page = Page(0, _next_url(rows) if more else None, None, rows, [])
        self.dispatch(OlderTaken(page, rows, chain, lambda _nid: False))


def _next_url(rows: list[Notification]) -> str | None:
    return f"{AGENT_PAGE}{rows[-1].id}" if rows else None


async def attach_dashboard(
    path: Path, server: str, settings: ControllerSettings, *, patience: float = 0.0
) -> AttachedController | None:
    """A dashboard attached to the agent listening at ``path``, if one is, it
    serves ``server`` and its session is live (None: the dashboard runs
    standalone). ``patience``: seconds to wait for an agent whose session
    ended to take up a new login (it looks every couple of seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        controller, ended = await _attach_once(path, server, settings)
        if controller is not None or not ended or loop.time() >= deadline:
            return controller
        await asyncio.sleep(REATTACH_INTERVAL)


async def _attach_once(
    path: Path, server: str, settings: ControllerSettings
) -> tuple[AttachedController | None, bool]:
    """The attached dashboard (or None), and whether the agent's session ended."""
    early: list[ControllerEvent] = []  # what comes before the controller is made
    loaded: list[dict[str, Any]] = []
    link = await attach(path, early.append, loaded.append)
    if link is None:
        return None, False
    controller: AttachedController | None = None
    ended = False
    try:
        answer = await link.request("hello", **hello("dashboard", watch=True, limit=FIRST_ROWS))
        # An agent waiting for a login would only say that a login is needed.
        ended = bool(answer.get("needs_login"))
        if answer.get("agent", {}).get("server") == server and not ended:
            if any(message.get("event") == "loaded" for message in loaded):
                answer = {**answer, "loaded": True}
            controller = AttachedController(link, answer, path, server, settings, early)
    except (AgentLost, AgentRefused, LineError) as exc:
        log.warning("not attaching to the agent: %s", exc)
    if controller is None:
        await link.aclose()
    return controller, ended
