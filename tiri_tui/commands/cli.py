"""The `tiri-tui` command: the parser, built from the subcommands, and the dispatch.

Each subcommand is a module of this package with a ``COMMAND``
(:class:`~tiri_tui.commands.base.Command`); ``dashboard`` runs when none is named.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from tiri_tui import __version__
from tiri_tui.commands import (
    act,
    agent,
    clear_read,
    completion,
    config,
    count,
    dashboard,
    demo,
    dnd,
    doctor,
    gc_tuning,
    login,
    logout,
    prefs,
    rules,
    serve,
    tail,
    web,
)
from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, Command, Invocation, Needs, fail
from tiri_tui.commands.global_options import add_global_options, overriding_flags
from tiri_tui.commands.logs import configure_logging
from tiri_tui.commands.pipes import quiet_stdout
from tiri_tui.settings.config import ConfigError, resolve_settings, security_warnings
from tiri_tui.wire.errors import AlertsUnavailable

#: In the order `--help` lists them.
COMMANDS: tuple[Command, ...] = tuple(
    module.COMMAND
    for module in (
        dashboard,
        demo,
        serve,
        login,
        logout,
        web,
        doctor,
        config,
        completion,
        rules,
        tail,
        count,
        clear_read,
        prefs,
        dnd,
        act,
        agent,
    )
)
BY_NAME = {command.name: command for command in COMMANDS}

_DESCRIPTION = """\
A terminal dashboard for Tiri notifications: live over WebSocket, kept fresh
over HTTP when the socket is down, with marks that are never lost.

Start with `tiri-tui demo` (no account needed), or point it at a server:
  tiri-tui --server https://tiriapp.com login
  tiri-tui --server https://tiriapp.com
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (global options go before the subcommand)."""
    parser = argparse.ArgumentParser(
        prog="tiri-tui",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tiri-tui {__version__}")
    actions = add_global_options(parser)
    actions["--profile"].completer = _profile_names  # type: ignore[attr-defined]  # argcomplete's hook
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            formatter_class=(
                argparse.RawDescriptionHelpFormatter
                if command.raw_description
                else argparse.HelpFormatter
            ),
        )
        command.arguments(sub)
    return parser


def _profile_names(prefix: str, **_: object) -> list[str]:
    """``--profile <TAB>``: the [profiles.NAME] of config.toml (none if it cannot be read)."""
    import tomllib

    from tiri_tui.settings.config import config_path

    try:
        profiles = tomllib.loads(config_path(os.environ).read_text("utf-8")).get("profiles")
    except (OSError, tomllib.TOMLDecodeError):
        return []
    names = profiles if isinstance(profiles, dict) else {}
    return sorted(name for name in names if name.startswith(prefix))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tiri-tui` script; returns the exit code."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (never at a normal start)
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(prefs.literal_type_changes(sys.argv[1:] if argv is None else argv))
    command = BY_NAME[args.command or "dashboard"]
    if not command.opens_dashboard:
        gc_tuning.resume()
    try:
        if command.needs is Needs.NOTHING:
            return command.run(Invocation(args))
        resolved = resolve_settings(
            profile=args.profile,
            insecure=args.insecure,
            no_agent=args.no_agent,
            namespace="default",
            flags=overriding_flags(args),
        )
        if command.needs is Needs.SESSION:
            settings = resolved[0]
            configure_logging(settings)
            for warning in security_warnings(settings):
                fail(f"warning: {warning}")
                logging.getLogger("tiri_tui").warning("%s", warning)
        return command.run(Invocation(args, resolved))
    except (ConfigError, AlertsUnavailable) as exc:
        fail(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): done, as shell tools are
        quiet_stdout()
        return EXIT_OK
