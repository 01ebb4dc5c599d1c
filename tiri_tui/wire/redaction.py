"""Keeping tokens out of every log line, error and state reason.

Two layers: URLs have their ``token=`` query value masked wherever they are
printed, and every token the process holds is registered here so a logging
filter can mask it in any record, whoever wrote the record.
"""

from __future__ import annotations

import logging
import re

_TOKEN_QUERY = re.compile(r"(?i)(token=)[^&\s'\"]+")
#: JWTs have three base64url parts; mask any that slips into text.
_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}")
#: Recent tokens, oldest first. A long session refreshes every few minutes;
#: only recent tokens can still turn up in text, so the list is bounded.
_known_secrets: dict[str, None] = {}
_REMEMBERED = 32


def remember_secret(secret: str | None) -> None:
    """Register a token so it is masked wherever it might be printed."""
    if secret and len(secret) >= 8:
        _known_secrets.pop(secret, None)
        _known_secrets[secret] = None
        while len(_known_secrets) > _REMEMBERED:
            del _known_secrets[next(iter(_known_secrets))]


def redact(text: str) -> str:
    """Mask tokens in ``text``: query values, known secrets and anything JWT-shaped."""
    text = _TOKEN_QUERY.sub(r"\1***", text)
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return _JWT.sub("***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks tokens in the final message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.exc_info:
            record.msg = cleaned
            record.args = None
        if record.exc_info:
            # Formatted tracebacks could quote a URL with the token: flatten them now.
            formatter = logging.Formatter()
            record.msg = cleaned + "\n" + redact(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        return True
