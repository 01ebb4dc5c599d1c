"""Every key of the dashboard as data: one source for the bindings, the footer,
the help screen, the command palette and the README's key table.

Each key has an id (``mark_read``, ``quit``, ...): the name a user's
``[keymap]`` will remap it by.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.keys import format_key

from tiri_tui.settings.config import ConfigError

if TYPE_CHECKING:
    from tiri_tui.settings.customisation import Customisation, KeyChoice, UserCommand


class Scope(Enum):
    """Where a key is bound."""

    LIST = "list"  # the notification list (moving the cursor)
    DASHBOARD = "dashboard"  # the dashboard screen (acting on notifications)
    APP = "app"  # the whole app


@dataclass(frozen=True, slots=True)
class Key:
    """One binding, with what people are shown of it."""

    id: str
    keys: str  # Textual's key names, comma-separated
    action: str
    label: str  # short, for the footer
    help: str  # for the help screen and the README
    scope: Scope
    shown: str  # the keys as people read them
    footer: bool = False
    #: The command palette's title for it (None: not a palette command).
    command: str | None = None
    #: The view it switches to (1: All; None: not a view key).
    view: int | None = None


KEYS: tuple[Key, ...] = (
    Key("cursor_down", "j,down", "cursor_down", "Down", "move down", Scope.LIST, "j / ↓"),
    Key("cursor_up", "k,up", "cursor_up", "Up", "move up", Scope.LIST, "k / ↑"),
    Key("first", "g,home", "first", "First", "first notification", Scope.LIST, "g / home"),
    Key("last", "G,end", "last", "Last", "last notification loaded", Scope.LIST, "G / end"),
    Key(
        "page_down",
        "pagedown,ctrl+f",
        "page_down",
        "Page down",
        "a page down",
        Scope.LIST,
        "PageDown / ctrl+f",
    ),
    Key(
        "page_up", "pageup,ctrl+b", "page_up", "Page up", "a page up", Scope.LIST, "PageUp / ctrl+b"
    ),
    Key(
        "half_page_down",
        "ctrl+d",
        "half_page_down",
        "Half down",
        "half a page down",
        Scope.LIST,
        "ctrl+d",
    ),
    Key(
        "half_page_up", "ctrl+u", "half_page_up", "Half up", "half a page up", Scope.LIST, "ctrl+u"
    ),
    Key("next_unread", "n", "next_unread", "Next unread", "next unread", Scope.LIST, "n"),
    Key(
        "previous_unread",
        "N",
        "previous_unread",
        "Previous unread",
        "previous unread",
        Scope.LIST,
        "N",
    ),
    Key(
        "details",
        "enter",
        "details",
        "Details",
        "show / hide details (marks read)",
        Scope.DASHBOARD,
        "enter",
        footer=True,
    ),
    Key(
        "back",
        "escape",
        "back",
        "Back",
        "close the details; else clear the marks; else the filters",
        Scope.DASHBOARD,
        "esc",
    ),
    Key(
        "mark_read",
        "m",
        "mark_read",
        "Read",
        "mark read",
        Scope.DASHBOARD,
        "m",
        footer=True,
        command="Mark read",
    ),
    Key(
        "mark_unread",
        "u",
        "mark_unread",
        "Unread",
        "mark unread",
        Scope.DASHBOARD,
        "u",
        footer=True,
        command="Mark unread",
    ),
    Key(
        "mark_all_read",
        "M",
        "mark_all_read",
        "All read",
        "mark all read",
        Scope.DASHBOARD,
        "M",
        footer=True,
        command="Mark all read",
    ),
    Key(
        "delete",
        "d",
        "delete",
        "Delete",
        "delete (asks y/n; {undo} undoes)",
        Scope.DASHBOARD,
        "d",
        footer=True,
        command="Delete the selected notification",
    ),
    Key(
        "toggle_mark",
        "space",
        "toggle_mark",
        "Mark",
        "mark / unmark the row (then {mark_read}, {mark_unread}, {delete} act on every marked row)",
        Scope.DASHBOARD,
        "space",
    ),
    Key(
        "mark_shown",
        "asterisk",
        "mark_shown",
        "Mark all shown",
        "mark every row the view shows ({back} clears the marks)",
        Scope.DASHBOARD,
        "*",
        command="Mark every row shown",
    ),
    Key(
        "undo",
        "z,ctrl+z",
        "undo",
        "Undo",
        "undo the last mark or delete (for a few seconds)",
        Scope.DASHBOARD,
        "z / ctrl+z",
        command="Undo the last mark or delete",
    ),
    Key(
        "copy",
        "y",
        "copy",
        "Copy",
        "copy the notification to the clipboard",
        Scope.DASHBOARD,
        "y",
        command="Copy the notification",
    ),
    Key(
        "open_link",
        "o",
        "app.open_link",
        "Open",
        "open the notification's link ([links] in config.toml)",
        Scope.DASHBOARD,
        "o",
        command="Open the link in the browser",
    ),
    Key(
        "reconnect",
        "r",
        "reconnect",
        "Reconnect",
        "reconnect now",
        Scope.DASHBOARD,
        "r",
        footer=True,
        command="Reconnect",
    ),
    Key(
        "log_in",
        "l",
        "log_in",
        "Log in",
        "log in again (when the session ended)",
        Scope.DASHBOARD,
        "l",
        command="Log in again",
    ),
    Key(
        "refresh",
        "R",
        "refresh",
        "Refresh",
        "refresh over HTTP now",
        Scope.DASHBOARD,
        "R",
        command="Refresh over HTTP",
    ),
    Key(
        "search",
        "slash",
        "search",
        "Search",
        "search (server-side)",
        Scope.DASHBOARD,
        "/",
        footer=True,
        command="Search titles and messages",
    ),
    Key(
        "unread_only",
        "f",
        "toggle_unread",
        "Unread only",
        "unread only on / off",
        Scope.DASHBOARD,
        "f",
        footer=True,
        command="Unread only (on / off)",
    ),
    Key(
        "filter_type",
        "t",
        "pick_type",
        "Type",
        "filter by type",
        Scope.DASHBOARD,
        "t",
        command="Filter by type",
    ),
    Key(
        "filter_priority",
        "p",
        "pick_priority",
        "Priority",
        "filter by priority",
        Scope.DASHBOARD,
        "p",
        command="Filter by priority",
    ),
    Key(
        "metrics",
        "s",
        "toggle_status",
        "Metrics",
        "connection metrics on / off",
        Scope.DASHBOARD,
        "s",
        command="Connection metrics (show / hide)",
    ),
    *(
        Key(
            f"view_{k}",
            str(k),
            f"switch_view({k - 1})",
            f"View {k}",
            "All" if k == 1 else f"saved view {k - 1} ([views] in config.toml)",
            Scope.DASHBOARD,
            str(k),
            view=k,
        )
        for k in range(1, 10)
    ),
    Key("palette", "ctrl+p", "command_palette", "Commands", "command palette", Scope.APP, "ctrl+p"),
    Key("help", "question_mark", "help", "Help", "this help", Scope.APP, "?", footer=True),
    Key(
        "quit",
        "q",
        "quit",
        "Quit",
        "quit (in a terminal ctrl+c quits too, from every screen)",
        Scope.APP,
        "q",
        footer=True,
    ),
)

BY_ID = {key.id: key for key in KEYS}


def bindings(scope: Scope) -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """Textual bindings of one scope, each carrying its id."""
    own: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
        Binding(k.keys, k.action, k.label, show=k.footer, id=k.id)
        for k in KEYS
        if k.scope is scope and k.id != "palette"  # Textual binds the palette itself
    ]
    if scope is Scope.DASHBOARD:
        # The footer shows keys in binding order and cuts what does not fit:
        # the app's footer keys (? and q) come first on the dashboard, so an
        # 80-column terminal loses "Search", never "Help" or "Quit".
        first: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
            Binding(k.keys, f"app.{k.action}", k.label, show=True, id=k.id)
            for k in KEYS
            if k.scope is Scope.APP and k.footer
        ]
        return first + own
    return own


def _split(keys: str) -> list[str]:
    """``"x, space"`` → ``["x", "space"]`` (as config.toml's keys are written)."""
    return [part.strip() for part in keys.split(",") if part.strip()]


class KeymapError(ConfigError):
    """A ``[keymap]`` entry or a command's key cannot be used (said at start)."""


def _normal(key: str) -> str:
    """Textual's long name of a key: ``?`` → ``question_mark``, ``x`` → ``x``."""
    if len(key) == 1 and not key.isalnum():
        return unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    return key


def user_keymap(
    choices: Iterable[KeyChoice], commands: Iterable[UserCommand], source: str = "config.toml"
) -> dict[str, str]:
    """The keymap to give Textual: ids checked, and no key doing two things."""
    commands = list(commands)
    keymap: dict[str, str] = {}
    for choice in choices:
        if choice.id not in BY_ID:
            where = f"{source}, line {choice.line}" if choice.line else source
            raise KeymapError(
                f"{where}: [keymap] has no binding {choice.id!r} "
                f"(ids: {', '.join(k.id for k in KEYS)})"
            )
        keymap[choice.id] = ",".join(_normal(k) for k in _split(choice.keys))
    owners: dict[str, str] = {}
    #: How a message names each owner of a key (a binding by its id).
    names = {c.id: f"the command on {c.key!r}" for c in commands}
    lines = {c.id: c.line for c in choices}
    entries = [(k.id, keymap.get(k.id, k.keys)) for k in KEYS]
    entries += [(c.id, _normal(c.key)) for c in commands]
    lines.update({c.id: c.line for c in commands})
    for owner, keys in entries:
        for key in (_normal(k) for k in _split(keys)):
            if key in owners and owners[key] != owner:
                line = lines.get(owner) or lines.get(owners[key])
                where = f"{source}, line {line}" if line else source
                raise KeymapError(
                    f"{where}: {format_key(key)!r} would do two things: "
                    f"{names.get(owners[key], owners[key])} and {names.get(owner, owner)}"
                )
            owners[key] = owner
    return keymap


def keymap_of(customisation: Customisation | None) -> dict[str, str]:
    """The keymap config.toml asks for, checked (KeymapError): the start and
    `tiri-tui config` both ask here, so both refuse the same file alike."""
    if customisation is None:
        return {}
    return user_keymap(customisation.keymap, customisation.commands, customisation.source)


def keys_in_force(binding_id: str, keymap: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The keys that do ``binding_id`` now, as people read them: the user's
    ``[keymap]`` (``keymap``, as given to Textual) or else the defaults.
    Every message, hint and help line that names a key asks here."""
    if keymap and binding_id in keymap:
        return tuple(format_key(part) for part in _split(keymap[binding_id])) or ("(no key)",)
    return tuple(BY_ID[binding_id].shown.split(" / "))


def key_name(binding_id: str, keymap: Mapping[str, str] | None = None) -> str:
    """The first key in force for ``binding_id`` (for "z undoes"-style messages)."""
    return keys_in_force(binding_id, keymap)[0]


def shown(key: Key, keymap: Mapping[str, str]) -> str:
    """The keys of ``key`` in force, as people read them."""
    return " / ".join(keys_in_force(key.id, keymap))


def fill_keys(text: str, keymap: Mapping[str, str] | None = None) -> str:
    """``text`` with each ``{binding_id}`` replaced by its key in force."""
    return re.sub(r"\{(\w+)\}", lambda m: key_name(m.group(1), keymap), text)


def described(key: Key, keymap: Mapping[str, str] | None = None) -> str:
    """What ``key`` does, naming the other keys it mentions as they are in force."""
    return fill_keys(key.help, keymap)


#: The view keys share one row of the help while none is remapped.
VIEW_ROW = ("1 2 3 4 5 6 7 8 9", "switch view: 1 is All, then the [views] of config.toml")


def help_rows(keymap: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(keys in force, what they do), in the order people learn them."""
    keymap = keymap or {}
    rows = []
    for k in KEYS:
        if k.view is not None and k.id not in keymap:
            if k.view == 1:
                rows.append(VIEW_ROW)
            continue
        rows.append((shown(k, keymap), described(k, keymap)))
    return rows


def commands() -> list[Key]:
    """The keys that are also command palette entries."""
    return [k for k in KEYS if k.command]


def readme_table() -> str:
    """The README's key table, in Markdown."""
    lines = ["| key | does | id (for `[keymap]`) |", "|---|---|---|"]
    for key in KEYS:
        if key.view is not None:
            if key.view == 1:
                lines.append(f"| `1` … `9` | {VIEW_ROW[1]} | `view_1` … `view_9` |")
            continue
        cell = " / ".join(f"`{part}`" for part in key.shown.split(" / "))
        lines.append(f"| {cell} | {described(key)} | `{key.id}` |")
    return "\n".join(lines)


if __name__ == "__main__":  # `python -m tiri_tui.ui.keymap` prints the README table
    print(readme_table())
