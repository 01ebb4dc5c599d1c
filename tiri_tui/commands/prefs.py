"""`tiri-tui prefs`: the person's notification preferences on the server,
shared with the phone: shown, and set."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from tiri_tui.commands.base import Command, Invocation

_DESCRIPTION = """\
Show or set your notification preferences on the server: the same ones the
phone shows and sets (quiet hours, the e-mail / push / SMS switches, the
types you want).

  tiri-tui prefs                                 show them (--json: as the server holds them)
  tiri-tui prefs set quiet-hours 22:00-07:00     set the quiet hours (off: none)
  tiri-tui prefs set push off                    email, push, sms: on or off
  tiri-tui prefs types +new_message -welcome_email   want a type (+), or not (-)

The dashboard's quiet hours are the server's when config.toml sets none
(`tiri-tui config` says which are in force). A change is written back as the
whole object the server sent, with only that key changed, once: never queued
or replayed. Exit 0 done, 1 refused or not reached, 2 not logged in, 3 the
server keeps no preferences."""

#: The channel switches a person names (the server's keys: ``email_enabled``…).
CHANNELS = ("email", "push", "sms")


def _arguments(prefs: argparse.ArgumentParser) -> None:
    prefs.add_argument("--json", action="store_true", help="print them as the server holds them")
    actions = prefs.add_subparsers(dest="prefs_action", metavar="ACTION")
    actions.add_parser("show", help="show them (the default)")
    setting = actions.add_parser("set", help="set the quiet hours, or a channel on or off")
    setting.add_argument("key", choices=["quiet-hours", *CHANNELS], help="what to set")
    setting.add_argument("value", help="22:00-07:00 or off (quiet-hours); on or off (the others)")
    types = actions.add_parser("types", help="want a type (+name) or not (-name)")
    types.add_argument("changes", nargs="+", metavar="±TYPE", help="+new_message -welcome_email")


def literal_type_changes(argv: Sequence[str]) -> list[str]:
    """``prefs types -welcome_email`` as typed: after ``prefs types`` every word
    is a change, so ``-name`` is not read as an option (``-h`` still helps)."""
    words = list(argv)
    for i in range(len(words) - 1):
        if words[i] == "prefs" and words[i + 1] == "types":
            rest = words[i + 2 :]
            if "--" not in rest and not {"-h", "--help"} & set(rest):
                return [*words[: i + 2], "--", *rest]
            break
    return words


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.prefs_running import run_prefs

    return run_prefs(invocation.settings, invocation.args)


COMMAND = Command(
    "prefs",
    "show or set your notification preferences on the server (shared with the phone)",
    _run,
    description=_DESCRIPTION,
    arguments=_arguments,
    raw_description=True,
)
