"""`count` and `count --watch` through the profile's agent: its count, no
request to the server and no socket of their own.

A watching face prints each change the agent reports; while the agent is gone
the last count is shown stale, and it is followed again once the agent is
back. If it does not come back, the watch carries on standalone.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from tiri_tui.agent import attached_account
from tiri_tui.agent.endpoint import agent_socket
from tiri_tui.agent.link import ANSWER_TIMEOUT, AgentLost, AgentRefused, attach, hello, reattach
from tiri_tui.commands.count_lines import Reading, Shown
from tiri_tui.connection.policy import StateCode
from tiri_tui.settings.config import Settings
from tiri_tui.wire.errors import TiriError, login_advice
from tiri_tui.wire.text import one_line

EXIT_SESSION = 2
#: Hellos in a row that may fail before the watch carries on alone.
FAILED_HELLOS = 3


async def count_from_agent(
    settings: Settings, timeout: float = ANSWER_TIMEOUT, *, breakdown: bool = False
) -> Reading | None:
    """The agent's count (stale when what it holds is not the server's now);
    None: no agent for this server, no answer within ``timeout``, or it does
    not know a count yet. ``breakdown``: the agent asks the server for the
    split by type too (when that fails, the agent's count without it)."""
    path = agent_socket(settings)
    link = None if path is None else await attach(path, lambda _event: None)
    if link is None:
        return None
    try:
        answer = await link.request("count", timeout=timeout)
        count = answer.get("unread_count")
        if not isinstance(count, int) or answer.get("needs_login") or not _ours(answer, settings):
            return None  # alone, the count asks the server (or says how to log in)
        reading = Reading(count, not answer.get("current"))
        if breakdown:
            # The agent could not ask the server (or not in time): its count,
            # without the split, as a standalone count would have its cache's.
            with contextlib.suppress(TiriError, TimeoutError):
                split = await asyncio.wait_for(attached_account.breakdown(link), timeout)
                reading = Reading(split.count, False, split.by_type)
        return reading
    except (AgentLost, AgentRefused):
        return None
    finally:
        await link.aclose()


def _ours(answer: dict[str, Any], settings: Settings) -> bool:
    """The agent serves the server this face was asked for (`--server` may name another)."""
    return bool(answer.get("agent", {}).get("server") == settings.server)


async def watch_through_agent(settings: Settings, shown: Shown, stop: asyncio.Event) -> int | None:
    """Print the agent's count at each change until ``stop``: the exit code;
    None when there is no agent (or it went away for good)."""
    path = agent_socket(settings)
    if path is None:
        return None
    knows: dict[str, Any] = {}
    ended = asyncio.Event()

    def on_message(message: dict[str, Any]) -> None:
        knows.update({k: message[k] for k in ("unread_count", "current") if k in message})
        if message.get("event") == "state" and _needs_login(message.get("code")):
            knows["reason"] = message.get("reason", "")
            ended.set()
        _show(shown, knows)

    link = await attach(path, lambda _event: None, on_message)
    failures = 0
    while link is not None:
        try:
            answer: dict[str, Any] | None = await link.request(
                "hello", **hello("count", watch=True)
            )
        except (AgentLost, AgentRefused):
            answer = None
        if answer is not None and not _ours(answer, settings):
            await link.aclose()
            return None
        failures = 0 if answer is not None else failures + 1
        if answer is not None:
            on_message({**answer, "event": "state" if answer.get("needs_login") else "hello"})
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, link.lost, ended)]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        await link.aclose()
        if ended.is_set():
            print(
                f"tiri-tui: {one_line(str(knows.get('reason')))} — {login_advice(settings.server)}",
                file=sys.stderr,
            )
            return EXIT_SESSION
        if stop.is_set():
            return 0
        knows["current"] = False  # nobody holds the socket for this face now
        _show(shown, knows)
        if failures >= FAILED_HELLOS:
            break  # it answers no more: carry on alone
        link = await reattach(path, lambda _event: None, on_message, stop)
    return 0 if stop.is_set() else None


def _needs_login(code: object) -> bool:
    try:
        return StateCode(code).needs_login
    except ValueError:
        return False


def _show(shown: Shown, knows: dict[str, Any]) -> None:
    count = knows.get("unread_count")
    if isinstance(count, int):
        shown.show(Reading(count, not knows.get("current")))
