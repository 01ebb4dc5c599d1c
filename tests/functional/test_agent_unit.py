"""`tiri-tui agent install`: a systemd user unit that runs the agent as it
was asked for, or, with no systemd, what to run instead."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tiri_tui.agent.endpoint import EndpointError
from tiri_tui.agent.unit import quote, unit_text


async def run(home, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tiri_tui",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TIRI_HOME": str(home), **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, out.decode(), err.decode()


def test_each_word_reaches_systemd_as_it_is():
    assert quote("/home/a b/.venv/bin/python") == '"/home/a b/.venv/bin/python"'
    assert quote('50% "off" $HOME \\') == '"50%% \\"off\\" $$HOME \\\\"'
    with pytest.raises(EndpointError):
        quote("two\nlines")


def test_the_unit_restarts_the_agent_on_failure_and_starts_with_the_session():
    text = unit_text("work", ["/usr/bin/python3", "-m", "tiri_tui", "agent"], {"TIRI_HOME": "/h"})
    assert 'ExecStart="/usr/bin/python3" "-m" "tiri_tui" "agent"' in text
    assert 'Environment="TIRI_HOME=/h"' in text
    assert "Restart=on-failure" in text and "WantedBy=default.target" in text
    assert "Description=tiri-tui agent: Tiri notifications for profile work" in text


async def test_install_writes_the_unit_and_says_how_to_enable_it(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    config = tmp_path / "xdg config"
    home = tmp_path / "home"
    code, out, err = await run(
        home,
        "--server",
        "https://tiri.example/x%20y",
        "agent",
        "install",
        PATH=str(bin_dir),
        XDG_CONFIG_HOME=str(config),
    )
    assert code == 0, err
    unit = config / "systemd" / "user" / "tiri-tui-agent.service"
    text = unit.read_text()
    assert (
        f'ExecStart={quote(sys.executable)} "-m" "tiri_tui" "--server" '
        '"https://tiri.example/x%%20y" "agent"'
    ) in text
    assert f'Environment="TIRI_HOME={home}"' in text
    assert f"wrote {unit}" in out
    assert "systemctl --user enable --now tiri-tui-agent.service" in out
    assert "journalctl --user -u tiri-tui-agent.service" in out


async def test_without_systemd_install_says_what_to_run_instead(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        '[profiles.work]\nserver = "https://tiri.example"\n'
    )
    code, out, err = await run(home, "--profile", "work", "agent", "install", PATH=str(empty))
    assert code == 1
    assert "no systemd user manager here: run the agent under your own supervisor" in err
    assert out.strip().endswith("-m tiri_tui --profile work agent")
    assert not (tmp_path / ".config").exists()


async def test_install_carries_the_settings_given_by_the_environment(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemctl").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "systemctl").chmod(0o755)
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[profiles.work]\nserver = "https://w.example"\n')
    config = tmp_path / "xdg"
    code, _, err = await run(
        home,
        "agent",
        "install",
        PATH=str(bin_dir),
        XDG_CONFIG_HOME=str(config),
        TIRI_PROFILE="work",
        TIRI_ORIGIN="https://app.w.example",
    )
    assert code == 0, err
    text = (config / "systemd" / "user" / "tiri-tui-agent-work.service").read_text()
    assert 'Environment="TIRI_PROFILE=work"' in text  # the unit runs the profile it is named for
    assert 'Environment="TIRI_ORIGIN=https://app.w.example"' in text
    assert f'Environment="XDG_CONFIG_HOME={config}"' in text
