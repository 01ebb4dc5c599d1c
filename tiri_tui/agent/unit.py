"""The agent as a systemd user service: the unit's text and where it goes.

The unit runs the agent in the foreground (systemd supervises it:
``Restart=on-failure``; what it prints goes to the journal). Each word of
its command line is quoted for systemd: double quotes, with ``\\`` and ``"``
escaped, ``%`` doubled (specifiers) and ``$`` doubled (variables), so a
path with spaces or a server URL with a ``%`` reaches the agent as it is.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tiri_tui.agent.endpoint import EndpointError


def unit_name(stem: str) -> str:
    """``tiri-tui-agent.service``, or ``tiri-tui-agent-<profile>.service``."""
    return "tiri-tui-agent.service" if stem == "default" else f"tiri-tui-agent-{stem}.service"


def quote(word: str) -> str:
    """``word`` as one argument of ``ExecStart=``."""
    if "\n" in word or "\0" in word:
        raise EndpointError("a line break cannot be part of the agent's command line")
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def unit_text(profile: str, command: Sequence[str], environment: Mapping[str, str]) -> str:
    """The unit that runs ``command`` (the agent in the foreground) with ``environment``."""
    lines = [
        "[Unit]",
        f"Description=tiri-tui agent: Tiri notifications for profile {profile}",
        "",
        "[Service]",
        "Type=exec",
        "ExecStart=" + " ".join(quote(word) for word in command),
        *(f"Environment={quote(f'{key}={value}')}" for key, value in environment.items()),
        "Restart=on-failure",
        "RestartSec=2",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def agent_command(options: Sequence[str]) -> list[str]:
    """This interpreter running this tiri-tui's agent, with the global options given."""
    return [sys.executable, "-m", "tiri_tui", *options, "agent"]


def unit_dir(environ: Mapping[str, str]) -> Path:
    """Where systemd looks for a user's own units."""
    config = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def has_systemd(environ: Mapping[str, str]) -> bool:
    """Whether a systemd user manager can run the unit here."""
    return (
        sys.platform.startswith("linux")
        and shutil.which("systemctl", path=environ.get("PATH")) is not None
    )


def carried_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What of this environment the service needs to run as this command would:
    the settings set by variables (``TIRI_PROFILE``, ``TIRI_SERVER``…) and
    where the configuration is."""
    return {
        key: value
        for key, value in sorted(environ.items())
        if value and (key.startswith("TIRI_") or key == "XDG_CONFIG_HOME")
    }


def write_unit(path: Path, text: str) -> None:
    """Write the unit (blocking: the command runs no loop)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
