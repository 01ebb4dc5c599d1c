"""What `prefs` runs: the preferences read from the server, changed one key
at a time and written back whole (PUT, once), and what it said kept for the
dashboard, the agent and `config` (settings.server_preferences)."""

from __future__ import annotations

import argparse
import asyncio
import json
import textwrap
from datetime import datetime
from pathlib import Path

from tiri_tui.attention.rules import RulesError, parse_quiet_hours
from tiri_tui.client import TiriClient
from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, fail, with_client
from tiri_tui.connection.account import AccountApi
from tiri_tui.settings.config import Settings
from tiri_tui.settings.server_preferences import (
    KnownPreferences,
    known_from,
    not_offered,
    save_known,
)
from tiri_tui.wire.account import Preferences, with_flag, with_quiet_hours, with_types
from tiri_tui.wire.errors import ActionUnavailable, LoginRequired, NotLoggedIn, TiriError
from tiri_tui.wire.models import KNOWN_TYPES
from tiri_tui.wire.text import one_line

#: Exit status when the server keeps no preferences (as `act` says "not available").
EXIT_UNAVAILABLE = 3


SWITCHES = {"email": "email_enabled", "push": "push_enabled", "sms": "sms_enabled"}


class Refused(Exception):
    """What was typed cannot be sent (said in words; nothing sent)."""


def change_of(args: argparse.Namespace, prefs: Preferences) -> dict[str, object] | None:
    """The whole object to write back for the action asked (None: only show)."""
    if args.prefs_action == "set":
        value = args.value.strip()
        if args.key == "quiet-hours":
            if value.lower() in ("off", "none"):
                return with_quiet_hours(prefs, None)
            try:
                span = parse_quiet_hours(value, "quiet-hours")
            except RulesError as exc:
                raise Refused(str(exc)) from None
            return with_quiet_hours(prefs, (span.start, span.end))
        if value.lower() not in ("on", "off"):
            raise Refused(f"{args.key} is on or off, not {one_line(value, 40)!r}")
        return with_flag(prefs, SWITCHES[args.key], value.lower() == "on")
    if args.prefs_action == "types":
        add: list[str] = []
        remove: list[str] = []
        for word in args.changes:
            sign, name = word[:1], word[1:]
            if sign not in ("+", "-") or not name:
                raise Refused(f"{one_line(word, 40)!r}: write +TYPE to want it, -TYPE not to")
            (add if sign == "+" else remove).append(name)
        return with_types(prefs, add, remove)
    return None


def _unknown_types(args: argparse.Namespace, prefs: Preferences) -> list[str]:
    if args.prefs_action != "types":
        return []
    known = set(KNOWN_TYPES) | set(prefs.enabled_types)
    return [w[1:] for w in args.changes if w[:1] == "+" and w[1:] not in known]


def describe(prefs: Preferences, server: str) -> list[str]:
    """The preferences in words (the server's type names made inert)."""
    span = prefs.quiet_hours
    quiet = "none" if span is None else f"{span[0]:%H:%M}-{span[1]:%H:%M}"
    wanted = set(prefs.enabled_types)
    lines = [
        f"Preferences on {server} (shared with the phone):",
        f"  quiet hours  {quiet}",
        f"  email        {'on' if prefs.email_enabled else 'off'}",
        f"  push         {'on' if prefs.push_enabled else 'off'}",
        f"  sms          {'on' if prefs.sms_enabled else 'off'}",
        *_listed("wanted", [one_line(t, 48) for t in prefs.enabled_types] or ["none"]),
    ]
    unwanted = [t for t in KNOWN_TYPES if t not in wanted]
    if unwanted:
        lines += _listed("not wanted", unwanted)
    return lines


def _listed(label: str, names: list[str]) -> list[str]:
    """``label`` and the names, wrapped to a terminal's 80 columns."""
    return textwrap.wrap(
        ", ".join(names),
        width=78,
        initial_indent=f"  {label:<11}  ",
        subsequent_indent=" " * 15,
        break_on_hyphens=False,
    )


async def _prefs(client: TiriClient, args: argparse.Namespace) -> int:
    if client.auth.session is None:
        raise NotLoggedIn(client.settings.server)
    account, path = AccountApi(client.api), client.known_preferences_path()
    prefs: Preferences | None = None
    try:
        prefs = await account.preferences()
        change = change_of(args, prefs)
        if change is not None:
            for name in _unknown_types(args, prefs):
                fail(
                    f"warning: {one_line(name, 48)!r} is not a type this client knows; sent as typed"
                )
            prefs = await account.save_preferences(change)
    except Refused as exc:
        fail(str(exc))
        return EXIT_ERROR
    except ActionUnavailable as exc:
        if prefs is not None:  # it answered the reading: it keeps them, takes no change
            fail("prefs: this server does not take changes to the preferences (nothing changed)")
        else:
            await _keep(path, not_offered(datetime.now()))
            fail(f"{one_line(str(exc))}: quiet hours come from config.toml alone")
        return EXIT_UNAVAILABLE
    except LoginRequired:
        raise
    except TiriError as exc:
        fail(f"prefs: {one_line(str(exc))}")
        return EXIT_ERROR
    await _keep(path, known_from(prefs, datetime.now()))
    if args.json:
        print(json.dumps(prefs.raw))
    else:
        print("\n".join(describe(prefs, client.settings.server)))
    return EXIT_OK


async def _keep(path: Path, known: KnownPreferences) -> None:
    """Keep what the server said for the dashboard, the agent and `config`; a
    file that cannot be written is said, and changes nothing at the server."""
    try:
        await asyncio.to_thread(save_known, path, known)
    except OSError as exc:
        fail(f"warning: cannot keep a copy of the preferences in {path}: {exc.strerror}")


def run_prefs(settings: Settings, args: argparse.Namespace) -> int:
    """`tiri-tui prefs` (exit 0 done, 1 not done, 2 not logged in, 3 no preferences here)."""
    return with_client(settings, lambda client: _prefs(client, args))
