"""`tiri-tui rules`: the alert rules, quiet hours and alert mode in force."""

from __future__ import annotations

import os

from tiri_tui.commands.base import EXIT_OK, Command, Invocation, Needs, quiet_hours_known


def _run(invocation: Invocation) -> int:
    from tiri_tui.attention.modes import AlertMode, describe_mode, pick_mode
    from tiri_tui.attention.rules import AttentionRules

    settings = invocation.settings
    mode = pick_mode(settings.desktop_alerts, os.environ)
    picked = settings.desktop_alerts is AlertMode.AUTO
    print(describe_mode(mode, os.environ, picked=picked))
    hours, source = quiet_hours_known(settings)
    print(f"quiet hours: {hours or 'none'}  ({source})")
    for line in (settings.attention or AttentionRules()).describe()[1:]:
        print(line)
    print(f"config: {settings.config_dir / 'config.toml'}")
    return EXIT_OK


COMMAND = Command(
    "rules",
    "show the alert rules, quiet hours and alert mode in force",
    _run,
    needs=Needs.SETTINGS,
    description="Show what config.toml's [[rules]] and quiet_hours do, in the order "
    "they apply, and how alerts would be raised in this terminal.",
)
