"""Untrusted text is made inert; tokens are masked everywhere."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from tiri_tui.wire.redaction import RedactingFilter, redact, remember_secret
from tiri_tui.wire.text import inert, one_line

HOSTILE = "\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \u202egnp.exe\u202c nul\x00 [bold]x[/] \x9b2J"


def test_controls_escapes_and_bidi_become_visible_escapes():
    shown = inert(HOSTILE)
    for char in ("\x1b", "\x07", "\u202e", "\u202c", "\x00", "\x9b"):
        assert char not in shown
    assert "\\x1b[31mred" in shown and "\\u202e" in shown and "[bold]x[/]" in shown


@given(st.text())
def test_nothing_unsafe_survives(text):
    shown = inert(text)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_one_line_flattens_and_cuts():
    assert one_line("a\nb\tc  d") == "a b c d"
    assert one_line("abcdefghij", 5) == "abcd…"


def test_detail_keeps_newlines_but_not_escapes():
    assert inert("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"


def test_redact_masks_query_tokens_known_secrets_and_jwts():
    secret = "s3cr3t-refresh-token-value"
    remember_secret(secret)
    text = (
        f"GET /ws/?token=abc.def.ghi&x=1 refresh={secret} jwt eyJhbGciOi.eyJzdWIiOjF9.c2lnbmF0dXJl"
    )
    cleaned = redact(text)
    assert "abc.def.ghi" not in cleaned and secret not in cleaned and "eyJhbGciOi" not in cleaned
    assert "token=***" in cleaned and "x=1" in cleaned


def test_logging_filter_masks_messages_args_and_tracebacks():
    secret = "another-secret-token-1234"
    remember_secret(secret)
    record = logging.LogRecord(
        "t", logging.ERROR, __file__, 1, "url %s", (f"wss://h/?token={secret}",), None
    )
    try:
        raise ValueError(f"boom {secret}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert secret not in record.getMessage()
    assert record.exc_info is None and "boom ***" in record.getMessage()
