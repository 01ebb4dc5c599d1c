"""An interactive command (``interactive = true``) in a real terminal: the
dashboard steps aside, the command has the terminal, the socket stays up
under it, and the dashboard comes back with what arrived meanwhile."""

from __future__ import annotations

from tests.support.pty_dashboard import dashboard, push
from tests.support.waiting import wait_for

CONFIG = """
[[commands]]
key = "e"
name = "Answer"
run = "printf 'answer> '; read answer; printf %s \\"$answer\\" > {out}; printf %s {{title}} >> {out}"
interactive = true
"""


async def test_an_interactive_command_has_the_terminal_and_the_socket_stays_up(
    server, home, tmp_path
):
    out = tmp_path / "answer.txt"
    async with dashboard(server, home, config=CONFIG.format(out=out)) as terminal:
        [socket] = server.hub.sockets(server.user())
        start = len(terminal.output)
        terminal.write(b"e")
        await terminal.wait_for_output(b"answer> ", start=start)
        await push(server, "Arrived while away")  # the loop runs under the command
        terminal.write(b"hello\r")
        await wait_for(lambda: out.exists() and out.read_text().startswith("hello"), 10)
        assert "Arrived while away" not in out.read_text()  # the title of the selected row
        await terminal.wait_for_output(b"Arrived while away", start=start)  # painted after
        await terminal.wait_for_output(b"Done (exit 0)", start=start)
        assert server.hub.sockets(server.user()) == [socket]  # the same socket: never dropped
