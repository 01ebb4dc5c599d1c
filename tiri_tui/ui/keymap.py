"""Every key of the dashboard as data: one source for the bindings, the footer,
the help screen, the command palette and the README's key table.

Each key has an id (``mark_read``, ``quit``, ...): the name a user's
``[keymap]`` will remap it by.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

from msgspec import Struct
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


class KeyId(StrEnum):
    """A binding's id: the name a user's ``[keymap]`` remaps it by (and Textual's)."""

    CURSOR_DOWN = "cursor_down"
    CURSOR_UP = "cursor_up"
    FIRST = "first"
    LAST = "last"
    PAGE_DOWN = "page_down"
    PAGE_UP = "page_up"
    HALF_PAGE_DOWN = "half_page_down"
    HALF_PAGE_UP = "half_page_up"
    NEXT_UNREAD = "next_unread"
    PREVIOUS_UNREAD = "previous_unread"
    DETAILS = "details"
    BACK = "back"
    MARK_READ = "mark_read"
    MARK_UNREAD = "mark_unread"
    MARK_ALL_READ = "mark_all_read"
    CLEAR_READ = "clear_read"
    DELETE = "delete"
    TOGGLE_MARK = "toggle_mark"
    MARK_SHOWN = "mark_shown"
    UNDO = "undo"
    COPY = "copy"
    ACT = "act"
    OPEN_LINK = "open_link"
    RECONNECT = "reconnect"
    LOG_IN = "log_in"
    REFRESH = "refresh"
    SEARCH = "search"
    UNREAD_ONLY = "unread_only"
    FILTER_TYPE = "filter_type"
    FILTER_PRIORITY = "filter_priority"
    METRICS = "metrics"
    DO_NOT_DISTURB = "do_not_disturb"
    SNOOZE = "snooze"
    SNOOZED = "snoozed"
    PALETTE = "palette"
    HELP = "help"
    QUIT = "quit"
    VIEW_1 = "view_1"
    VIEW_2 = "view_2"
    VIEW_3 = "view_3"
    VIEW_4 = "view_4"
    VIEW_5 = "view_5"
    VIEW_6 = "view_6"
    VIEW_7 = "view_7"
    VIEW_8 = "view_8"
    VIEW_9 = "view_9"

    @classmethod
    def view(cls, number: int) -> KeyId:
        """The key that switches to view ``number`` (1: All)."""
        return cls(f"view_{number}")


class Key(Struct, frozen=True):
    """One binding, with what people are shown of it."""

    id: KeyId
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
    Key(KeyId.CURSOR_DOWN, "j,down", "cursor_down", "Down", "move down", Scope.LIST, "j / ↓"),
    Key(KeyId.CURSOR_UP, "k,up", "cursor_up", "Up", "move up", Scope.LIST, "k / ↑"),
    Key(KeyId.FIRST, "g,home", "first", "First", "first notification", Scope.LIST, "g / home"),
    Key(KeyId.LAST, "G,end", "last", "Last", "last notification loaded", Scope.LIST, "G / end"),
    Key(
        KeyId.PAGE_DOWN,
        "pagedown,ctrl+f",
        "page_down",
        "Page down",
        "a page down",
        Scope.LIST,
        "PageDown / ctrl+f",
    ),
    Key(
        KeyId.PAGE_UP,
        "pageup,ctrl+b",
        "page_up",
        "Page up",
        "a page up",
        Scope.LIST,
        "PageUp / ctrl+b",
    ),
    Key(
        KeyId.HALF_PAGE_DOWN,
        "ctrl+d",
        "half_page_down",
        "Half down",
        "half a page down",
        Scope.LIST,
        "ctrl+d",
    ),
    Key(
        KeyId.HALF_PAGE_UP,
        "ctrl+u",
        "half_page_up",
        "Half up",
        "half a page up",
        Scope.LIST,
        "ctrl+u",
    ),
    Key(KeyId.NEXT_UNREAD, "n", "next_unread", "Next unread", "next unread", Scope.LIST, "n"),
    Key(
        KeyId.PREVIOUS_UNREAD,
        "N",
        "previous_unread",
        "Previous unread",
        "previous unread",
        Scope.LIST,
        "N",
    ),
    Key(
        KeyId.DETAILS,
        "enter",
        "details",
        "Details",
        "show / hide details (marks read)",
        Scope.DASHBOARD,
        "enter",
        footer=True,
    ),
    Key(
        KeyId.BACK,
        "escape",
        "back",
        "Back",
        "close the details; else clear the marks; else the filters",
        Scope.DASHBOARD,
        "esc",
    ),
    Key(
        KeyId.MARK_READ,
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
        KeyId.MARK_UNREAD,
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
        KeyId.MARK_ALL_READ,
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
        KeyId.CLEAR_READ,
        "D",
        "clear_read",
        "Clear read",
        "delete every read notification on the server (asks, saying how many)",
        Scope.DASHBOARD,
        "D",
        command="Clear read notifications (delete every read one)",
    ),
    Key(
        KeyId.DELETE,
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
        KeyId.TOGGLE_MARK,
        "space",
        "toggle_mark",
        "Mark",
        "mark / unmark the row (then {mark_read}, {mark_unread}, {delete} act on every marked row)",
        Scope.DASHBOARD,
        "space",
    ),
    Key(
        KeyId.MARK_SHOWN,
        "asterisk",
        "mark_shown",
        "Mark all shown",
        "mark every row the view shows ({back} clears the marks)",
        Scope.DASHBOARD,
        "*",
        command="Mark every row shown",
    ),
    Key(
        KeyId.UNDO,
        "z,ctrl+z",
        "undo",
        "Undo",
        "undo the last mark or delete (for a few seconds)",
        Scope.DASHBOARD,
        "z / ctrl+z",
        command="Undo the last mark or delete",
    ),
    Key(
        KeyId.ACT,
        "a",
        "act",
        "Act",
        "act on it: approve a volunteer, offer help, reply, approve a new member",
        Scope.DASHBOARD,
        "a",
        # Not in the footer: it is full at 120 columns. The details pane names it.
        command="Act on the notification",
    ),
    Key(
        KeyId.COPY,
        "y",
        "copy",
        "Copy",
        "copy the notification to the clipboard",
        Scope.DASHBOARD,
        "y",
        command="Copy the notification",
    ),
    Key(
        KeyId.OPEN_LINK,
        "o",
        "app.open_link",
        "Open",
        "open the notification's link ([links] in config.toml)",
        Scope.DASHBOARD,
        "o",
        command="Open the link in the browser",
    ),
    Key(
        KeyId.RECONNECT,
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
        KeyId.LOG_IN,
        "l",
        "log_in",
        "Log in",
        "log in again (when the session ended)",
        Scope.DASHBOARD,
        "l",
        command="Log in again",
    ),
    Key(
        KeyId.REFRESH,
        "R",
        "refresh",
        "Refresh",
        "refresh over HTTP now",
        Scope.DASHBOARD,
        "R",
        command="Refresh over HTTP",
    ),
    Key(
        KeyId.SEARCH,
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
        KeyId.UNREAD_ONLY,
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
        KeyId.FILTER_TYPE,
        "t",
        "pick_type",
        "Type",
        "filter by type",
        Scope.DASHBOARD,
        "t",
        command="Filter by type",
    ),
    Key(
        KeyId.FILTER_PRIORITY,
        "p",
        "pick_priority",
        "Priority",
        "filter by priority",
        Scope.DASHBOARD,
        "p",
        command="Filter by priority",
    ),
    Key(
        KeyId.METRICS,
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
            KeyId.view(k),
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
    Key(
        KeyId.PALETTE,
        "ctrl+p",
        "command_palette",
        "Commands",
        "command palette",
        Scope.APP,
        "ctrl+p",
    ),
    Key(
        KeyId.DO_NOT_DISTURB,
        "Z",
        "do_not_disturb",
        "Quiet",
        "do not disturb: silence alerts for a while, in every face (again: off)",
        Scope.DASHBOARD,
        "Z",
        command="Do not disturb (on for a while, or off)",
    ),
    Key(
        KeyId.SNOOZE,
        "b",
        "snooze",
        "Snooze",
        "snooze: put it away until a time; it comes back as new, on top",
        Scope.DASHBOARD,
        "b",
        command="Snooze the notification (back later, as new)",
    ),
    Key(
        KeyId.SNOOZED,
        "B",
        "show_snoozed",
        "Snoozed",
        "what is snoozed, the soonest back first (unsnooze from there)",
        Scope.DASHBOARD,
        "B",
        command="Show what is snoozed",
    ),
    Key(KeyId.HELP, "question_mark", "help", "Help", "this help", Scope.APP, "?", footer=True),
    Key(
        KeyId.QUIT,
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
        if k.scope is scope and k.id is not KeyId.PALETTE  # Textual binds the palette itself
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
    entries: list[tuple[str, str]] = [(k.id, keymap.get(k.id, k.keys)) for k in KEYS]
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


def keys_in_force(binding_id: KeyId, keymap: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The keys that do ``binding_id`` now, as people read them: the user's
    ``[keymap]`` (``keymap``, as given to Textual) or else the defaults.
    Every message, hint and help line that names a key asks here."""
    if keymap and binding_id in keymap:
        return tuple(format_key(part) for part in _split(keymap[binding_id])) or ("(no key)",)
    return tuple(BY_ID[binding_id].shown.split(" / "))


def key_name(binding_id: KeyId, keymap: Mapping[str, str] | None = None) -> str:
    """The first key in force for ``binding_id`` (for "z undoes"-style messages)."""
    return keys_in_force(binding_id, keymap)[0]


def shown(key: Key, keymap: Mapping[str, str]) -> str:
    """The keys of ``key`` in force, as people read them."""
    return " / ".join(keys_in_force(key.id, keymap))


def fill_keys(text: str, keymap: Mapping[str, str] | None = None) -> str:
    """``text`` with each ``{binding_id}`` replaced by its key in force."""
    return re.sub(r"\{(\w+)\}", lambda m: key_name(KeyId(m.group(1)), keymap), text)


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
