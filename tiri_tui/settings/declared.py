"""How a person sets each setting, declared once beside the setting itself.

Every plain setting of :class:`~tiri_tui.settings.config.Settings` carries a
:class:`Declared` in its field's metadata: the type written in config.toml,
the environment variable and the flag that override it, how ``--help`` words
it, and how a written value becomes the setting. The file's keys, their type
checks and error messages, the overrides, the command line's global options
and ``tiri-tui config`` are all read from these declarations.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tiri_tui.wire.errors import TiriError

DECLARED = "declared"

#: Each type of setting as a person writes it in TOML.
WANTED: dict[type | tuple[type, ...], str] = {
    str: "text in quotes",
    bool: "true or false",
    int: "a whole number",
    (int, float): "a number",
}
NUMBER = (int, float)


class ConfigError(TiriError):
    """The configuration (file, profile, flag or variable) is not usable."""


@dataclass(frozen=True)
class Declared:
    """How one setting is written, overridden and explained."""

    #: Its type in config.toml.
    kind: type | tuple[type, ...] = str
    env: str | None = None
    flag: str | None = None
    metavar: str | None = None
    #: What it is, for ``--help`` (the variable and the default are added).
    about: str = ""
    #: The default as ``--help`` says it (None: not said).
    default_words: str | None = None
    choices: tuple[str, ...] | None = None
    #: Turns a written value into the setting: (value, where it was written).
    convert: Callable[[Any, str], Any] | None = None
    #: config.toml (and its profiles) may set it.
    in_file: bool = True
    #: A flag without a value (``store_true``).
    switch: bool = False

    @property
    def help(self) -> str:
        extra = [f"env {self.env}"] if self.env else []
        if self.default_words:
            extra.append(f"default {self.default_words}")
        return self.about + (f" ({'; '.join(extra)})" if extra else "")

    @property
    def dest(self) -> str:
        """The flag's name in parsed arguments."""
        assert self.flag is not None
        return self.flag.removeprefix("--").replace("-", "_")


def setting(default: Any, **how: Any) -> Any:
    """A settings field declared with how a person sets it (see :class:`Declared`)."""
    return dataclasses.field(default=default, metadata={DECLARED: Declared(**how)})


def declarations(cls: type) -> dict[str, Declared]:
    """The declared settings of a settings dataclass, in field order."""
    return {f.name: f.metadata[DECLARED] for f in dataclasses.fields(cls) if DECLARED in f.metadata}


def as_written(value: Any) -> str:
    """``value`` as TOML writes it: ``"yes"``, ``true``, ``2.5``, or ``a list`` / ``a table``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a table"
    return str(value)


def coerce(key: str, how: Declared | None, value: Any, source: str) -> Any:
    """The setting ``key`` from a value written at ``source``, or a ConfigError
    that names the place, the key, what was wanted and what was written."""
    if how is None or (not how.in_file and not source.startswith(("flag ", "environment "))):
        raise ConfigError(f"{source}: unknown setting {key!r}")
    expected = how.kind
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise ConfigError(
            f"{source}: {key!r} must be {WANTED.get(expected, expected)}, got {as_written(value)}"
        )
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{source}: {key!r} cannot be negative")
    return how.convert(value, source) if how.convert is not None else value


# -- conversions -----------------------------------------------------------------------------


def normalise_server(url: str, source: str = "") -> str:
    """Validate a server base URL and strip a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"server URL must look like https://host[:port], got {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def validate_origin(origin: str, source: str) -> str:
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"{source}: origin must look like https://host[:port] (a web app's address "
            f"without a path), got {origin!r}"
        )
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def validate_ws(url: str, source: str = "") -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConfigError(f"WebSocket URL must look like wss://host/ws/notifications/, got {url!r}")
    return url.strip()


def one_of(
    key: str, choices: tuple[str, ...], make: Callable[[str], Any]
) -> Callable[[str, str], Any]:
    """A conversion of ``key`` to one of ``choices`` (as ``make`` builds it),
    case and spaces ignored."""

    def convert(value: str, source: str) -> Any:
        try:
            return make(value.strip().lower())
        except ValueError:
            raise ConfigError(
                f"{source}: {key} must be one of {', '.join(choices)}, got {value!r}"
            ) from None

    return convert
