"""Logging to a file in the platformdirs log dir, with tokens masked in every record."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
from pathlib import Path

from tiri_tui.settings.config import Settings
from tiri_tui.wire.redaction import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Our handler's name: configuring again replaces it instead of adding another.
_HANDLER_NAME = "tiri-tui-log-file"


_listener: logging.handlers.QueueListener | None = None


def configure_logging(settings: Settings) -> Path | None:
    """Send every log record (ours, websockets', httpx') to the log file, redacted.

    Records are queued and written by a thread of their own: a debug run logs
    every frame, and the event loop must never wait on a disk. Returns the log
    file path, or None when it cannot be opened (the run goes on without a
    log rather than failing).
    """
    global _listener
    level = getattr(logging, settings.log_level.upper(), logging.WARNING)
    path = settings.log_file or settings.log_dir / "tiri-tui.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
    if _listener is not None:
        _listener.stop()
        _listener = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        return None
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler.addFilter(RedactingFilter())
    queued = logging.handlers.QueueHandler(queue.SimpleQueue())
    queued.set_name(_HANDLER_NAME)
    queued.addFilter(RedactingFilter())  # masked before the record leaves this thread
    _listener = logging.handlers.QueueListener(queued.queue, file_handler)
    _listener.start()
    atexit.register(_listener.stop)  # what is queued is written before exit
    root.addHandler(queued)
    root.setLevel(level)
    # httpx logs every request line at INFO; keep that for debug runs only.
    logging.getLogger("httpx").setLevel(
        max(level, logging.WARNING) if level > logging.DEBUG else level
    )
    return path


def flush_logs() -> None:
    """Wait until every record logged so far is in the file."""
    if _listener is not None:
        _listener.stop()  # writes what is queued, then its thread ends
        _listener.start()
