"""Streaming commands in a shell pipeline whose reader goes away (`| head`):
they end quietly with exit 0, no traceback."""

from __future__ import annotations

import asyncio
import shlex
import sys

import pytest

from tests.support.cli import login


async def pipeline_into_head(server, home, *command: str) -> tuple[int, str, str]:
    """`tiri-tui COMMAND | head -3` in bash; returns (tiri-tui's exit code, head's
    output, tiri-tui's stderr). New notifications keep coming until it ends, so
    it has something to write after head has gone."""
    args = shlex.join([sys.executable, "-m", "tiri_tui", "--server", server.url, *command])
    script = f'{args} 2>"$ERR" | head -3; echo "$((PIPESTATUS[0]))" > "$CODE"'
    err, code = home / "stderr.txt", home / "code.txt"
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "TIRI_HOME": str(home), "ERR": str(err), "CODE": str(code)},
    )
    waiting = asyncio.ensure_future(process.communicate())
    for k in range(200):
        if waiting.done():
            break
        await server.create_notification(title=f"more {k}")
        await asyncio.wait({waiting}, timeout=0.05)
    out, _ = await asyncio.wait_for(waiting, 20)
    return int(code.read_text()), out.decode(), err.read_text()


@pytest.mark.parametrize(
    "command",
    [("tail", "--json", "-n", "1"), ("tail",), ("count", "--watch", "--format", "json")],
    ids=["tail-json", "tail-text", "count-watch"],
)
async def test_a_reader_that_goes_away_ends_the_stream_quietly(server, home, command):
    assert (await login(server, home))[0] == 0
    code, out, err = await pipeline_into_head(server, home, *command)
    assert len(out.splitlines()) == 3
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0, err


async def read_lines(process, count: int) -> list[str]:
    lines = []
    for _ in range(count):
        lines.append((await asyncio.wait_for(process.stdout.readline(), 20)).decode())
    return lines


@pytest.mark.parametrize(("choice", "coloured"), [("always", True), ("never", False)])
async def test_color_always_and_never(server, home, choice, coloured):
    from tests.support.cli import spawn_cli

    assert (await login(server, home))[0] == 0
    await server.create_notification(title="\x1b[31mnot a colour\x1b[0m")
    tail = await spawn_cli(home, "--server", server.url, "tail", "--color", choice, "-n", "1")
    try:
        old = ""
        while "OLD" not in old:  # state and count lines come first
            [old] = await read_lines(tail, 1)
    finally:
        tail.terminate()
        await tail.wait()
    assert ("\x1b[2mOLD\x1b[0m " in old) is coloured
    assert "\\x1b[31mnot a colour" in old  # the server's escape stays inert either way
    assert old.count("\x1b") == (2 if coloured else 0)


def test_auto_colours_a_terminal_unless_no_color():
    from tiri_tui.commands.tailing import use_color

    assert use_color("auto", True, {}) is True
    assert use_color("auto", True, {"NO_COLOR": "1"}) is False
    assert use_color("auto", False, {}) is False  # a pipe
    assert use_color("always", False, {"NO_COLOR": "1"}) is True  # the flag wins
    assert use_color("never", True, {}) is False
