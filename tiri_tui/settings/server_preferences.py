"""The person's preferences on the server (shared with the phone), as last read.

Kept on disk per account, so a start uses the server's quiet hours at once
(before the server answers, or when it cannot be reached), and `tiri-tui
config` can say where the quiet hours in force come from. config.toml's
``quiet_hours`` wins; the server's are the default when it sets none.

The file functions block: callers on an event loop run them on a thread
(:func:`follow_server_preferences` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from msgspec import Struct

from tiri_tui.attention.rules import AttentionRules, QuietHours, RulesError, parse_quiet_hours
from tiri_tui.settings.private_file import write_private
from tiri_tui.wire.account import Preferences
from tiri_tui.wire.errors import ActionUnavailable, TiriError


class KnownPreferences(Struct, frozen=True):
    """What the server last said of the person's preferences."""

    #: False: the server has no preferences route (said once, then local only).
    offered: bool
    #: ``"22:00-07:00"``, or None: none set on the server.
    quiet_hours: str | None = None
    enabled_types: tuple[str, ...] = ()
    #: When it was read (local time, ISO, to the minute).
    read_at: str = ""

    @property
    def quiet(self) -> QuietHours | None:
        """The quiet hours as a span (None: none, or unreadable)."""
        if self.quiet_hours is None:
            return None
        try:
            return parse_quiet_hours(self.quiet_hours, "the server's preferences")
        except RulesError:
            return None


def known_from(prefs: Preferences, now: datetime) -> KnownPreferences:
    """The stored form of what the server just said."""
    span = prefs.quiet_hours
    quiet = None if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M}"
    return KnownPreferences(True, quiet, prefs.enabled_types, f"{now:%Y-%m-%d %H:%M}")


def not_offered(now: datetime) -> KnownPreferences:
    """The server answered that it keeps no preferences."""
    return KnownPreferences(False, read_at=f"{now:%Y-%m-%d %H:%M}")


def known_path(data_dir: Path, account_slug: str) -> Path:
    """Where an account's known preferences are kept."""
    return data_dir / f"{account_slug}-server-preferences.json"


def load_known(path: Path) -> KnownPreferences | None:
    """What was stored (None: nothing yet, or unreadable: read again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("offered"), bool):
        return None
    quiet, types = data.get("quiet_hours"), data.get("enabled_types", [])
    if quiet is not None and not isinstance(quiet, str):
        return None
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        return None
    read_at = data.get("read_at")
    return KnownPreferences(
        data["offered"], quiet, tuple(types), read_at if isinstance(read_at, str) else ""
    )


def save_known(path: Path, known: KnownPreferences) -> None:
    """Store atomically (a reader never sees half a file), readable by its owner only."""
    body = json.dumps(
        {
            "offered": known.offered,
            "quiet_hours": known.quiet_hours,
            "enabled_types": list(known.enabled_types),
            "read_at": known.read_at,
        }
    )
    write_private(path, body)


def quiet_hours_in_force(
    rules: AttentionRules | None, known: KnownPreferences | None
) -> tuple[QuietHours | None, str]:
    """The quiet hours that apply and where they come from, in words:
    config.toml's, else the server's, else none."""
    if rules is not None and rules.quiet_hours is not None:
        return rules.quiet_hours, "config.toml"
    if known is None:
        return None, "none: the server's preferences are not read yet"
    if not known.offered:
        return None, "none: the server keeps no preferences, and config.toml sets none"
    if known.quiet is None:
        return None, f"none: none in the server's preferences, read {known.read_at}"
    return known.quiet, f"the server's preferences, shared with the phone, read {known.read_at}"


#: How often a running dashboard or agent reads the server's preferences again
#: (a change made on the phone is followed within this).
FOLLOW_EVERY = 300.0


async def follow_server_preferences(
    ask: Callable[[], Awaitable[Preferences]],
    path: Path,
    use: Callable[[KnownPreferences | None], None],
    missing: Callable[[], None],
    *,
    alive: Callable[[], bool] = lambda: True,
    every: float = FOLLOW_EVERY,
    now: Callable[[], datetime] = datetime.now,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Use what was stored at once, then what the server says, read again
    every ``every`` seconds while ``alive()``; each change is stored.
    ``missing`` is called when the server is first found to keep none (once:
    the finding is stored, so a later start does not say it again)."""
    known = await asyncio.to_thread(load_known, path)
    use(known)
    while alive():
        fresh: KnownPreferences | None
        try:
            fresh = known_from(await ask(), now())
        except ActionUnavailable:
            if known is None or known.offered:
                missing()
            fresh = not_offered(now())
        except (TiriError, OSError):
            fresh = known  # not reached now: what was known stays in force
        if fresh is not None and (known is None or _differs(fresh, known)):
            with contextlib.suppress(OSError):  # kept for next time; in force all the same
                await asyncio.to_thread(save_known, path, fresh)
            known = fresh
            use(known)
        await sleep(every)


def _differs(a: KnownPreferences, b: KnownPreferences) -> bool:
    return (a.offered, a.quiet_hours, a.enabled_types) != (
        b.offered,
        b.quiet_hours,
        b.enabled_types,
    )
