"""`tiri-tui config` checks what the start checks: a [keymap] (and a command's
key) that the dashboard would refuse is refused here too, exit 1, same words."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.cli import spawn_cli

BAD = [
    '[keymap]\nmark_read = "x"\nmark_redd = "y"\n',  # no such binding id
    '[keymap]\nmark_read = "x"\nquit = "m,x"\n',  # a key doing two things
    '[[commands]]\nkey = "m"\nname = "Mine"\nrun = "true"\n',  # a command on m
    "[[rules]]\nwhen = 3\n",  # and the sections the settings check already
    "[views.x]\nbogus = 3\n",
    '[links]\nrequest_accepted = "ftp://x/{id}"\n',
]


async def run(home: Path, *args: str) -> tuple[int, str]:
    process = await spawn_cli(home, "--server", "http://127.0.0.1:9", *args, stdin=-3)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.parametrize("text", BAD)
async def test_config_refuses_what_the_start_refuses_with_the_same_message(home, text):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(text)
    start_code, start_err = await run(home)  # the dashboard: stops before any terminal work
    code, err = await run(home, "config")
    assert (start_code, code) == (1, 1), (start_err, err)
    assert err == start_err and "line " in err
