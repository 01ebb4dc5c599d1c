"""`tiri-tui config`: every setting in force and where it came from; `config path`."""

from __future__ import annotations

from tests.support.cli import run_cli

CONFIG = """bell = true
fallback_interval = 12

[profiles.work]
server = "https://tiri.example"
"""


def settings_of(out: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in out.splitlines():
        if " = " in line and not line.startswith("#"):
            name, rest = line.split(" = ", 1)
            value, source = rest.rsplit("  (", 1)
            rows[name] = (value, source.rstrip(")"))
    return rows


async def test_config_says_where_each_setting_came_from(home, monkeypatch):
    (home / "config").mkdir(parents=True)
    path = home / "config" / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("TIRI_LOG_LEVEL", "debug")
    code, out, err = await run_cli(home, "--profile", "work", "--alerts", "osc9", "config")
    assert code == 0, err
    rows = settings_of(out)
    assert rows["bell"] == ("true", f"{path}, line 1")
    assert rows["fallback_interval"] == ("12", f"{path}, line 2")
    assert rows["server"] == ("https://tiri.example", f"{path}, line 5 [profiles.work]")
    assert rows["log_level"] == ("DEBUG", "environment TIRI_LOG_LEVEL")
    assert rows["desktop_alerts"] == ("osc9", "flag --alerts")
    assert rows["page_size"] == ("20", "default")
    assert rows["profile"] == ("work", "flag --profile")
    assert rows["origin"] == ("https://tiri.example", "default: the server's own")
    code, out, err = await run_cli(home, "--origin", "https://app.tiri.example", "config")
    assert settings_of(out)["origin"] == ("https://app.tiri.example", "flag --origin"), err
    code, out, _ = await run_cli(home, "config", "path")
    assert (code, out) == (0, f"{path}\n")


async def test_a_bad_file_is_reported_with_its_line(home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('page_size = 20\nbell = "yes"\n')
    code, out, err = await run_cli(home, "config")
    assert code == 1 and out == ""
    path = home / "config" / "config.toml"
    assert f"{path}, line 2: 'bell' must be true or false, got \"yes\"" in err
    assert "Traceback" not in err


async def test_a_keymap_error_names_the_whole_path_as_the_others_do(home):
    (home / "config").mkdir(parents=True)
    path = home / "config" / "config.toml"
    path.write_text('bell = true\n\n[keymap]\nno_such_action = "x"\n')
    code, _, err = await run_cli(home, "dashboard")
    assert code == 1 and "Traceback" not in err
    assert f"tiri-tui: {path}, line 4: [keymap] has no binding 'no_such_action'" in err
