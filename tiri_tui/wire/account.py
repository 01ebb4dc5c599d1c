"""The account-wide answers of the wire contract: the unread breakdown by type
and the person's preferences (shared with the phone).

Pure data: no I/O. Both are optional on a server, so a missing or malformed
breakdown is "none", never an error; preferences that do not follow the
contract raise :class:`WireError`. A preference change is written back as the
whole object the server sent, with only the changed keys replaced, so keys a
newer server adds survive a change made here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from msgspec import Struct

from tiri_tui.wire.models import WireError

#: What a type name may show as where it cannot be escaped (a status bar, a
#: waybar tooltip read as Pango markup): letters, digits, ``_ . -``.
_TYPE_SHOWN = re.compile(r"[^A-Za-z0-9_.\-]")
#: The longest type name shown; the rest is cut.
TYPE_NAME_LIMIT = 48
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d(?:\.\d+)?)?")


def shown_type(name: str) -> str:
    """A server's type name made inert for any output: every character outside
    letters, digits and ``_ . -`` becomes ``?``; a longer one than
    :data:`TYPE_NAME_LIMIT` is cut, with ``…``."""
    shown = _TYPE_SHOWN.sub("?", name[:TYPE_NAME_LIMIT]) or "?"
    return shown[: TYPE_NAME_LIMIT - 1] + "…" if len(name) > TYPE_NAME_LIMIT else shown


def breakdown_from(body: object) -> dict[str, int] | None:
    """The ``type_breakdown`` of an unread-count answer, names made inert (two
    names that become one are added up), largest first; None when the server
    sent none (it may ignore ``include_breakdown``) or sent something else."""
    raw = body.get("type_breakdown") if isinstance(body, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    counts: dict[str, int] = {}
    for name, count in raw.items():
        if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
            continue
        if count > 0:
            key = shown_type(name)
            counts[key] = counts.get(key, 0) + count
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


class Preferences(Struct, frozen=True):
    """The person's notification preferences as the server holds them."""

    email_enabled: bool
    push_enabled: bool
    sms_enabled: bool
    enabled_types: tuple[str, ...]
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    #: The whole object as sent: what a change writes back (unknown keys kept).
    raw: dict[str, Any]

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        """The quiet span (it may cross midnight); None when either end is unset
        or both are the same time (no span)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start is None or end is None or start == end:
            return None
        return start, end


def _flag(body: Mapping[str, Any], key: str) -> bool:
    value = body.get(key)
    if not isinstance(value, bool):
        raise WireError(f"{key!r} must be true or false")
    return value


def _time_of_day(body: Mapping[str, Any], key: str) -> time | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    match = _HOURS.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise WireError(f"{key!r} must be a time of day (HH:MM) or null")
    return time(int(match.group(1)), int(match.group(2)))


def preferences_from(body: object) -> Preferences:
    """Parse the preferences object (Django's TimeField sends ``HH:MM:SS``)."""
    if not isinstance(body, Mapping):
        raise WireError("the preferences are not an object")
    types = body.get("enabled_types")
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise WireError("'enabled_types' must be a list of type names")
    return Preferences(
        email_enabled=_flag(body, "email_enabled"),
        push_enabled=_flag(body, "push_enabled"),
        sms_enabled=_flag(body, "sms_enabled"),
        enabled_types=tuple(types),
        quiet_hours_start=_time_of_day(body, "quiet_hours_start"),
        quiet_hours_end=_time_of_day(body, "quiet_hours_end"),
        raw=dict(body),
    )


def with_quiet_hours(prefs: Preferences, span: tuple[time, time] | None) -> dict[str, Any]:
    """The object to write back with the quiet hours set (None: none)."""
    start, end = span if span is not None else (None, None)
    return {
        **prefs.raw,
        "quiet_hours_start": None if start is None else f"{start:%H:%M}",
        "quiet_hours_end": None if end is None else f"{end:%H:%M}",
    }


def with_types(prefs: Preferences, add: Iterable[str], remove: Iterable[str]) -> dict[str, Any]:
    """The object to write back with types added and removed (order kept, the
    added ones last, none twice)."""
    gone = set(remove)
    kept = [t for t in prefs.enabled_types if t not in gone]
    for name in add:
        if name not in kept and name not in gone:
            kept.append(name)
    return {**prefs.raw, "enabled_types": kept}


def with_flag(prefs: Preferences, key: str, value: bool) -> dict[str, Any]:
    """The object to write back with ``email_enabled``/``push_enabled``/``sms_enabled`` set."""
    if key not in ("email_enabled", "push_enabled", "sms_enabled"):
        raise ValueError(f"not a channel switch: {key}")
    return {**prefs.raw, key: value}
