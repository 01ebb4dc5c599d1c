"""Logging to a file in the platformdirs log dir, with tokens masked in every record."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from tiri_tui.config import Settings
from tiri_tui.redaction import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Our handler's name: configuring again replaces it instead of adding another.
_HANDLER_NAME = "tiri-tui-log-file"


def configure_logging(settings: Settings) -> Path | None:
    """Send every log record (ours, websockets', httpx') to the log file, redacted.

    Returns the log file path, or None when it cannot be opened (the run
    goes on without a log rather than failing).
    """
    level = getattr(logging, settings.log_level.upper(), logging.WARNING)
    path = settings.log_file or settings.log_dir / "tiri-tui.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        return None
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request line at INFO; keep that for debug runs only.
    logging.getLogger("httpx").setLevel(
        max(level, logging.WARNING) if level > logging.DEBUG else level
    )
    return path
