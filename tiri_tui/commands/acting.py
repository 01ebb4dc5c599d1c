"""What `tiri-tui act` runs: the notification's menu listed, or one action done.

Everything the server wrote (titles, names, messages, its refusals) is
printed inert; the person's text goes to the server as given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import TYPE_CHECKING, Any

from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, fail
from tiri_tui.wire.acting import ActionName
from tiri_tui.wire.errors import (
    ActionNotSent,
    ActionRefused,
    ActionUnavailable,
    ApiError,
    LoginRequired,
    OutcomeUnknown,
    TiriError,
)
from tiri_tui.wire.text import inert, one_line

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient
    from tiri_tui.connection.acting import ActingApi
    from tiri_tui.connection.action_menu import Action, Menu

#: Nothing to do there: no such action for the notification, or not on this server.
EXIT_UNAVAILABLE = 3


async def run_act(client: TiriClient, args: argparse.Namespace, text: str | None) -> int:
    """List the actions of ``args.notification``, or do ``args.action``."""
    from tiri_tui.connection.acting import ActingApi
    from tiri_tui.connection.action_menu import menu_for
    from tiri_tui.wire.acting import safe_id

    if client.auth.session is None:
        from tiri_tui.wire.errors import NotLoggedIn

        raise NotLoggedIn(client.settings.server)
    nid = args.notification
    if safe_id(nid) is None:
        fail(f"{one_line(nid)!r} is not a notification id")
        return EXIT_UNAVAILABLE
    api = ActingApi(client.api)
    try:
        notification = await client.api.detail(nid)
        menu = await menu_for(api, notification)
    except LoginRequired:
        raise
    except ApiError as exc:
        if exc.status == 404:
            fail(f"no notification {one_line(nid)} on {client.settings.server}")
            return EXIT_UNAVAILABLE
        fail(one_line(str(exc)))
        return EXIT_ERROR
    except TiriError as exc:
        fail(one_line(str(exc)))
        return EXIT_ERROR
    if args.action is None:
        _list(menu, as_json=args.json)
        return EXIT_OK if menu.actions else EXIT_UNAVAILABLE
    return await _do(api, menu, args, text)


# -- listing -----------------------------------------------------------------------------------
def _list(menu: Menu, *, as_json: bool) -> None:
    if as_json:
        for action in menu.actions:
            print(json.dumps(_details(menu, action), ensure_ascii=False))
        if not menu.actions:
            fail(f"nothing to do: {menu.why_nothing}")
        return
    n = menu.notification
    print(f"{one_line(n.title)} — {one_line(n.message, 100)}")
    if menu.request is not None:
        r = menu.request
        print(
            f"  request: {one_line(r.title)} ({one_line(r.status)})"
            + (f", {one_line(r.location)}" if r.location else "")
            + (f", {_when(r.date_needed)}" if r.date_needed else "")
        )
    for action in menu.actions:
        print(f"  {_usage(action):<38} {one_line(action.label, 60)}")
        if message := menu.offer_message(action):
            print(f"  {'':<38}   “{one_line(message, 58)}”")
    for note in menu.notes:
        print(f"  ({one_line(note)})")
    if not menu.actions:
        fail(f"nothing to do: {menu.why_nothing}")


def _usage(action: Action) -> str:
    from tiri_tui.connection.action_menu import TextNeed

    parts = [action.name.value]
    if action.volunteer_id is not None:
        parts.append(f"--volunteer {one_line(action.volunteer_id)}")
    if action.text is TextNeed.REQUIRED:
        parts.append("--text …")
    elif action.text is TextNeed.OPTIONAL:
        parts.append("[--text …]")
    return " ".join(parts)


def _details(menu: Menu, action: Action) -> dict[str, Any]:
    out = action.as_json()
    applied = menu.applied(action.volunteer_id)
    if applied is not None:
        out["volunteer"] = {
            "id": applied.volunteer_id,
            "name": applied.name,
            "message": applied.message,
            "status": applied.status,
            "applied_at": applied.applied_at,
        }
    member = next((m for m in menu.members if m.id == action.approval_id), None)
    if member is not None:
        out["member"] = {
            "approval_id": member.id,
            "name": member.name,
            "email": member.email,
            "requested_at": member.requested_at,
        }
    if menu.request is not None and action.request_id is not None:
        r = menu.request
        out["request"] = {
            "id": r.id,
            "title": r.title,
            "status": r.status,
            "location": r.location,
            "date_needed": r.date_needed,
        }
    return out


def _when(stamp: str) -> str:
    """A server's ISO time in the person's time zone ("Sat 05 Dec 14:30"), or
    the server's text, inert, when it is not one."""
    from tiri_tui.wire.models import WireError, parse_timestamp

    try:
        return parse_timestamp(stamp, "time").astimezone().strftime("%a %d %b %H:%M")
    except WireError:
        return one_line(stamp, 30)


# -- doing -------------------------------------------------------------------------------------
async def _do(api: ActingApi, menu: Menu, args: argparse.Namespace, text: str | None) -> int:
    from tiri_tui.connection.action_menu import TextNeed
    from tiri_tui.connection.action_run import perform, recheck

    chosen = _choose(menu, args)
    if isinstance(chosen, int):
        return chosen
    action = chosen
    if action.name.value == "messages":
        return await _print_conversation(api, action)
    if action.text is TextNeed.REQUIRED and not (text or "").strip():
        fail(f"{action.name.value} needs --text (or --text-stdin): the {action.text_label}")
        return EXIT_ERROR
    if action.name.destructive and not args.yes and not _confirmed(action):
        return EXIT_ERROR
    try:
        words = await perform(api, action, text or "")
    except ActionRefused as exc:
        fail(("already done: " if exc.already else "refused: ") + one_line(exc.words))
        return EXIT_ERROR
    except ActionUnavailable as exc:
        fail(one_line(str(exc)))
        return EXIT_UNAVAILABLE
    except ActionNotSent as exc:
        fail(one_line(str(exc)))
        return EXIT_ERROR
    except OutcomeUnknown as exc:
        fail(one_line(str(exc)))
        seen = await recheck(api, action, text or "")
        if seen.done is True:
            print(f"done (read again: {seen.words})")
            return EXIT_OK
        fail(f"the server now shows: {one_line(seen.words)} — nothing was retried")
        return EXIT_ERROR
    except TiriError as exc:  # a 429, a server failure: said, never a traceback
        fail(one_line(str(exc)))
        return EXIT_ERROR
    print(one_line(words))
    return EXIT_OK


def _choose(menu: Menu, args: argparse.Namespace) -> Action | int:
    wanted = [a for a in menu.actions if a.name.value == args.action]
    if args.volunteer is not None:
        wanted = [a for a in wanted if a.volunteer_id == args.volunteer]
    if args.member is not None:
        wanted = [a for a in wanted if a.approval_id == args.member]
    if not wanted and args.volunteer is not None:
        decided = menu.for_volunteer(ActionName(args.action), args.volunteer)
        wanted = [decided] if decided is not None else []
    if not wanted:
        why = menu.why_nothing or "not on offer for this notification"
        fail(f"cannot {args.action} here: {why}" + _see(menu))
        return EXIT_UNAVAILABLE
    if len(wanted) > 1:
        choices = ", ".join(_usage(a) for a in wanted)
        fail(f"{args.action} whom? {choices}")
        return EXIT_ERROR
    return wanted[0]


def _see(menu: Menu) -> str:
    if not menu.actions:
        return ""
    return " (on offer: " + ", ".join(sorted({a.name.value for a in menu.actions})) + ")"


def _confirmed(action: Action) -> bool:
    if not sys.stdin.isatty():
        fail(f"{action.name.value} cannot be undone: add --yes to do it without a terminal")
        return False
    try:
        answer = input(f"{one_line(action.label)}? This cannot be undone. [y/N] ")
    except (EOFError, KeyboardInterrupt):
        print()
        return False
    if answer.strip().lower() in ("y", "yes"):
        return True
    fail("not done")
    return False


async def _print_conversation(api: ActingApi, action: Action) -> int:
    assert action.room_id is not None
    try:
        messages, older = await api.messages(action.room_id)
    except ActionUnavailable as exc:
        fail(one_line(str(exc)))
        return EXIT_UNAVAILABLE
    except TiriError as exc:
        fail(one_line(str(exc)))
        return EXIT_ERROR
    if older:
        print("(older messages not shown)")
    for message in messages:
        stamp = _when(message.timestamp)
        print(f"{stamp}  {one_line(message.sender_name)}: {inert(message.content)}")
    # Read here; when the server cannot be told now, its flag waits for the next reading.
    with contextlib.suppress(TiriError):
        await api.mark_room_read(action.room_id)
    return EXIT_OK
