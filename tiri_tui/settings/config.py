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
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from tiri_tui.attention.modes import AlertMode
from tiri_tui.settings.declared import (
    NUMBER,
    coerce,
    declarations,
    normalise_server,
    one_of,
    setting,
    validate_origin,
    validate_ws,
)
from tiri_tui.settings.declared import ConfigError as ConfigError  # raised to config's callers
from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.toml_lines import header_lines, key_line, place

if TYPE_CHECKING:
    import tomllib

    from tiri_tui.attention.rules import AttentionRules
    from tiri_tui.settings.customisation import Customisation

DEFAULT_SERVER = "http://127.0.0.1:8765"
APP_NAME = "tiri-tui"


ALERT_MODES = tuple(m.value for m in AlertMode)


def _path(value: str, source: str) -> Path:
    return Path(value).expanduser()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know, resolved; each plain setting declared
    with how a person sets it (:mod:`tiri_tui.settings.declared`)."""

    server: str = setting(
        DEFAULT_SERVER,
        env="TIRI_SERVER",
        flag="--server",
        metavar="URL",
        about="server base URL",
        default_words=DEFAULT_SERVER,
        convert=normalise_server,
    )
    ws_url: str | None = setting(
        None,
        env="TIRI_WS_URL",
        flag="--ws-url",
        metavar="URL",
        about="WebSocket URL, if not derived from --server",
        convert=validate_ws,
    )
    #: The Origin the WebSocket handshake sends (None: the server's own). For a
    #: socket that accepts only its web app's Origin (Channels' OriginValidator).
    origin: str | None = setting(
        None,
        env="TIRI_ORIGIN",
        flag="--origin",
        metavar="URL",
        about="the Origin the WebSocket sends, for a server whose socket accepts only its "
        "web app's",
        default_words="the server's own scheme://host[:port]",
        convert=validate_origin,
    )
    profile: str | None = setting(
        None,
        env="TIRI_PROFILE",
        flag="--profile",
        metavar="NAME",
        about="a [profiles.NAME] of config.toml",
        in_file=False,
    )
    log_level: str = setting(
        "WARNING",
        env="TIRI_LOG_LEVEL",
        flag="--log-level",
        metavar="LEVEL",
        about="log verbosity; tokens are masked at every level",
        default_words="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"),
        convert=lambda value, source: value.upper(),
    )
    log_file: Path | None = setting(
        None,
        env="TIRI_LOG_FILE",
        flag="--log-file",
        metavar="PATH",
        about="log file",
        default_words="the platform log dir",
        convert=_path,
    )
    fallback_interval: float = setting(30.0, kind=NUMBER)
    gap_fill_max_pages: int = setting(10, kind=int)
    page_size: int = setting(20, kind=int)
    #: Seconds between background walks that remove what was deleted elsewhere
    #: (0: only when asked with `R`; every refresh and gap fill still reconciles
    #: the span it walks).
    reconcile_interval: float = setting(300.0, kind=NUMBER)
    bell: bool = setting(False, kind=bool)
    #: What the agent's alert's "Open" button runs (split like a shell's words,
    #: which no shell then reads again; "": the dashboard in a new terminal window).
    open_command: str = setting("", kind=str)
    #: How a notification reaches the desktop while the terminal is not focused.
    desktop_alerts: AlertMode = setting(
        AlertMode.AUTO,
        env="TIRI_DESKTOP_ALERTS",
        flag="--alerts",
        metavar="MODE",
        about="desktop alerts while the terminal is not focused: auto (picked from the "
        "terminal), osc9, osc777, osc99, desktop, bell, off",
        default_words="auto",
        choices=ALERT_MODES,
        convert=one_of("desktop_alerts", ALERT_MODES, AlertMode),
    )
    #: ``[[rules]]`` and ``quiet_hours`` (the config file's top level only; None: none).
    attention: AttentionRules | None = None
    #: ``[keymap]``, ``[[commands]]``, ``[links]`` and ``[views.*]`` (None: none).
    customisation: Customisation | None = None
    compression: bool = setting(False, kind=bool)
    #: Heartbeat: a silent server is given up on after ping_interval + ping_timeout.
    ping_interval: float = setting(20.0, kind=NUMBER)
    ping_timeout: float = setting(10.0, kind=NUMBER)
    #: Reconnect backoff: base_delay doubling to max_delay (full jitter), at most
    #: reconnect_attempts in a row, then a try every slow_retry seconds (0: never).
    reconnect_base_delay: float = setting(1.0, kind=NUMBER)
    reconnect_max_delay: float = setting(30.0, kind=NUMBER)
    reconnect_attempts: int = setting(10, kind=int)
    slow_retry: float = setting(300.0, kind=NUMBER)
    #: Extra CA certificates (PEM) to trust, e.g. a company's own CA.
    ca_bundle: Path | None = setting(
        None,
        env="TIRI_CA_BUNDLE",
        flag="--ca-bundle",
        metavar="PATH",
        about="also trust the CA certificates in this PEM file",
        convert=_path,
    )
    #: Skip TLS verification. Only ever from an explicit --insecure.
    insecure: bool = setting(
        False,
        kind=bool,
        flag="--insecure",
        about="do not verify TLS certificates (dangerous: warned about every time)",
        in_file=False,
        switch=True,
    )
    #: Run standalone even when the profile's agent is running (`tiri-tui agent`).
    no_agent: bool = setting(
        False,
        kind=bool,
        flag="--no-agent",
        about="connect on its own even when the profile's agent runs (tiri-tui agent)",
        in_file=False,
        switch=True,
    )
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


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
#: How a person sets each plain setting, and which config.toml may set.
DECLARED = declarations(Settings)
_FILE_KEYS = [name for name, how in DECLARED.items() if how.in_file]
#: The environment variable and the flag that override each setting (by name).
OVERRIDES = {name: how for name, how in DECLARED.items() if how.env and how.flag and how.in_file}


def _coerce(key: str, value: Any, source: str) -> Any:
    return coerce(key, DECLARED.get(key), value, source)


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


def load_settings(**options: Any) -> Settings:
    """Resolve settings from the config file, its profile, the environment and flags."""
    return resolve_settings(**options)[0]


def config_path(env: Mapping[str, str]) -> Path:
    """Where config.toml is (``TIRI_HOME`` moves it, as it moves everything)."""
    home = Path(env["TIRI_HOME"]).expanduser() if env.get("TIRI_HOME") else None
    return Settings(home=home).config_dir / "config.toml"


def resolve_settings(
    *,
    profile: str | None = None,
    insecure: bool = False,
    no_agent: bool = False,
    environ: Mapping[str, str] | None = None,
    namespace: str = "default",
    flags: Mapping[str, str | None] | None = None,
    **named: str | None,
) -> tuple[Settings, dict[str, str]]:
    """The settings, and where each one that is not a default came from
    (``config.toml, line 3``, ``environment TIRI_SERVER``, ``flag --server``).

    ``flags`` (or ``named``): the overriding flags as given, by their name in
    parsed arguments (``server``, ``alerts``…; None: not given).
    """
    flags = {**(flags or {}), **named}
    by_dest = {how.dest: name for name, how in OVERRIDES.items()}
    if unknown_flags := set(flags) - set(by_dest):
        raise TypeError(f"no such flag: {', '.join(sorted(unknown_flags))}")
    env = os.environ if environ is None else environ
    sources: dict[str, str] = {}
    home = Path(env["TIRI_HOME"]).expanduser() if env.get("TIRI_HOME") else None
    values: dict[str, Any] = {"home": home}
    path = Settings(home=home).config_dir / "config.toml"
    data: dict[str, Any] = {}
    text = ""
    if path.exists():
        import tomllib  # read only when there is a file: most starts have none

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
    for key, how in OVERRIDES.items():
        given, variable = flags.get(how.dest), how.env
        assert variable is not None
        if given:
            values[key] = _coerce(key, given, f"flag {how.flag}")
            sources[key] = f"flag {how.flag}"
        elif env.get(variable):
            values[key] = _coerce(key, env[variable], f"environment {variable}")
            sources[key] = f"environment {variable}"
    if home is not None:
        sources["home"] = "environment TIRI_HOME"
    values["namespace"] = namespace
    values["insecure"] = insecure
    values["no_agent"] = no_agent
    if no_agent:
        sources["no_agent"] = "flag --no-agent"
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
    for name in (*sorted(_FILE_KEYS), *(n for n, how in DECLARED.items() if not how.in_file)):
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
