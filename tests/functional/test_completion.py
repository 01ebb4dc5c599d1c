"""Shell completions: the scripts, and the completions the installed command gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = [sys.executable, "-m", "tiri_tui"]


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nospace"),
        ("zsh", "#compdef tiri-tui"),
        ("fish", "complete --command tiri-tui"),
    ],
)
def test_completion_prints_a_script_for_each_shell(shell, marker):
    done = subprocess.run(
        [*COMMAND, "completion", shell], capture_output=True, text=True, check=True
    )
    assert marker in done.stdout and "tiri-tui" in done.stdout


def complete(line: str, tmp_path: Path) -> list[str]:
    """What the command offers for ``line`` (argcomplete's own protocol)."""
    out = tmp_path / "completions.txt"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
        "_ARGCOMPLETE_IFS": "\n",
    }
    subprocess.run([*COMMAND], env=env, check=True, capture_output=True, timeout=30)
    return [word.strip() for word in out.read_text().split("\n")]


def test_commands_options_and_choices_complete(tmp_path):
    assert complete("tiri-tui ta", tmp_path) == ["tail"]
    assert {"count", "completion"} <= set(complete("tiri-tui co", tmp_path))
    assert "--format" in complete("tiri-tui count --fo", tmp_path)
    assert set(complete("tiri-tui count --format ", tmp_path)) == {
        "plain",
        "json",
        "waybar",
        "tmux",
    }
    assert set(complete("tiri-tui --alerts o", tmp_path)) >= {"osc9", "osc777", "osc99", "off"}


def test_profile_completes_the_profiles_of_config_toml(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        'bell = true\n[profiles.work]\nserver = "https://w.example"\n'
        '[profiles.local]\nserver = "http://127.0.0.1:8000"\n[profiles.wiki]\n'
    )
    monkeypatch.setenv("TIRI_HOME", str(home))
    assert set(complete("tiri-tui --profile ", tmp_path)) == {"work", "local", "wiki"}
    assert set(complete("tiri-tui --profile w", tmp_path)) == {"work", "wiki"}
    (home / "config" / "config.toml").write_text("not [ toml")
    assert complete("tiri-tui --profile ", tmp_path) == [""]  # nothing offered, no traceback
