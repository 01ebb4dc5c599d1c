"""tiri-tui: a terminal dashboard for Tiri notifications."""

__version__ = "0.1.0"
