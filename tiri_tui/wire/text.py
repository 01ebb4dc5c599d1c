"""Making untrusted text (titles, messages, server errors) inert for a terminal.

Other users write titles and messages. They must show literally: no Rich
markup interpreted (the UI builds ``rich.text.Text`` objects, never markup
strings), and no escape or control sequence reaching the terminal (ANSI CSI,
OSC 52 clipboard writes, BiDi overrides that reorder what is shown, NULs).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or
# hide text (BiDi embeddings/overrides/isolates, zero-width joiners are left).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def inert(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control/format character shown as a visible escape.

    Newlines and tabs become spaces unless ``keep_newlines`` (detail pane).
    """
    if keep_newlines:
        parts = text.replace("\r\n", "\n").split("\n")
        return "\n".join(inert(part) for part in parts)
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return _UNSAFE.sub(_escape, text)


def one_line(text: str, width: int | None = None) -> str:
    """Inert, single-line, optionally cut to ``width`` characters with an ellipsis."""
    flat = " ".join(inert(text).split())
    if width is not None and len(flat) > width:
        return flat[: max(0, width - 1)] + "…"
    return flat


def bare(text: str, width: int) -> str:
    """Single-line text with every control/format character *removed*, cut to
    ``width``: for places that cannot show an escape as text (inside a
    terminal's escape sequence, a desktop notification)."""
    flat = " ".join(_UNSAFE.sub("", text.replace("\t", " ").replace("\n", " ")).split())
    if len(flat) > width:
        return flat[: max(0, width - 1)] + "…"
    return flat
