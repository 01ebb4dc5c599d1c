"""`tiri-tui dnd`: do not disturb, for every face on this machine."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, Command, Invocation, Needs, fail

if TYPE_CHECKING:
    from tiri_tui.attention.do_not_disturb import DoNotDisturb

_DESCRIPTION = """\
Silence alerts and the bell for a while, in every running dashboard, web tab
and agent of this user on this machine (within a second), then get one line
and one alert saying what came meanwhile ("While you were away: 14 new, 2
urgent"). Rules with action = "alert" still get through.

  tiri-tui dnd on                 until turned off
  tiri-tui dnd on --for 1h        30m, 1h30m, 2d (a bare number is minutes)
  tiri-tui dnd on --until 18:00   the next 18:00 on this machine's clock
  tiri-tui dnd off
  tiri-tui dnd status [--json]    (the default)

In the dashboard, its do-not-disturb key (Z, unless [keymap] moves it)
does the same."""


def _arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="dnd_action", metavar="ACTION")
    on = actions.add_parser("on", help="turn it on (until turned off, or for a while)")
    how_long = on.add_mutually_exclusive_group()
    how_long.add_argument("--for", dest="for_", metavar="DURATION", help="30m, 1h, 1h30m, 2d")
    how_long.add_argument("--until", metavar="HH:MM", help="the next such time of day")
    actions.add_parser("off", help="turn it off (and hear what came meanwhile)")
    status = actions.add_parser("status", help="say whether it is on, and for how long")
    status.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(json=False)


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment).astimezone().isoformat()


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment).astimezone().strftime("%a %H:%M")


def _written(path: Path, state: DoNotDisturb | None) -> bool:
    from tiri_tui.settings.do_not_disturb_file import write_state

    try:
        write_state(path, state)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
        return False
    return True


def _run(invocation: Invocation) -> int:
    from tiri_tui.attention.do_not_disturb import DoNotDisturb, duration, next_time_of_day
    from tiri_tui.settings.do_not_disturb_file import read_state, state_path

    args = invocation.args
    path = state_path(invocation.settings.data_dir)
    now = time.time()
    current = read_state(path)
    on_now = current is not None and current.active(now)
    action = args.dnd_action or "status"
    if action == "on":
        try:
            if args.for_:
                until: float | None = now + duration(args.for_)
            elif args.until:
                until = next_time_of_day(args.until, datetime.now().astimezone()).timestamp()
            else:
                until = None
        except ValueError as exc:
            fail(str(exc))
            return EXIT_ERROR
        # Still on: it goes on from when it began (one catch-up for the whole span).
        since = current.since if on_now and current is not None else now
        state = DoNotDisturb(since, until)
        if not _written(path, state):
            return EXIT_ERROR
        ends = (
            "until turned off"
            if until is None
            else f"for {state.left(now)} (until {_clock(until)})"
        )
        print(f"Do not disturb: on {ends}. `tiri-tui dnd off` lifts it.")
        return EXIT_OK
    if action == "off":
        if not _written(path, None):
            return EXIT_ERROR
        print("Do not disturb: off." if on_now else "Do not disturb was not on.")
        return EXIT_OK
    if args.json:
        shown = current if on_now else None
        print(
            json.dumps(
                {
                    "on": on_now,
                    "since": _iso(shown.since) if shown else None,
                    "until": _iso(shown.until) if shown else None,
                    "left_seconds": (
                        None if shown is None or shown.until is None else round(shown.until - now)
                    ),
                }
            )
        )
    elif on_now and current is not None:
        ends = "" if current.until is None else f" (until {_clock(current.until)})"
        print(f"Do not disturb: on, {current.left(now)}{' left' if current.until else ''}{ends}")
    else:
        print("Do not disturb: off")
    return EXIT_OK


COMMAND = Command(
    "dnd",
    "do not disturb: silence every face on this machine for a while",
    _run,
    needs=Needs.SETTINGS,
    description=_DESCRIPTION,
    arguments=_arguments,
    raw_description=True,
)
