"""``[keymap]``, ``[[commands]]`` and ``[links]`` from config.toml, checked at start.

The keymap's ids are checked against the dashboard's bindings by the UI
(:func:`tiri_tui.ui.keymap.user_keymap`); everything that can be checked
without it is checked here, each error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tiri_tui.errors import TiriError
from tiri_tui.placeholders import TemplateError, check, check_shell
from tiri_tui.toml_lines import header_lines, key_line, place

_KEY = re.compile(r"[A-Za-z0-9_+\-]+|[!-~]")
_COMMAND_KEYS = {"key", "name", "run", "interactive"}


class CustomisationError(TiriError):
    """A key, command or link in config.toml cannot be used."""


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """``mark_read = "x,space"``: a binding id, its new keys, and the line."""

    id: str
    keys: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class UserCommand:
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


@dataclass(frozen=True, slots=True)
class Customisation:
    """The user's keys, commands and links."""

    keymap: tuple[KeyChoice, ...] = ()
    commands: tuple[UserCommand, ...] = ()
    links: tuple[tuple[str, str], ...] = ()

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
        raise CustomisationError(f"{source}: 'commands' must be [[commands]] tables")
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
    )
