"""What the terminal shows of a widget, as text (Pilot tests read it, not the widget's data)."""

from __future__ import annotations

from textual.widget import Widget


def visible(widget: Widget) -> str:
    """The lines ``widget`` draws (cut to its width), as plain text."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def refreshes(widget: Widget) -> list[bool]:
    """From now on, one entry per refresh ``widget`` asks for: whether it
    asked for a layout of the screen (True) or only a redraw of itself."""
    asked: list[bool] = []
    original = widget.refresh

    def spy(*args, layout: bool = False, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(layout)
        return original(*args, layout=layout, **kwargs)

    widget.refresh = spy  # type: ignore[method-assign]
    return asked
