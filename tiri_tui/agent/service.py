"""The agent's side of the local endpoint: one controller, many faces.

It holds the profile's :class:`~tiri_tui.sync.controller.NotificationController`
(the session, the socket, the cache and the outbox, exactly as a standalone
dashboard holds them) and serves the faces that attach: each is answered in
the order it asks, and the ones watching are told every controller event,
encoded once for all of them. A face that stops reading is cut off, never
waited for: it re-attaches and is told what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tiri_tui import __version__
from tiri_tui.agent import answers, dashboard_requests
from tiri_tui.agent.answers import RequestError
from tiri_tui.agent.dashboard_requests import UndoBook
from tiri_tui.agent.endpoint import peer_uid
from tiri_tui.agent.local_protocol import LINE_LIMIT, LineError, decode, encode, event_message
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.sync.controller import NotificationController
from tiri_tui.sync.events import Arrived, ControllerEvent, NotificationAdded, StateEvent
from tiri_tui.sync.intents import IntentAction
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.models import Notification

log = logging.getLogger(__name__)

#: Bytes a face may leave unread before it is cut off (a burst of 10,000
#: notifications is ~5 MB): the agent never holds its other faces up for it.
BACKLOG_LIMIT = 32 * 1024 * 1024
#: Requests that wait for the server: answered when done, not in turn.
WAITING_OPS = frozenset(
    {"older", "refresh", "count_unread", "breakdown", "count_read", "clear_read", "preferences"}
)
#: Server pages the agent fetches at most for one ``older`` request.
MAX_PAGES_PER_ANSWER = 10
#: The longest face name kept (it is shown by `agent status`).
FACE_NAME_LIMIT = 24


class Face:
    """One attached face: who it says it is, and its connection."""

    def __init__(self, number: int, writer: asyncio.StreamWriter, since: float) -> None:
        self.number = number
        self.writer = writer
        self.since = since
        self.name = "face"
        self.pid: int | None = None
        self.watching = False
        #: Requests answered (a face attaching asks three or four, then waits).
        self.answered = 0

    def send(self, line: bytes) -> None:
        """Write ``line``, or cut the face off if it has stopped reading."""
        transport = self.writer.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size() > BACKLOG_LIMIT:
            log.warning("a %s face (pid %s) stopped reading: cut off", self.name, self.pid)
            transport.abort()
            return
        self.writer.write(line)

    def describe(self) -> dict[str, Any]:
        return {
            "face": self.name,
            "pid": self.pid,
            "since": _iso(self.since),
            "watching": self.watching,
        }


class AgentService:
    """Serves the faces of one profile from one controller.

    ``allowed_uid``: the only user answered (None: whoever the directory's
    permissions let in — where the kernel cannot say who connected);
    ``on_news``: told of every notification new to the person (alerts,
    commands on arrival).
    """

    def __init__(
        self,
        controller: NotificationController,
        *,
        profile: str,
        server: str,
        account: str,
        allowed_uid: int | None,
        on_news: Callable[[Notification], None] | None = None,
        alerts_in_force: Callable[[], dict[str, Any]] = dict,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``alerts_in_force``: what its OS alerts keep to now, for `agent
        status` (``do_not_disturb``, ``quiet_hours``; none: no alerts)."""
        self.controller = controller
        self.profile = profile
        self.server = server
        self.account = account
        self.allowed_uid = allowed_uid
        self._on_news = on_news
        self._clock = clock
        self.started = clock()
        self.connected_since: float | None = None
        self.faces: dict[int, Face] = {}
        self._numbers = 0
        self.stop = asyncio.Event()
        self._listener: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._undo_book = UndoBook()
        self.alerts_in_force = alerts_in_force
        controller.subscribe(self._on_event)

    # -- lifecycle ----------------------------------------------------------------------------
    async def listen(self, path: Path) -> None:
        """Listen on ``path`` (a stale socket of a dead agent is replaced: the
        profile's lock, held by the caller, proves nobody else listens there)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self._listener = await asyncio.start_unix_server(
            self._serve_face, path=str(path), limit=LINE_LIMIT
        )
        os.chmod(path, 0o600)  # the directory is 0700 already: this is the second lock
        self._spawn(self._tell_when_loaded())

    async def aclose(self) -> None:
        """Stop listening and let every face go (they re-attach, or carry on alone)."""
        if self._listener is not None:
            self._listener.close()
        for face in list(self.faces.values()):
            face.writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._listener is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listener.wait_closed(), 2)

    def dashboards_open(self) -> bool:
        """Whether a dashboard of this profile is open (it alerts for itself)."""
        return any(face.name == "dashboard" for face in self.faces.values())

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- events to every watching face --------------------------------------------------------
    def _on_event(self, event: ControllerEvent) -> None:
        if isinstance(event, StateEvent):
            if event.state is ConnectionState.CONNECTED:
                self.connected_since = self.connected_since or self._clock()
            else:
                self.connected_since = None
        elif (
            self._on_news is not None
            and (
                (isinstance(event, NotificationAdded) and event.news) or isinstance(event, Arrived)
            )
            and not event.notification.is_read
        ):
            # News only: a row pushed because it was read elsewhere is not
            # one, whether or not this agent held it.
            self._on_news(event.notification)
        self.broadcast(encode(event_message(event, self.controller.current)))

    def broadcast(self, line: bytes) -> None:
        """Send ``line`` to every watching face."""
        for face in list(self.faces.values()):
            if face.watching:
                face.send(line)

    async def _tell_when_loaded(self) -> None:
        await self.controller.loaded.wait()
        self.broadcast(encode({"event": "loaded", **answers.counts(self.controller)}))

    # -- one face -------------------------------------------------------------------------
    async def _serve_face(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uid = peer_uid(writer.get_extra_info("socket"))
        if self.allowed_uid is not None and uid is not None and uid != self.allowed_uid:
            log.warning("refused a connection from uid %d", uid)
            writer.write(
                encode({"event": "refused", "message": "this agent answers only its own user"})
            )
            writer.close()
            return
        self._numbers += 1
        face = Face(self._numbers, writer, self._clock())
        self.faces[face.number] = face
        waiting: set[asyncio.Task[Any]] = set()
        try:
            while line := await reader.readline():
                if _op_of(line) in WAITING_OPS:
                    # Answered in a task of its own: a mark sent after it
                    # is not held up while the server is asked.
                    task = self._spawn(self._answer(face, line))
                    waiting.add(task)
                    task.add_done_callback(waiting.discard)
                else:
                    await self._answer(face, line)
        except (ConnectionError, ValueError):  # ValueError: a line over the limit
            pass
        finally:
            self.faces.pop(face.number, None)
            for task in waiting:  # nobody is left to tell
                task.cancel()
            writer.close()

    async def _answer(self, face: Face, line: bytes) -> None:
        request_id: Any = None
        try:
            message = decode(line)
            request_id = message.get("id")
            result = await self._result(face, message)
        except (RequestError, LineError) as exc:
            face.send(encode({"id": request_id, "ok": False, "error": str(exc)}))
            return
        except TiriError as exc:  # the server's answer, passed on in its own words
            # Its kind and the kinds it is a case of: a face rebuilds the
            # nearest one it knows (SessionExpired is a LoginRequired).
            kinds = [k.__name__ for k in type(exc).__mro__ if issubclass(k, TiriError)]
            face.send(encode({"id": request_id, "ok": False, "error": str(exc), "kinds": kinds}))
            return
        except Exception as exc:  # a request must never end the face, nor the agent
            log.exception("a %s face's request failed", face.name)
            error = f"the agent could not answer: {type(exc).__name__}"
            face.send(encode({"id": request_id, "ok": False, "error": error}))
            return
        # No await since the result was made: a face that began watching in
        # `hello` gets its first event after this reply, never before it.
        face.send(encode({"id": request_id, "ok": True, "result": result}))
        face.answered += 1

    async def _result(self, face: Face, message: dict[str, Any]) -> dict[str, Any]:
        controller = self.controller
        op = message.get("op")
        match op:
            case "hello":
                face.name = _face_name(message.get("face"))
                pid = message.get("pid")
                face.pid = pid if isinstance(pid, int) and not isinstance(pid, bool) else None
                result = {
                    **self._about(),
                    **answers.counts(self.controller),
                    "rows": answers.rows(self.controller, message),
                }
                face.watching = message.get("watch") is True
                return result
            case "status":
                return {
                    **self._about(),
                    **answers.counts(self.controller),
                    "alerts": self.alerts_in_force(),
                    "faces": [f.describe() for f in self.faces.values() if f is not face],
                }
            case "count":
                return {**self._about(), **answers.counts(self.controller)}
            case "rows":
                return {
                    **answers.counts(self.controller),
                    "rows": answers.rows(self.controller, message),
                }
            case "ids":
                return {
                    **answers.counts(self.controller),
                    "ids": answers.ids(self.controller, message),
                }
            case "mark":
                read = message.get("read", True)
                if not isinstance(read, bool):
                    raise RequestError("'read' must be true or false")
                mark = controller.mark_read if read else controller.mark_unread
                nid, hold = answers.id_of(message), answers.hold_of(message)
                action = IntentAction.MARK_READ if read else IntentAction.MARK_UNREAD
                before = controller.held.get(nid)
                if before is None:  # a row a face holds and this agent does not
                    intent = controller.send_unheld(action, nid, hold=hold)
                    return {"changed": intent is not None, "intent": self._kept(intent, None, hold)}
                intent = mark(nid, hold=hold)
                return {"changed": intent is not None, "intent": self._kept(intent, before, hold)}
            case "delete":
                nid, hold = answers.id_of(message), answers.hold_of(message)
                before = controller.held.get(nid)
                if before is None:
                    intent = controller.send_unheld(IntentAction.DELETE, nid, hold=hold)
                    return {"changed": intent is not None, "intent": self._kept(intent, None, hold)}
                intent = controller.delete(nid, hold=hold)
                return {"changed": intent is not None, "intent": self._kept(intent, before, hold)}
            case "undo":
                return self._undo_book.undo(controller, message.get("intents"))
            case "older":
                return await self._older(message)
            case "count_unread":
                filters = dashboard_requests.filters_of(message)
                return {"count": await controller.count_unread(filters)}
            case "mark_all_read":
                controller.mark_all_read()
                return {}
            case "breakdown":
                breakdown = await controller.unread_breakdown()
                return {"count": breakdown.count, "by_type": breakdown.by_type}
            case "count_read":
                return {"count": await controller.count_read()}
            case "clear_read":
                return {"deleted": await controller.clear_read()}
            case "preferences":
                return {"preferences": (await controller.preferences()).raw}
            case "refresh":
                return {"failure": await controller.refresh()}
            case "reconnect":
                controller.reconnect()
                return {}
            case "stop":
                self.stop.set()
                return {}
        raise RequestError(f"unknown op {op!r}")

    def _kept(self, intent: Any, before: Notification | None, hold: float) -> int | None:
        return self._undo_book.keep(intent, before) if hold > 0 else None

    async def _older(self, message: dict[str, Any]) -> dict[str, Any]:
        """Rows older than the face's oldest: held ones, then pages the agent
        fetches on (its list grows for every face: they are told, as ``paged``)."""
        controller = self.controller
        for _ in range(MAX_PAGES_PER_ANSWER):
            _start, count, _more = dashboard_requests.older(controller, message)
            if count >= message["limit"] or not controller.has_more:
                break
            fetching = controller.load_more()
            if fetching is None:
                break
            await fetching
            if controller.load_more_failure is not None:
                break
        # Where the face's oldest row is now (rows may have come and gone
        # while pages were fetched), and what lies below it.
        start, count, more = dashboard_requests.older(controller, message)
        held = controller.held
        return {
            "rows": [held[i].to_dict() for i in range(start, start + count)],
            "more": more,
            "failure": controller.load_more_failure if count == 0 else None,
        }

    def _about(self) -> dict[str, Any]:
        return {
            "agent": {
                "pid": os.getpid(),
                "version": __version__,
                "profile": self.profile,
                "server": self.server,
                "account": self.account,
                "since": _iso(self.started),
            },
            "connected_since": _iso(self.connected_since) if self.connected_since else None,
        }


def _op_of(line: bytes) -> object:
    try:
        return decode(line).get("op")
    except LineError:
        return None


def _face_name(value: object) -> str:
    if not isinstance(value, str):
        return "face"
    kept = "".join(ch for ch in value if ch.isalnum() or ch in "-_ ")
    return kept[:FACE_NAME_LIMIT] or "face"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")
