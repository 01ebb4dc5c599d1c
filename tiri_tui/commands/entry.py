"""The `tiri-tui` script (and `python -m tiri_tui`): the collector is off while the program starts.

Starting the dashboard builds some hundred thousand objects (modules, parsed
CSS, widgets, the cache's rows) and keeps nearly all of them: the collector's
passes over them while they are being built find almost nothing to free and
cost a tenth of the time to the first painted row. So it is off from here
until the dashboard's first frame, and on again at once for every other
command (:func:`tiri_tui.commands.cli.main` decides).
"""

from __future__ import annotations

from tiri_tui.commands import gc_tuning


def main() -> int:
    """Entry point of the `tiri-tui` script; returns the exit code."""
    gc_tuning.pause()
    from tiri_tui.commands.cli import main as run

    return run()
