"""A face's side of the local endpoint: requests with ids, events as they come.

:func:`attach` connects to the profile's agent if one is listening (None:
there is none — the face runs standalone). Requests are answered by id (in
order, but for those that wait for the server); events go to the face's
callback as controller events, so a face that attaches is told exactly what
a standalone controller would tell it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiri_tui.agent.endpoint import is_private, peer_uid
from tiri_tui.agent.local_protocol import LINE_LIMIT, LineError, decode, encode, event_of
from tiri_tui.sync.events import ControllerEvent
from tiri_tui.wire.errors import TiriError

log = logging.getLogger(__name__)

#: Lines taken from the agent before the face's loop is let in.
LINES_PER_TURN = 100
#: How long a face waits for the agent to answer (it answers from memory: a
#: slow answer means a stuck agent, and the face carries on without it).
ANSWER_TIMEOUT = 10.0


class AgentLost(TiriError):
    """The agent went away (it stopped, crashed, or cut this face off)."""


class AgentRefused(TiriError):
    """The agent answered a request with an error (``kinds``: the names of the
    error it met at the server and of what it is a case of, when it was one;
    the message is its words)."""

    def __init__(self, message: str, kinds: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        #: The error's kind first, then the kinds it is a case of.
        self.kinds = kinds


class AgentLink:
    """One face's connection to the agent."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_event: Callable[[ControllerEvent], None],
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_event = on_event
        self._on_message = on_message
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._then: dict[int, Callable[[dict[str, Any]], None]] = {}
        #: Set when the agent went away (or the link was closed).
        self.lost = asyncio.Event()
        self._reading = asyncio.ensure_future(self._read())

    def rebind(
        self,
        on_event: Callable[[ControllerEvent], None],
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Tell ``on_event`` (and ``on_message``) from now on."""
        self._on_event, self._on_message = on_event, on_message

    async def request(
        self,
        op: str,
        *,
        timeout: float = ANSWER_TIMEOUT,
        then: Callable[[dict[str, Any]], None] | None = None,
        **arguments: Any,
    ) -> dict[str, Any]:
        """Ask the agent; its result, AgentRefused (with its words) or AgentLost
        (also when it does not answer within ``timeout`` seconds).

        ``then`` is given the result as soon as it is read, before any event
        read after it: what the answer shows is applied before what changed
        since (the caller resumes only a turn or two of the loop later)."""
        if self.lost.is_set():
            raise AgentLost("the agent is gone")
        request_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = answer
        if then is not None:
            self._then[request_id] = then
        try:
            self._writer.write(encode({"id": request_id, "op": op, **arguments}))
            reply = await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            self.close()
            raise AgentLost("the agent did not answer") from None
        except ConnectionError:
            self.close()
            raise AgentLost("the agent is gone") from None
        finally:
            self._waiting.pop(request_id, None)
            self._then.pop(request_id, None)
        if not reply.get("ok"):
            kinds = reply.get("kinds")
            named = tuple(k for k in kinds if isinstance(k, str)) if isinstance(kinds, list) else ()
            raise AgentRefused(str(reply.get("error", "refused")), named)
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    async def _read(self) -> None:
        taken = 0
        try:
            while line := await self._reader.readline():
                self._take(decode(line))
                taken += 1
                if taken % LINES_PER_TURN == 0:
                    # A burst (the agent marking 100,000 rows read) is read
                    # without waiting: let the face's keys and paints in.
                    await asyncio.sleep(0)
        except (ConnectionError, ValueError, LineError) as exc:  # ValueError: over the limit
            log.warning("the agent's connection ended: %s", exc)
        finally:
            self._end()

    def _take(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        if isinstance(request_id, int) and request_id in self._waiting:
            answer = self._waiting[request_id]
            then = self._then.pop(request_id, None)
            if answer.done():
                return
            if then is not None and message.get("ok"):
                result = message.get("result")
                try:
                    then(result if isinstance(result, dict) else {})
                except Exception as exc:  # the caller's to handle, as a failed answer
                    answer.set_exception(exc)
                    return
            answer.set_result(message)
            return
        if message.get("event") == "refused":
            log.warning("the agent refused this face: %s", message.get("message"))
            return
        if self._on_message is not None:
            self._on_message(message)
        event = event_of(message)  # LineError: the connection ends, the face re-attaches
        if event is not None:
            self._on_event(event)

    def _end(self) -> None:
        self.lost.set()
        for answer in self._waiting.values():
            if not answer.done():
                answer.set_exception(AgentLost("the agent is gone"))
        self._writer.close()

    def close(self) -> None:
        """Detach (the agent forgets this face at once)."""
        self._reading.cancel()
        self._end()

    async def aclose(self) -> None:
        self.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reading


async def attach(
    path: Path,
    on_event: Callable[[ControllerEvent], None],
    on_message: Callable[[dict[str, Any]], None] | None = None,
) -> AgentLink | None:
    """A link to the agent listening at ``path``; None when none is (no socket,
    or a stale one nobody listens on)."""
    if not hasattr(asyncio, "open_unix_connection"):  # Windows: no agent, ever
        return None
    try:
        reader, writer = await asyncio.open_unix_connection(str(path), limit=LINE_LIMIT)
    except (FileNotFoundError, ConnectionRefusedError):
        return None
    except OSError as exc:  # permissions: somebody else's, or not ours to use
        log.warning("cannot reach the agent at %s: %s", path, exc)
        return None
    # Only our own agent, in our own private directory, is trusted with what a
    # face shows and sends (a directory in /tmp may be anyone's first).
    uid = peer_uid(writer.get_extra_info("socket"))
    private = await asyncio.to_thread(is_private, path.parent)  # a stat: off the loop
    if not private or (uid is not None and uid != os.getuid()):
        log.warning("not attaching to %s: not a private socket of this user's", path)
        writer.close()
        return None
    return AgentLink(reader, writer, on_event, on_message)


def hello(face: str, **arguments: Any) -> dict[str, Any]:
    """The arguments of a face's ``hello``."""
    return {"face": face, "pid": os.getpid(), **arguments}


#: How long a face whose agent went away waits for it to come back (systemd
#: restarts it within seconds) before it carries on standalone.
REATTACH_PATIENCE = 10.0
#: How often it looks meanwhile.
REATTACH_INTERVAL = 0.1


async def reattach(
    path: Path,
    on_event: Callable[[ControllerEvent], None],
    on_message: Callable[[dict[str, Any]], None] | None,
    stop: asyncio.Event,
    patience: float | None = None,
) -> AgentLink | None:
    """A link to the agent once it listens again; None if it does not within
    ``patience`` seconds (:data:`REATTACH_PATIENCE`), or ``stop`` is set."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (REATTACH_PATIENCE if patience is None else patience)
    while not stop.is_set() and loop.time() < deadline:
        link = await attach(path, on_event, on_message)
        if link is not None:
            return link
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REATTACH_INTERVAL)
    return None


#: How often an open dashboard looks for an agent to tell that it is open.
PRESENCE_INTERVAL = 2.0


async def stay_present(path: Path, face: str, interval: float = PRESENCE_INTERVAL) -> None:
    """Keep the profile's agent, whenever one runs, told that ``face`` is open
    (it then leaves alerting to it); until cancelled."""
    while True:
        link = await attach(path, lambda _event: None)
        if link is not None:
            try:
                await link.request("hello", **hello(face, watch=False))
                await link.lost.wait()
            except (AgentLost, AgentRefused):
                pass
            finally:
                await link.aclose()
        await asyncio.sleep(interval)
