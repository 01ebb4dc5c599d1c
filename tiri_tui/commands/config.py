"""`tiri-tui config`: the settings in force and where each came from."""

from __future__ import annotations

import argparse

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, Needs, quiet_hours_known


def _arguments(config: argparse.ArgumentParser) -> None:
    config.add_argument("what", nargs="?", choices=["path"], help="path: the file's location")


def _run(invocation: Invocation) -> int:
    settings = invocation.settings
    path = settings.config_dir / "config.toml"
    if invocation.args.what == "path":
        print(path)
        return EXIT_OK
    from tiri_tui.settings.config import describe_settings
    from tiri_tui.ui.keymap import keymap_of

    keymap_of(settings.customisation)  # what the start would refuse (KeymapError: exit 1)
    for name, value, source in describe_settings(settings, invocation.sources):
        print(f"{name} = {value}  ({source})")
    hours, source = quiet_hours_known(settings)
    print(f"quiet_hours = {hours or '(none)'}  ({source})")
    print(f"# file: {path}" + ("" if path.exists() else " (not there: every setting is a default)"))
    return EXIT_OK


COMMAND = Command(
    "config",
    "print the effective settings and where each came from",
    _run,
    needs=Needs.SETTINGS,
    description="Print every setting in force and where it came from: the default, "
    "config.toml and its line, an environment variable, or a flag. "
    "`tiri-tui config path` prints where config.toml is (or would be).",
    arguments=_arguments,
)
