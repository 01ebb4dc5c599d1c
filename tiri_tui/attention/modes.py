"""How an alert reaches the desktop, and which way ``auto`` picks from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from msgspec import Struct


class AlertMode(StrEnum):
    """A way to raise a desktop alert (``desktop_alerts``, ``--alerts``)."""

    AUTO = "auto"
    OSC9 = "osc9"
    OSC777 = "osc777"
    OSC99 = "osc99"
    DESKTOP = "desktop"
    BELL = "bell"
    OFF = "off"


class Terminal(Struct, frozen=True):
    """One row of the README's table: a terminal, how it is recognised, what ``auto`` picks."""

    name: str
    seen_by: str
    picks: AlertMode


#: In order: the first that matches the environment wins. Inside tmux the
#: outer terminal's variables are often still set (inherited when the tmux
#: server started), so they are looked at first.
TERMINALS: tuple[Terminal, ...] = (
    Terminal("kitty", "KITTY_WINDOW_ID, or TERM=xterm-kitty", AlertMode.OSC99),
    Terminal("iTerm2", "TERM_PROGRAM=iTerm.app, or LC_TERMINAL=iTerm2", AlertMode.OSC9),
    Terminal("WezTerm", "TERM_PROGRAM=WezTerm, or WEZTERM_PANE", AlertMode.OSC9),
    Terminal("Ghostty", "TERM_PROGRAM=ghostty, or TERM=xterm-ghostty", AlertMode.OSC9),
    Terminal("Windows Terminal", "WT_SESSION", AlertMode.OSC9),
    Terminal("foot", "TERM=foot or foot-extra", AlertMode.OSC777),
    Terminal("urxvt", "TERM=rxvt-unicode…", AlertMode.OSC777),
    Terminal("VTE (GNOME Terminal, Tilix…)", "VTE_VERSION", AlertMode.OSC777),
    Terminal("anything else", "", AlertMode.BELL),
)


def _recognised(name: str, env: Mapping[str, str]) -> bool:
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    checks = {
        "kitty": "KITTY_WINDOW_ID" in env or term == "xterm-kitty",
        "iTerm2": program == "iTerm.app" or env.get("LC_TERMINAL") == "iTerm2",
        "WezTerm": program == "WezTerm" or "WEZTERM_PANE" in env,
        "Ghostty": program == "ghostty" or term == "xterm-ghostty",
        "Windows Terminal": "WT_SESSION" in env,
        "foot": term in ("foot", "foot-extra"),
        "urxvt": term.startswith("rxvt-unicode"),
        "VTE (GNOME Terminal, Tilix…)": "VTE_VERSION" in env,
    }
    return checks.get(name, True)


def pick_mode(mode: AlertMode, env: Mapping[str, str]) -> AlertMode:
    """``mode`` itself, or for ``auto`` the way the terminal in ``env`` understands."""
    if mode is not AlertMode.AUTO:
        return mode
    return next(t.picks for t in TERMINALS if _recognised(t.name, env))


def terminal_table() -> str:
    """The README's table (a test keeps the README's copy equal to this)."""
    lines = ["| terminal | recognised by | `auto` picks |", "|---|---|---|"]
    for t in TERMINALS:
        lines.append(f"| {t.name} | {t.seen_by or '—'} | `{t.picks}` |")
    return "\n".join(lines)


def describe_mode(mode: AlertMode, env: Mapping[str, str], *, picked: bool = False) -> str:
    """``alerts: osc9 (picked for this terminal), wrapped for tmux …`` for people."""
    words = f"alerts: {mode}" + (" (auto: picked for this terminal)" if picked else "")
    if env.get("TMUX") and mode in (AlertMode.OSC9, AlertMode.OSC777, AlertMode.OSC99):
        words += ", wrapped for tmux (needs set -g allow-passthrough on)"
    return words
