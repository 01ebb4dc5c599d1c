"""``[keymap]``, ``[[commands]]`` and ``[links]`` from config.toml, checked at start.

The keymap's ids are checked against the dashboard's bindings by the UI
(:func:`tiri_tui.ui.keymap.user_keymap`); everything that can be checked
without it is checked here, each error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from msgspec import Struct

from tiri_tui.settings.placeholders import TemplateError, check, check_shell
from tiri_tui.sync.rules import Filters
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.models import PRIORITIES
from tiri_tui.wire.toml_lines import header_lines, key_line, place

_KEY = re.compile(r"[A-Za-z0-9_+\-]+|[!-~]")
_COMMAND_KEYS = {"key", "name", "run", "interactive"}
_VIEW_KEYS = {"types", "priority", "unread_only", "search"}
_TYPE_NAME = re.compile(r"[a-z0-9_]+")
#: Keys 1…9 switch views; "All" is the first.
MAX_VIEWS = 8


class CustomisationError(TiriError):
    """A key, command or link in config.toml cannot be used."""


class KeyChoice(Struct, frozen=True):
    """``mark_read = "x,space"``: a binding id, its new keys, and the line."""

    id: str
    keys: str
    line: int | None = None


class UserCommand(Struct, frozen=True):
    """A command of the user's on the selected notification."""

    key: str
    name: str
    run: str
    interactive: bool = False
    line: int | None = None

    @property
    def id(self) -> str:
        """Its binding id, ``command:KEY`` (a [keymap] cannot move it: its key is here)."""
        return f"command:{self.key}"


class SavedView(Struct, frozen=True):
    """``[views.NAME]``: a named set of filters, shown as a tab."""

    name: str
    filters: Filters
    line: int | None = None


class Customisation(Struct, frozen=True):
    """The user's keys, commands, links and views."""

    keymap: tuple[KeyChoice, ...] = ()
    commands: tuple[UserCommand, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    views: tuple[SavedView, ...] = ()
    #: The file they were read from: later errors (the keymap's, checked by
    #: the UI) name it as the others do.
    source: str = "config.toml"

    def link_for(self, notification_type: str) -> str | None:
        """The URL template for this type, if one is set."""
        return dict(self.links).get(notification_type)


def split_keys(keys: str) -> list[str]:
    """``"x, space"`` → ``["x", "space"]``."""
    return [part.strip() for part in keys.split(",") if part.strip()]


def _keys_ok(keys: object) -> bool:
    return (
        isinstance(keys, str)
        and bool(split_keys(keys))
        and all(_KEY.fullmatch(part) for part in split_keys(keys))
    )


def _keymap(value: object, text: str, source: str) -> tuple[KeyChoice, ...]:
    header = next(iter(header_lines(text, "keymap")), None)
    if not isinstance(value, dict):
        raise CustomisationError(
            f'{place(source, header)}: [keymap] must be a table of id = "keys"'
        )
    choices = []
    for binding_id, keys in value.items():
        line = key_line(text, header, binding_id)
        if not _keys_ok(keys):
            raise CustomisationError(
                f"{place(source, line)}: [keymap] {binding_id} = {keys!r}: keys are names like "
                '"x", "ctrl+q" or "x,space"'
            )
        choices.append(KeyChoice(binding_id, keys, line))
    return tuple(choices)


def _command(table: Mapping[str, Any], line: int | None, source: str, text: str) -> UserCommand:
    def fail(key: str | None, problem: str) -> CustomisationError:
        at = key_line(text, line, key) if key else line
        return CustomisationError(f"{place(source, at)}: command: {problem}")

    unknown = sorted(set(table) - _COMMAND_KEYS)
    if unknown:
        raise fail(
            unknown[0], f"unknown key {unknown[0]!r} (a command has key, name, run, interactive)"
        )
    for field in ("key", "name", "run"):
        if not isinstance(table.get(field), str) or not table[field].strip():
            raise fail(field if field in table else None, f"'{field}' must be given, as text")
    if not _keys_ok(table["key"]):
        raise fail("key", f"'key' {table['key']!r} is not a key name")
    interactive = table.get("interactive", False)
    if not isinstance(interactive, bool):
        raise fail("interactive", "'interactive' must be true or false")
    try:
        check(table["run"], file_allowed=True)
        check_shell(table["run"])
    except TemplateError as exc:
        raise fail("run", str(exc)) from None
    return UserCommand(table["key"], table["name"], table["run"], interactive, line)


def _commands(value: object, text: str, source: str) -> tuple[UserCommand, ...]:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        line = key_line(text, None, "commands")
        raise CustomisationError(f"{place(source, line)}: 'commands' must be [[commands]] tables")
    headers = header_lines(text, "commands")
    return tuple(
        _command(table, headers[k] if k < len(headers) else None, source, text)
        for k, table in enumerate(value)
    )


def _links(value: object, text: str, source: str) -> tuple[tuple[str, str], ...]:
    header = next(iter(header_lines(text, "links")), None)
    if not isinstance(value, dict):
        raise CustomisationError(
            f'{place(source, header)}: [links] must be a table of type = "URL"'
        )
    links = []
    for kind, template in value.items():
        line = key_line(text, header, kind)
        if not isinstance(template, str) or not re.match(r"https?://", template):
            raise CustomisationError(
                f"{place(source, line)}: [links] {kind}: a link must start with https:// or http://"
            )
        try:
            check(template, file_allowed=False)
        except TemplateError as exc:
            raise CustomisationError(f"{place(source, line)}: [links] {kind}: {exc}") from None
        links.append((kind, template))
    return tuple(links)


def _view(name: str, table: object, line: int | None, source: str, text: str) -> SavedView:
    def fail(key: str | None, problem: str) -> CustomisationError:
        at = key_line(text, line, key) if key else line
        return CustomisationError(f"{place(source, at)}: [views.{name}]: {problem}")

    if not isinstance(table, dict):
        raise fail(None, "a view is a table of types, priority, unread_only, search")
    unknown = sorted(set(table) - _VIEW_KEYS)
    if unknown:
        raise fail(
            unknown[0], f"unknown key {unknown[0]!r} (a view has {', '.join(sorted(_VIEW_KEYS))})"
        )
    types = table.get("types")
    names = [types] if isinstance(types, str) else types
    if types is not None and (
        not isinstance(names, list)
        or not names
        or not all(isinstance(t, str) and _TYPE_NAME.fullmatch(t) for t in names)
    ):
        raise fail("types", "'types' must be a type name or a list of them, like \"new_message\"")
    priority = table.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise fail("priority", f"'priority' must be one of {', '.join(PRIORITIES)}")
    unread_only = table.get("unread_only", False)
    if not isinstance(unread_only, bool):
        raise fail("unread_only", "'unread_only' must be true or false")
    search = table.get("search")
    if search is not None and (not isinstance(search, str) or not search.strip()):
        raise fail("search", "'search' must be some text")
    filters = Filters(
        unread_only=unread_only,
        search=search,
        priority=priority,
        types=frozenset(names) if names else None,
    )
    if not filters.active:
        raise fail(None, "a view needs at least one of types, priority, unread_only, search")
    return SavedView(name, filters, line)


def _views(value: object, text: str, source: str) -> tuple[SavedView, ...]:
    if not isinstance(value, dict):
        line = key_line(text, None, "views")
        raise CustomisationError(f"{place(source, line)}: 'views' must be [views.NAME] tables")
    if len(value) > MAX_VIEWS:
        extra = list(value)[MAX_VIEWS]  # the first one too many
        line = next(iter(header_lines(text, f"views.{extra}")), None)
        raise CustomisationError(
            f"{place(source, line)}: at most {MAX_VIEWS} views (keys 2…9 switch to them)"
        )
    views = []
    for name, table in value.items():
        line = next(iter(header_lines(text, f"views.{name}")), None)
        views.append(_view(name, table, line, source, text))
    return tuple(views)


def parse_customisation(data: Mapping[str, Any], text: str, source: str) -> Customisation:
    """The keymap, commands and links of a config file's top level (absent: none)."""
    commands = _commands(data["commands"], text, source) if "commands" in data else ()
    keys = [c.key for c in commands]
    for command in commands:
        if keys.count(command.key) > 1:
            raise CustomisationError(
                f"{place(source, command.line)}: two commands use the key {command.key!r}"
            )
    return Customisation(
        keymap=_keymap(data["keymap"], text, source) if "keymap" in data else (),
        commands=commands,
        links=_links(data["links"], text, source) if "links" in data else (),
        views=_views(data["views"], text, source) if "views" in data else (),
        source=source,
    )
