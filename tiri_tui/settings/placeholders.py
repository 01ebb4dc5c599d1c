"""``{title}``, ``{extra_data.KEY}``… in the user's commands and link templates.

Each value is made inert for where it goes *before* it is put in: shell-quoted
for a command (a title ``$(rm -rf ~)`` stays text), URL-encoded for a link.
A placeholder written inside quotes in a command would be taken out of them
by the quoting, so the template is refused at start instead.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.models import Notification

FIELDS = ("id", "type", "title", "message", "priority", "created_at")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


class TemplateError(TiriError):
    """A command or link template cannot be used (said at start)."""


def names(template: str) -> list[str]:
    """The placeholders of ``template``, in order (``{{`` and ``}}`` are braces)."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1) is not None]


def check(template: str, *, file_allowed: bool) -> None:
    """Every placeholder is known (TemplateError says which is not)."""
    for name in names(template):
        known = name in FIELDS or (name == "file" and file_allowed)
        if not known and not (name.startswith("extra_data.") and len(name) > len("extra_data.")):
            allowed = ", ".join(f"{{{f}}}" for f in (*FIELDS, *(["file"] if file_allowed else [])))
            raise TemplateError(
                f"unknown placeholder {{{name}}} (use {allowed}, {{extra_data.KEY}})"
            )


def check_shell(template: str) -> None:
    """Placeholders stand outside any quotes (the value is quoted for them)."""
    state, escaped = "", False
    at = 0
    while at < len(template):
        char = template[at]
        if escaped:
            escaped = False
        elif char == "\\" and state != "'":
            escaped = True
        elif char in "'\"" and state in ("", char):
            state = "" if state == char else char
        elif char == "{" and (match := _TOKEN.match(template, at)) and match.group(1) is not None:
            if state:
                raise TemplateError(
                    f"write {match.group()} without quotes around it: each value is "
                    "shell-quoted already"
                )
            at = match.end()
            continue
        at += 1


def value(n: Notification, name: str) -> str | None:
    """The text of one placeholder for ``n`` (None: the notification has no such field)."""
    if name.startswith("extra_data."):
        found = (n.extra_data or {}).get(name[len("extra_data.") :])
        if found is None:
            return None
        return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)
    return {
        "id": n.id,
        "type": n.notification_type,
        "title": n.title,
        "message": n.message,
        "priority": n.priority or "normal",
        "created_at": n.created_at.isoformat(),
    }[name]


def fill(
    template: str,
    n: Notification,
    escape: Callable[[str], str],
    extra: dict[str, str] | None = None,
) -> str:
    """``template`` with each placeholder's value escaped; TemplateError names a missing one."""

    def replace(match: re.Match[str]) -> str:
        token, name = match.group(), match.group(1)
        if name is None:
            return token[0]  # "{{" or "}}"
        found = (extra or {}).get(name) if name in (extra or {}) else value(n, name)
        if found is None:
            raise TemplateError(f"this notification has no {{{name}}}")
        return escape(found)

    return _TOKEN.sub(replace, template)


def shell_command(template: str, n: Notification, file: str | None = None) -> str:
    """The command line to run: every value shell-quoted."""
    return fill(template, n, shlex.quote, {"file": file} if file is not None else None)


def link(template: str, n: Notification) -> str:
    """The URL: every value URL-encoded; TemplateError unless it is http(s) with a host."""
    url = fill(template, n, lambda text: quote(text, safe=""))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TemplateError("only http and https links open")
    return url
