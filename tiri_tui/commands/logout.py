"""`tiri-tui logout`: log out and forget the stored session."""

from __future__ import annotations

import asyncio

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, client


def _run(invocation: Invocation) -> int:
    settings = invocation.settings

    async def logout() -> bool:
        async with client(settings) as opened:
            had = opened.auth.session is not None
            await opened.auth.logout()
            return had

    had_session = asyncio.run(logout())
    print(
        f"Logged out of {settings.server}."
        if had_session
        else f"Not logged in to {settings.server}."
    )
    return EXIT_OK


COMMAND = Command("logout", "log out and forget the stored session", _run)
