"""y copies the selected notification through the terminal (OSC 52): the bytes a
terminal receives carry no control character a hostile title or message put there."""

from __future__ import annotations

import base64
import re

from tests.support.cli import cli_login
from tests.support.terminal import in_terminal
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD

OSC52, BEL = b"\x1b]52;c;", b"\x07"
HOSTILE_TITLE = "Hi\x1b]52;c;ZXZpbA==\x07\x1b\\ there; more\x9c\x9b2J\x00 \u202eevil\u202c"
HOSTILE_MESSAGE = "first line\n\x1b[2Jsecond\x1b]0;pwned\x07 line\r\n\u2066third\u2069"
#: What the decoded payload may hold below a space: line breaks between fields.
ALLOWED = {"\n"}


async def test_y_writes_one_osc52_whose_text_has_no_control_characters(server, home):
    code, _, err = await cli_login(home, "--server", server.url, password=DEMO_PASSWORD)
    assert code == 0, err
    await server.create_notification(
        title=HOSTILE_TITLE,
        message=HOSTILE_MESSAGE,
        priority="normal",
        notification_type="request_accepted",
    )
    async with in_terminal("--server", server.url, home=home) as terminal:
        await terminal.wait_for_output(b"\x1b[?1004h")  # Textual is up
        await wait_for(lambda: server.hub.sockets(server.user(DEMO_EMAIL)), 15, what="connected")
        await terminal.wait_for_output(b"there; more")  # the hostile row is drawn (inert)
        start = len(terminal.output)
        terminal.write(b"y")
        await terminal.wait_for_output(OSC52, start=start)
        await wait_for(lambda: terminal.sequences(OSC52, BEL), what="the whole sequence")
        [sequence] = terminal.sequences(OSC52, BEL)
        payload = sequence[len(OSC52) : -len(BEL)]
        assert re.fullmatch(rb"[A-Za-z0-9+/=]*", payload), payload  # nothing but base64
        text = base64.b64decode(payload).decode("utf-8")
        bad = [c for c in text if (c < " " or "\x7f" <= c <= "\x9f") and c not in ALLOWED]
        assert not bad, text
        assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]", text), text
        assert text.startswith("Hi]52;c;ZXZpbA==\\ there; more2J evil\n")
        assert "first line\n[2Jsecond]0;pwned line\nthird" in text
        assert b"\x1b]52;c;ZXZpbA==" not in terminal.output  # the title's own never went out
