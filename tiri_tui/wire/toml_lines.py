"""Where a table or key stands in a TOML file's text: tomllib reports no
positions, and an error in config.toml must name its line."""

from __future__ import annotations

import re


def header_lines(text: str, table: str) -> list[int]:
    """1-based lines of the ``[table]`` / ``[[table]]`` headers, in order."""
    pattern = re.compile(rf"\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?")
    return [n for n, line in enumerate(text.splitlines(), 1) if pattern.fullmatch(line)]


def key_line(text: str, table_line: int | None, key: str) -> int | None:
    """The line of ``key =`` inside the table whose header is at ``table_line``
    (None: at the top level); the header's line if the key is not written."""
    lines = text.splitlines()
    start = table_line or 0
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if re.match(r"\s*\[", line):
            if table_line is not None:
                break
            continue
        if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return table_line


def place(source: str, line: int | None) -> str:
    """``config.toml, line 12`` (or the file alone when the line is unknown)."""
    return f"{source}, line {line}" if line else source
