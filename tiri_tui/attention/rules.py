"""``[[rules]]`` and ``quiet_hours`` from config.toml: what to do with an arrival.

Read and checked once, at start: a bad rule is an error naming its line in
the file, never a surprise later. tomllib reports no positions, so the line
is found in the text: the N-th ``[[rules]]`` header, and the key under it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from typing import Any

from msgspec import Struct

from tiri_tui.wire.errors import TiriError
from tiri_tui.wire.models import PRIORITIES, Notification
from tiri_tui.wire.toml_lines import header_lines, key_line, place

__all__ = ["PRIORITIES", "Action", "AttentionRules", "QuietHours", "Rule", "RulesError"]
_TYPE_NAME = re.compile(r"[a-z0-9_]+")
_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_RULE_KEYS = {"types", "priority", "action", "run"}
#: The longest command line a rule may give (a script's path and a few words).
RUN_LIMIT = 4096


class RulesError(TiriError):
    """A rule or the quiet hours in config.toml cannot be used."""


class Action(StrEnum):
    """What a matching rule does with an arrival."""

    #: Mark it read at once (through the outbox, like a keypress): no alert.
    READ = "read"
    #: No alert, no highlight, no bell; still listed.
    MUTE = "mute"
    #: Alert even while the dashboard is in front and during quiet hours; ring the bell.
    ALERT = "alert"
    #: The agent runs the rule's command, the notification in its environment
    #: only; it alerts as if no rule matched.
    RUN = "run"


class Rule(Struct, frozen=True):
    """Types and/or a priority to match, the action, and where it was written."""

    types: frozenset[str] | None
    priority: str | None
    action: Action
    line: int | None = None
    #: The command line of a ``run`` rule (the person's own words, run by ``sh -c``).
    run: str | None = None

    def matches(self, n: Notification) -> bool:
        """Every condition the rule gives holds for ``n``."""
        if self.types is not None and n.notification_type not in self.types:
            return False
        return self.priority is None or n.priority == self.priority

    def describe(self) -> str:
        """One line for people: ``new_message, chat_room_created → mute (line 12)``."""
        conditions = []
        if self.types is not None:
            conditions.append("type " + " or ".join(sorted(self.types)))
        if self.priority is not None:
            conditions.append(f"priority {self.priority}")
        where = f"  (line {self.line})" if self.line else ""
        action = f"run {self.run!r} (by the agent)" if self.action is Action.RUN else self.action
        return f"{' and '.join(conditions)} → {action}{where}"


class QuietHours(Struct, frozen=True):
    """A daily span of local time (it may cross midnight) with no alert and no bell."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """``moment`` (local wall-clock time) falls inside the span."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class AttentionRules(Struct, frozen=True):
    """The rules in force, first match wins, and the quiet hours."""

    rules: tuple[Rule, ...] = ()
    quiet_hours: QuietHours | None = None

    def action_for(self, n: Notification) -> Action | None:
        """The first matching rule's action (None: no rule matches)."""
        rule = self.rule_for(n)
        return None if rule is None else rule.action

    def rule_for(self, n: Notification) -> Rule | None:
        """The first matching rule (None: no rule matches)."""
        return next((rule for rule in self.rules if rule.matches(n)), None)

    def describe(self) -> list[str]:
        """The rules and quiet hours, in words, in the order they apply."""
        lines = [f"quiet hours: {self.quiet_hours}" if self.quiet_hours else "quiet hours: none"]
        if not self.rules:
            lines.append("rules: none (every new notification may alert)")
        for number, rule in enumerate(self.rules, 1):
            lines.append(f"rule {number}: {rule.describe()}")
        return lines


def parse_quiet_hours(value: object, where: str) -> QuietHours:
    """``"22:00-07:00"`` (local time)."""
    match = _SPAN.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise RulesError(f'{where}: quiet_hours must look like "22:00-07:00", got {value!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise RulesError(f"{where}: quiet_hours {value!r} is not a time of day")
    if (h1, m1) == (h2, m2):
        raise RulesError(f"{where}: quiet_hours {value!r} starts when it ends")
    return QuietHours(time(h1, m1), time(h2, m2))


def _types(value: object) -> frozenset[str] | str:
    """The types as a set, or what is wrong with them."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        return "'types' must be a type name or a non-empty list of them"
    if not all(isinstance(t, str) and _TYPE_NAME.fullmatch(t) for t in names):
        return "'types' must hold names like \"new_message\" (lower case, digits, _)"
    return frozenset(names)


def _rule(table: Mapping[str, Any], at: Any) -> Rule:
    """One rule, or RulesError through ``at(key, problem)``."""
    unknown = set(table) - _RULE_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise at(key, f"unknown key {key!r} (a rule has types, priority, action and run)")
    types = None
    if "types" in table:
        checked = _types(table["types"])
        if isinstance(checked, str):
            raise at("types", checked)
        types = checked
    priority = table.get("priority")
    if priority is not None and priority not in PRIORITIES:
        raise at("priority", f"'priority' must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    if types is None and priority is None:
        raise at("action", "a rule needs 'types' and/or 'priority' to match on")
    if "action" not in table:
        raise at(None, "a rule needs an 'action' (read, mute, alert or run)")
    try:
        action = Action(table["action"])
    except ValueError:
        raise at(
            "action", f"'action' must be read, mute, alert or run, got {table['action']!r}"
        ) from None
    run = table.get("run")
    if action is Action.RUN:
        if not isinstance(run, str) or not run.strip():
            raise at("run" if "run" in table else "action", "a run rule needs 'run', a command")
        if len(run) > RUN_LIMIT or "\0" in run:
            raise at("run", f"'run' must be one command line (at most {RUN_LIMIT} characters)")
    elif run is not None:
        raise at("run", "'run' belongs to a rule with action = \"run\"")
    return Rule(types, priority, action, run=run)


def parse_rules(value: object, text: str, source: str) -> tuple[Rule, ...]:
    """The ``rules`` array of the config file (``text``, for line numbers)."""
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        line = key_line(text, None, "rules")
        raise RulesError(f"{place(source, line)}: 'rules' must be [[rules]] tables")
    headers = header_lines(text, "rules")
    rules = []
    for index, table in enumerate(value):
        header = headers[index] if index < len(headers) else key_line(text, None, "rules")

        def at(
            key: str | None, problem: str, header: int | None = header, number: int = index + 1
        ) -> RulesError:
            line = key_line(text, header, key) if key else header
            return RulesError(f"{place(source, line)}: rule {number}: {problem}")

        rules.append(_with_line(_rule(table, at), header))
    return tuple(rules)


def _with_line(rule: Rule, line: int | None) -> Rule:
    return Rule(rule.types, rule.priority, rule.action, line, rule.run)


def parse_attention(data: Mapping[str, Any], text: str, source: str) -> AttentionRules:
    """The rules and quiet hours of a config file's top level (absent: none)."""
    quiet = data.get("quiet_hours")
    return AttentionRules(
        rules=parse_rules(data["rules"], text, source) if "rules" in data else (),
        quiet_hours=(
            parse_quiet_hours(quiet, place(source, key_line(text, None, "quiet_hours")))
            if quiet is not None
            else None
        ),
    )
