"""The options every subcommand takes (they go before the subcommand's name).

They are the settings declared with a flag (:mod:`tiri_tui.settings.declared`):
the parser adds them from those declarations, and `web` passes the ones given
on to the dashboards it starts.
"""

from __future__ import annotations

import argparse

from tiri_tui.settings.config import DECLARED, OVERRIDES

#: The declared settings a flag sets, in the order --help lists them.
GLOBAL_OPTIONS = tuple(how for how in DECLARED.values() if how.flag)


def add_global_options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Add every global option to ``parser``; their actions by flag."""
    actions = {}
    for how in GLOBAL_OPTIONS:
        assert how.flag is not None
        if how.switch:
            actions[how.flag] = parser.add_argument(how.flag, action="store_true", help=how.help)
        else:
            actions[how.flag] = parser.add_argument(
                how.flag, metavar=how.metavar, choices=how.choices, help=how.help
            )
    return actions


def given_options(args: argparse.Namespace) -> list[str]:
    """The global options as given, to pass on to another tiri-tui process."""
    options: list[str] = []
    for how in GLOBAL_OPTIONS:
        assert how.flag is not None
        value = getattr(args, how.dest)
        if how.switch and value:
            options.append(how.flag)
        elif not how.switch and value:
            options += [how.flag, value]
    return options


def overriding_flags(args: argparse.Namespace) -> dict[str, str | None]:
    """The flags that override a setting, as given (None: not given), for
    :func:`~tiri_tui.settings.config.resolve_settings`."""
    return {how.dest: getattr(args, how.dest) for how in OVERRIDES.values()}
