"""Settings: defaults, the TOML config file and its profiles, environment, flags.

Precedence, lowest first: built-in defaults, the config file's top level,
the chosen profile, environment variables, command-line flags.

Example ``config.toml`` (in the platformdirs config dir)::

    server = "https://tiriapp.com"
    [profiles.local]
    server = "http://127.0.0.1:8765"
    fallback_interval = 10
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from tiri_tui.attention.modes import AlertMode
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.toml_lines import header_lines, key_line, place

if TYPE_CHECKING:
    from tiri_tui.attention.rules import AttentionRules
    from tiri_tui.settings.customisation import Customisation

DEFAULT_SERVER = "http://127.0.0.1:8765"
APP_NAME = "tiri-tui"


class ConfigError(TiriError):
    """The configuration (file, profile, flag or variable) is not usable."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know, resolved."""

    server: str = DEFAULT_SERVER
    ws_url: str | None = None
    #: The Origin the WebSocket handshake sends (None: the server's own). For a
    #: socket that accepts only its web app's Origin (Channels' OriginValidator).
    origin: str | None = None
    profile: str | None = None
    log_level: str = "WARNING"
    log_file: Path | None = None
    fallback_interval: float = 30.0
    gap_fill_max_pages: int = 10
    page_size: int = 20
    #: Seconds between background walks that remove what was deleted elsewhere
    #: (0: only when asked with `R`; every refresh and gap fill still reconciles
    #: the span it walks).
    reconcile_interval: float = 300.0
    bell: bool = False
    #: How a notification reaches the desktop while the terminal is not focused.
    desktop_alerts: AlertMode = AlertMode.AUTO
    #: ``[[rules]]`` and ``quiet_hours`` (the config file's top level only; None: none).
    attention: AttentionRules | None = None
    #: ``[keymap]``, ``[[commands]]``, ``[links]`` and ``[views.*]`` (None: none).
    customisation: Customisation | None = None
    compression: bool = False
    #: Heartbeat: a silent server is given up on after ping_interval + ping_timeout.
    ping_interval: float = 20.0
    ping_timeout: float = 10.0
    #: Reconnect backoff: base_delay doubling to max_delay (full jitter), at most
    #: reconnect_attempts in a row, then a try every slow_retry seconds (0: never).
    reconnect_base_delay: float = 1.0
    reconnect_max_delay: float = 30.0
    reconnect_attempts: int = 10
    slow_retry: float = 300.0
    #: Extra CA certificates (PEM) to trust, e.g. a company's own CA.
    ca_bundle: Path | None = None
    #: Skip TLS verification. Only ever from an explicit --insecure.
    insecure: bool = False
    #: A directory that holds config/cache/data/log instead of the platform dirs
    #: (``TIRI_HOME``); tests and the demo use it to stay apart from real data.
    home: Path | None = None
    #: "default", or "demo": the demo's session never touches the user's real one.
    namespace: str = "default"

    # -- derived ------------------------------------------------------------------------
    @property
    def ws_origin(self) -> str:
        """The WebSocket's Origin header: the ``origin`` setting, or else the
        server's own ``scheme://host[:port]``."""
        if self.origin:
            return self.origin
        parts = urlsplit(self.server)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))

    @property
    def socket_url(self) -> str:
        """The notifications WebSocket URL (without the token)."""
        if self.ws_url:
            return self.ws_url
        parts = urlsplit(self.server)
        scheme = {"http": "ws", "https": "wss"}[parts.scheme]
        return urlunsplit((scheme, parts.netloc, "/ws/notifications/", "", ""))

    def _dir(self, kind: str) -> Path:
        if self.home is not None:
            base = self.home / kind
        else:
            dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
            base = Path(
                {
                    "config": dirs.user_config_dir,
                    "cache": dirs.user_cache_dir,
                    "data": dirs.user_data_dir,
                    "log": dirs.user_log_dir,
                }[kind]
            )
        return base if self.namespace == "default" else base / self.namespace

    @property
    def config_dir(self) -> Path:
        """Where config.toml and the session files live."""
        return self._dir("config")

    @property
    def cache_dir(self) -> Path:
        """Where the notification cache lives."""
        return self._dir("cache")

    @property
    def data_dir(self) -> Path:
        """Where the outbox lives (it must not be wiped like a cache)."""
        return self._dir("data")

    @property
    def log_dir(self) -> Path:
        """Where the default log file goes."""
        return self._dir("log")

    def account_slug(self, user_id: str | None) -> str:
        """A file-name-safe key for (server, user)."""
        digest = hashlib.sha256(f"{self.server}|{user_id}".encode()).hexdigest()[:16]
        return f"account-{digest}"


def normalise_server(url: str) -> str:
    """Validate a server base URL and strip a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"server URL must look like https://host[:port], got {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _validate_origin(origin: str, source: str) -> str:
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


def _validate_ws(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ConfigError(f"WebSocket URL must look like wss://host/ws/notifications/, got {url!r}")
    return url.strip()


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_FILE_KEYS = {
    "ca_bundle",
    "ping_interval",
    "ping_timeout",
    "reconnect_base_delay",
    "reconnect_max_delay",
    "reconnect_attempts",
    "slow_retry",
    "server",
    "ws_url",
    "origin",
    "log_level",
    "log_file",
    "fallback_interval",
    "gap_fill_max_pages",
    "page_size",
    "reconcile_interval",
    "bell",
    "desktop_alerts",
    "compression",
}


#: The type of each non-string setting.
_TYPES: dict[str, type | tuple[type, ...]] = {
    "fallback_interval": (int, float),
    "ping_interval": (int, float),
    "ping_timeout": (int, float),
    "reconnect_base_delay": (int, float),
    "reconnect_max_delay": (int, float),
    "reconnect_attempts": int,
    "slow_retry": (int, float),
    "gap_fill_max_pages": int,
    "page_size": int,
    "reconcile_interval": (int, float),
    "bell": bool,
    "compression": bool,
}


#: Each type of setting as a person writes it in TOML.
_WANTED: dict[type | tuple[type, ...], str] = {
    str: "text in quotes",
    bool: "true or false",
    int: "a whole number",
    (int, float): "a number",
}


def _as_written(value: Any) -> str:
    """``value`` as TOML writes it: ``"yes"``, ``true``, ``2.5``, or ``a list`` / ``a table``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a table"
    return str(value)


def _coerce(key: str, value: Any, source: str) -> Any:
    if key not in _FILE_KEYS:
        raise ConfigError(f"{source}: unknown setting {key!r}")
    expected = _TYPES.get(key, str)
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise ConfigError(
            f"{source}: {key!r} must be {_WANTED.get(expected, expected)}, got {_as_written(value)}"
        )
    if isinstance(value, str):
        if key in ("log_file", "ca_bundle"):
            return Path(value).expanduser()
        if key == "server":
            return normalise_server(value)
        if key == "ws_url":
            return _validate_ws(value)
        if key == "origin":
            return _validate_origin(value, source)
        if key == "log_level":
            return value.upper()
        if key == "desktop_alerts":
            try:
                return AlertMode(value.strip().lower())
            except ValueError:
                modes = ", ".join(m.value for m in AlertMode)
                raise ConfigError(
                    f"{source}: desktop_alerts must be one of {modes}, got {value!r}"
                ) from None
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{source}: {key!r} cannot be negative")
    return value


#: The config file's tables that are not plain settings, and who reads them.
_ATTENTION_SECTIONS = ("rules", "quiet_hours")
_CUSTOM_SECTIONS = ("keymap", "commands", "links", "views")


def _parse_sections(data: dict[str, Any], text: str, source: str, values: dict[str, Any]) -> None:
    """Rules, quiet hours, keys, commands, links and views: parsed (and their
    modules imported) only when the file has them, so a start without them
    pays nothing for them."""
    try:
        if any(key in data for key in _ATTENTION_SECTIONS):
            from tiri_tui.attention.rules import parse_attention

            values["attention"] = parse_attention(data, text, source)
        if any(key in data for key in _CUSTOM_SECTIONS):
            from tiri_tui.settings.customisation import parse_customisation

            values["customisation"] = parse_customisation(data, text, source)
    except TiriError as exc:  # RulesError, CustomisationError: said as config errors
        raise ConfigError(str(exc)) from None
    for section in (*_ATTENTION_SECTIONS, *_CUSTOM_SECTIONS):
        data.pop(section, None)


def _not_toml(source: str, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's complaint in the form of every other config error (path, line);
    tomllib gives its position only inside the message."""
    words = str(exc)
    if found := re.search(r"\s*\(at line (\d+), column (\d+)\)$", words):
        line, words = int(found[1]), f"{words[: found.start()]} (column {found[2]})"
    elif found := re.search(r"\s*\(at end of document\)$", words):
        line, words = len(text.splitlines()) or 1, f"{words[: found.start()]} (at the end)"
    else:
        line = None
    return f"{place(source, line)}: not valid TOML: {words}"


class SettingsOptions(TypedDict, total=False):
    """What :func:`resolve_settings` takes (the flags, and the environment)."""

    server: str | None
    ws_url: str | None
    origin: str | None
    profile: str | None
    log_level: str | None
    log_file: str | None
    ca_bundle: str | None
    alerts: str | None
    insecure: bool
    environ: dict[str, str] | None
    namespace: str


def load_settings(**options: Unpack[SettingsOptions]) -> Settings:
    """Resolve settings from the config file, its profile, the environment and flags."""
    return resolve_settings(**options)[0]


#: The environment variable and the flag that set each overridable setting.
OVERRIDES = {
    "server": ("TIRI_SERVER", "--server"),
    "ws_url": ("TIRI_WS_URL", "--ws-url"),
    "origin": ("TIRI_ORIGIN", "--origin"),
    "log_level": ("TIRI_LOG_LEVEL", "--log-level"),
    "log_file": ("TIRI_LOG_FILE", "--log-file"),
    "ca_bundle": ("TIRI_CA_BUNDLE", "--ca-bundle"),
    "desktop_alerts": ("TIRI_DESKTOP_ALERTS", "--alerts"),
}


def config_path(env: Mapping[str, str]) -> Path:
    """Where config.toml is (``TIRI_HOME`` moves it, as it moves everything)."""
    home = Path(env["TIRI_HOME"]).expanduser() if env.get("TIRI_HOME") else None
    return Settings(home=home).config_dir / "config.toml"


def resolve_settings(
    *,
    server: str | None = None,
    ws_url: str | None = None,
    origin: str | None = None,
    profile: str | None = None,
    log_level: str | None = None,
    log_file: str | None = None,
    ca_bundle: str | None = None,
    alerts: str | None = None,
    insecure: bool = False,
    environ: dict[str, str] | None = None,
    namespace: str = "default",
) -> tuple[Settings, dict[str, str]]:
    """The settings, and where each one that is not a default came from
    (``config.toml, line 3``, ``environment TIRI_SERVER``, ``flag --server``)."""
    env = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    home = Path(env["TIRI_HOME"]).expanduser() if env.get("TIRI_HOME") else None
    values: dict[str, Any] = {"home": home}
    path = Settings(home=home).config_dir / "config.toml"
    data: dict[str, Any] = {}
    text = ""
    if path.exists():
        try:
            text = path.read_text("utf-8")
            data = tomllib.loads(text)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_not_toml(str(path), text, exc)) from None
    _parse_sections(data, text, str(path), values)
    for section in ("attention", "customisation"):
        if section in values:
            sources[section] = str(path)
    profiles = data.pop("profiles", {})
    for key, value in data.items():
        where = place(str(path), key_line(text, None, key))
        values[key] = _coerce(key, value, where)
        sources[key] = where
    chosen = profile or env.get("TIRI_PROFILE") or None
    if chosen:
        if not isinstance(profiles, dict) or chosen not in profiles:
            known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
            raise ConfigError(
                f"no profile {chosen!r} in {path}" + (f" (have: {known})" if known else "")
            )
        header = next(iter(header_lines(text, f"profiles.{chosen}")), None)
        for key, value in profiles[chosen].items():
            where = place(str(path), key_line(text, header, key)) + f" [profiles.{chosen}]"
            values[key] = _coerce(key, value, where)
            sources[key] = where
        values["profile"] = chosen
        sources["profile"] = "flag --profile" if profile else "environment TIRI_PROFILE"
    flags = {
        "server": server,
        "ws_url": ws_url,
        "origin": origin,
        "log_level": log_level,
        "log_file": log_file,
        "ca_bundle": ca_bundle,
        "desktop_alerts": alerts,
    }
    for key, (variable, flag) in OVERRIDES.items():
        if flags[key]:
            values[key] = _coerce(key, flags[key], f"flag {flag}")
            sources[key] = f"flag {flag}"
        elif env.get(variable):
            values[key] = _coerce(key, env[variable], f"environment {variable}")
            sources[key] = f"environment {variable}"
    if home is not None:
        sources["home"] = "environment TIRI_HOME"
    values["namespace"] = namespace
    values["insecure"] = insecure
    if insecure:
        sources["insecure"] = "flag --insecure"
    bundle = values.get("ca_bundle")
    if bundle is not None and not bundle.is_file():
        raise ConfigError(f"CA bundle {bundle} does not exist")
    unknown = set(values) - set(_FIELDS)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    return Settings(**values), sources


def is_loopback_host(host: str | None) -> bool:
    if host in (None, "", "localhost"):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".localhost")


def security_warnings(settings: Settings) -> list[str]:
    """What a user must be told before their token goes on the wire."""
    warnings = []
    if settings.insecure:
        warnings.append(
            "TLS certificate checks are OFF (--insecure): anyone on the network path "
            "can impersonate the server and take your session"
        )
    for url in (settings.server, settings.socket_url):
        parts = urlsplit(url)
        if parts.scheme in ("http", "ws") and not is_loopback_host(parts.hostname):
            warnings.append(
                f"{parts.scheme}:// to {parts.hostname} is not encrypted: your token travels "
                "in clear text (use https://)"
            )
            break
    return warnings


def describe_settings(settings: Settings, sources: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, value as written, where it came from) for every setting a user sets."""
    rows = []
    for name in (*sorted(_FILE_KEYS), "profile", "insecure"):
        value = getattr(settings, name)
        shown = (
            "(none)"
            if value is None
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
        if name == "origin" and value is None:
            rows.append((name, settings.ws_origin, "default: the server's own"))
            continue
        rows.append((name, shown, sources.get(name, "default")))
    if settings.attention is not None:
        rules = settings.attention
        quiet = f", quiet hours {rules.quiet_hours}" if rules.quiet_hours else ""
        rows.append(
            ("rules", f"{len(rules.rules)} rule(s){quiet} (tiri-tui rules)", sources["attention"])
        )
    if settings.customisation is not None:
        c = settings.customisation
        summary = f"{len(c.keymap)} key(s), {len(c.commands)} command(s), {len(c.links)} link(s), {len(c.views)} view(s)"
        rows.append(("customisation", summary, sources["customisation"]))
    return rows
