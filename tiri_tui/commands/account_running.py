"""What `clear-read` runs: through the profile's agent when one serves this
server (so every face's list follows), else alone over REST (the local cache
follows).

Clearing changes the world: it is sent once, after the person said yes to a
question that states the server's count, never queued or replayed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from tiri_tui.client import TiriClient
from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, fail, with_client
from tiri_tui.settings.config import Settings
from tiri_tui.wire.errors import ActionUnavailable, LoginRequired, NotLoggedIn, TiriError
from tiri_tui.wire.text import one_line

if TYPE_CHECKING:
    from tiri_tui.agent.link import AgentLink

#: Exit status when the server lacks the route (as `act` says "not available").
EXIT_UNAVAILABLE = 3


class _Clearer:
    """Who counts and clears: the agent, or this process alone."""

    def __init__(
        self,
        count_read: Callable[[], Awaitable[int]],
        clear_read: Callable[[], Awaitable[int | None]],
    ) -> None:
        self.count_read, self.clear_read = count_read, clear_read


@asynccontextmanager
async def _clearer(client: TiriClient) -> AsyncIterator[_Clearer]:
    settings = client.settings
    link = None
    if not settings.no_agent:
        link = await _agent_for(settings)
    if link is not None:
        from tiri_tui.agent import attached_account

        try:
            yield _Clearer(
                lambda: attached_account.count_read(link),
                lambda: attached_account.clear_read(link),
            )
        finally:
            await link.aclose()
        return
    if client.auth.session is None:
        raise NotLoggedIn(settings.server)
    from tiri_tui.connection.account import AccountApi

    account = AccountApi(client.api)

    async def count_read() -> int:
        return (await client.api.list(page_size=1, is_read=True)).count

    async def clear_read() -> int | None:
        deleted = await account.clear_read()
        # The cache is a file: off the loop. A dashboard running alone keeps
        # the rows it holds until it next reloads; the agent's faces follow.
        await asyncio.to_thread(client.forget_read_cached)
        return deleted

    yield _Clearer(count_read, clear_read)


async def _agent_for(settings: Settings) -> AgentLink | None:
    """A link to the profile's agent if it serves this server with a session."""
    from tiri_tui.agent.endpoint import agent_socket
    from tiri_tui.agent.link import AgentLost, AgentRefused, attach

    path = agent_socket(settings)
    link = None if path is None else await attach(path, lambda _event: None)
    if link is None:
        return None
    try:
        answer = await link.request("count")
    except (AgentLost, AgentRefused):
        answer = {}
    if answer.get("agent", {}).get("server") == settings.server and not answer.get("needs_login"):
        return link
    await link.aclose()
    return None


def _confirmed(count: int, server: str) -> bool:
    if not sys.stdin.isatty():
        fail(
            f"{count:,} read notifications would be deleted: add --yes to do it without a terminal"
        )
        return False
    plural = "notification" if count == 1 else "notifications"
    try:
        answer = input(f"Delete the {count:,} read {plural} on {server}, for good? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        print()
        fail("nothing deleted")
        return False
    if answer.strip().lower() in ("y", "yes"):
        return True
    fail("nothing deleted")
    return False


async def _counted(client: TiriClient, counts: list[int]) -> int:
    """Ask how many read notifications the server holds (into ``counts``)."""
    return await _classified(client, lambda clearer: _count(clearer, counts))


async def _count(clearer: _Clearer, counts: list[int]) -> None:
    counts.append(await clearer.count_read())


async def _cleared(client: TiriClient) -> int:
    async def clear(clearer: _Clearer) -> None:
        deleted = await clearer.clear_read()
        said = "the read notifications" if deleted is None else f"{deleted:,} read notifications"
        print(f"Cleared {said} from {client.settings.server}.")

    return await _classified(client, clear)


async def _classified(client: TiriClient, work: Callable[[_Clearer], Awaitable[None]]) -> int:
    """Run ``work`` with whoever clears; what went wrong said, as an exit code."""
    try:
        async with _clearer(client) as clearer:
            await work(clearer)
    except ActionUnavailable as exc:
        fail(one_line(str(exc)))
        return EXIT_UNAVAILABLE
    except LoginRequired:
        raise
    except TiriError as exc:  # unreachable, refused, no answer: said, never a traceback
        fail(f"clear read: {one_line(str(exc))}")
        return EXIT_ERROR
    return EXIT_OK


def run_clear_read(settings: Settings, *, yes: bool) -> int:
    """`tiri-tui clear-read` (exit 0 cleared or nothing to clear, 1 not done,
    2 not logged in, 3 the server cannot). The question is asked between two
    runs of the event loop, so ctrl+c at it ends the command at once."""
    counts: list[int] = []
    code = with_client(settings, lambda client: _counted(client, counts))
    if code != EXIT_OK:
        return code
    if counts[0] == 0:
        print(f"No read notifications on {settings.server}: nothing to clear.")
        return EXIT_OK
    if not yes and not _confirmed(counts[0], settings.server):
        return EXIT_ERROR
    return with_client(settings, _cleared)
