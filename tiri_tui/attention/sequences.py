"""The terminal escape sequences that raise a desktop alert, built from hostile text.

Titles are written by other users. Inside an OSC, a stray ESC, BEL, ST or C1
control would end the sequence early and start another one (a clipboard
write, a title change, a fake prompt): :func:`tiri_tui.wire.text.bare` removes
every control first; OSC 777 separates its fields with ``;``, so a ``;`` in
a field becomes ``,``; kitty's payloads travel base64-encoded.
"""

from __future__ import annotations

import base64
import itertools

from tiri_tui.wire.text import bare

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
#: Desktop notifications show about this much; longer text is cut.
TITLE_WIDTH = 60
BODY_WIDTH = 200

_kitty_ids = itertools.count(1)


def osc9(title: str, body: str) -> str:
    """iTerm2's ``OSC 9 ; text BEL`` (one text: the title leads it, never a
    digit, which ConEmu would read as a sub-command)."""
    return f"{ESC}]9;{bare(title, TITLE_WIDTH)}: {bare(body, BODY_WIDTH)}{BEL}"


def osc777(title: str, body: str) -> str:
    """urxvt's ``OSC 777 ; notify ; title ; body BEL``."""
    fields = (
        bare(part, width).replace(";", ",")
        for part, width in ((title, TITLE_WIDTH), (body, BODY_WIDTH))
    )
    return f"{ESC}]777;notify;{';'.join(fields)}{BEL}"


def osc99(title: str, body: str) -> str:
    """kitty's ``OSC 99``: the title, then the body, one notification id, payloads in base64."""
    ident = f"tiri{next(_kitty_ids)}"

    def b64(text: str, width: int) -> str:
        return base64.b64encode(bare(text, width).encode()).decode()

    return (
        f"{ESC}]99;i={ident}:d=0:e=1;{b64(title, TITLE_WIDTH)}{ST}"
        f"{ESC}]99;i={ident}:d=1:e=1:p=body;{b64(body, BODY_WIDTH)}{ST}"
    )


def tmux_passthrough(sequence: str) -> str:
    """Wrapped for tmux to hand to the outer terminal (``allow-passthrough on``):
    ``ESC P tmux; …`` with every ESC inside doubled, ended by ST."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"
