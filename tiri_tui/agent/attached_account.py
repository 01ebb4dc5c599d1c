"""An attached dashboard's account-wide requests, answered by the agent: the
unread count by type, how many read notifications the server holds, clearing
them (the agent's list, and so every face's, follows), and the person's
preferences.

An error the agent met at the server comes back as the same kind of error,
in the server's words, so a face says it as it would standalone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tiri_tui.agent.link import AgentLink, AgentLost, AgentRefused
from tiri_tui.connection.account import Breakdown
from tiri_tui.wire.account import Preferences, preferences_from, shown_type
from tiri_tui.wire.errors import (
    ActionNotSent,
    ActionRefused,
    ActionUnavailable,
    LoginRequired,
    OutcomeUnknown,
    ServerUnreachable,
    TiriError,
)
from tiri_tui.wire.models import WireError

#: How long a face waits for the agent to ask the server (it may be slow).
SERVER_WAIT = 60.0
_KINDS: dict[str, Callable[[str], TiriError]] = {
    "ActionUnavailable": ActionUnavailable,
    "ActionNotSent": ActionNotSent,
    "OutcomeUnknown": OutcomeUnknown,
    "ActionRefused": lambda words: ActionRefused(words, already="already" in words.lower()),
    "ServerUnreachable": ServerUnreachable,
    "LoginRequired": LoginRequired,
}


def as_met(refused: AgentRefused) -> TiriError:
    """The error the agent met, as the nearest kind this face knows (else the
    refusal itself, a TiriError all the same)."""
    for kind in refused.kinds:
        if kind in _KINDS:
            return _KINDS[kind](str(refused))
    return refused


async def _ask(link: AgentLink, op: str) -> dict[str, Any]:
    try:
        return await link.request(op, timeout=SERVER_WAIT)
    except AgentRefused as refused:
        raise as_met(refused) from None


def _count(answer: dict[str, Any]) -> int:
    count = answer.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise AgentRefused("the agent's count is not a number")
    return count


async def breakdown(link: AgentLink) -> Breakdown:
    answer = await _ask(link, "breakdown")
    raw = answer.get("by_type")
    by_type = None
    if isinstance(raw, dict):  # the agent made the names inert; a face checks again
        by_type = {shown_type(str(k)): v for k, v in raw.items() if isinstance(v, int) and v > 0}
    return Breakdown(_count(answer), by_type)


async def count_read(link: AgentLink) -> int:
    return _count(await _ask(link, "count_read"))


async def clear_read(link: AgentLink) -> int | None:
    try:
        answer = await _ask(link, "clear_read")
    except AgentLost:
        # It may have sent the call before it went: the outcome is not known.
        raise OutcomeUnknown(
            "the agent went away before it answered: the read notifications may or may not "
            "be cleared"
        ) from None
    deleted = answer.get("deleted")
    return deleted if isinstance(deleted, int) and not isinstance(deleted, bool) else None


async def preferences(link: AgentLink) -> Preferences:
    """The person's preferences, as the agent read them from the server now."""
    answer = await _ask(link, "preferences")
    try:
        return preferences_from(answer.get("preferences"))
    except WireError as exc:
        raise AgentRefused(f"the agent's preferences are malformed: {exc.reason}") from None
