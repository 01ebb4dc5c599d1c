"""What the terminal shows of a widget, as text (Pilot tests read it, not the widget's data)."""

from __future__ import annotations

from textual.widget import Widget


def visible(widget: Widget) -> str:
    """The lines ``widget`` draws (cut to its width), as plain text."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))
