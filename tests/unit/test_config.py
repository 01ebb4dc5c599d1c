"""Settings: config file, profiles, environment and flags, in that order."""

from __future__ import annotations

import pytest

from tiri_tui.settings.config import (
    DEFAULT_SERVER,
    ConfigError,
    Settings,
    load_settings,
    resolve_settings,
)


def write_config(home, text: str) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(text)


def test_defaults(tmp_path):
    s = load_settings(environ={"TIRI_HOME": str(tmp_path)})
    assert s.server == DEFAULT_SERVER
    assert s.socket_url == "ws://127.0.0.1:8765/ws/notifications/"
    assert s.ws_origin == "http://127.0.0.1:8765"


def test_https_maps_to_wss_and_origin_drops_the_path():
    s = Settings(server="https://tiriapp.com/base")
    assert s.socket_url == "wss://tiriapp.com/ws/notifications/"
    assert s.ws_origin == "https://tiriapp.com"
    assert Settings(
        server="https://x", ws_url="wss://ws.x/ws/notifications/"
    ).socket_url.startswith("wss://ws.x")


def test_precedence_file_profile_env_flag(tmp_path):
    write_config(
        tmp_path,
        'server = "https://file.example"\nfallback_interval = 12\n'
        '[profiles.prod]\nserver = "https://prod.example"\npage_size = 50\n',
    )
    env = {"TIRI_HOME": str(tmp_path)}
    assert load_settings(environ=env).server == "https://file.example"
    prod = load_settings(environ={**env, "TIRI_PROFILE": "prod"})
    assert (
        prod.server == "https://prod.example"
        and prod.page_size == 50
        and prod.fallback_interval == 12
    )
    assert (
        load_settings(
            environ={**env, "TIRI_PROFILE": "prod", "TIRI_SERVER": "https://env.example"}
        ).server
        == "https://env.example"
    )
    assert (
        load_settings(
            server="https://flag.example/", environ={**env, "TIRI_SERVER": "https://env.example"}
        ).server
        == "https://flag.example"
    )


def test_origin_is_the_servers_own_unless_the_file_a_profile_env_or_a_flag_says(tmp_path):
    write_config(
        tmp_path,
        'server = "https://api.example.com"\norigin = "https://app.example.com/"\n'
        '[profiles.other]\norigin = "https://other.example.com:8443"\n',
    )
    env = {"TIRI_HOME": str(tmp_path)}
    assert load_settings(environ=env).ws_origin == "https://app.example.com"
    assert load_settings(profile="other", environ=env).ws_origin == "https://other.example.com:8443"
    env_set = {**env, "TIRI_ORIGIN": "http://env.example.com"}
    assert load_settings(environ=env_set).ws_origin == "http://env.example.com"
    settings, sources = resolve_settings(origin="https://flag.example.com", environ=env_set)
    assert settings.ws_origin == "https://flag.example.com"
    assert sources["origin"] == "flag --origin"
    assert Settings(server="https://api.example.com").ws_origin == "https://api.example.com"


@pytest.mark.parametrize(
    "bad", ["app.example.com", "https://app.example.com/login", "ftp://app.example.com", "https://"]
)
def test_an_origin_is_scheme_host_and_port_only(tmp_path, bad):
    with pytest.raises(ConfigError, match="origin must look like"):
        load_settings(origin=bad, environ={"TIRI_HOME": str(tmp_path)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("server = 5", "must be text in quotes"),
        ('colour = "blue"', "unknown setting"),
        ("server = [", "not valid TOML"),
        ('server = "ftp://x"', "must look like"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


def test_unknown_profile_names_the_known_ones(tmp_path):
    write_config(tmp_path, '[profiles.a]\nserver = "https://a"\n')
    with pytest.raises(ConfigError, match="have: a"):
        load_settings(profile="b", environ={"TIRI_HOME": str(tmp_path)})


def test_demo_namespace_keeps_its_files_apart(tmp_path):
    real = Settings(home=tmp_path)
    demo = Settings(home=tmp_path, namespace="demo")
    assert real.config_dir != demo.config_dir and demo.config_dir.is_relative_to(real.config_dir)


def config_error(home, text: str, profile: str | None = None) -> str:
    write_config(home, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(profile=profile, environ={"TIRI_HOME": str(home)})
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ('bell = "yes"', "line 1", "'bell' must be true or false, got \"yes\""),
        ("\npage_size = 2.5", "line 2", "'page_size' must be a whole number, got 2.5"),
        ("fallback_interval = true", "line 1", "'fallback_interval' must be a number, got true"),
        ("server = 5", "line 1", "'server' must be text in quotes, got 5"),
        ("log_file = [1, 2]", "line 1", "'log_file' must be text in quotes, got a list"),
    ],
)
def test_a_wrong_type_says_the_type_wanted_and_the_value_given(tmp_path, text, where, words):
    path = tmp_path / "config" / "config.toml"
    assert config_error(tmp_path, text) == f"{path}, {where}: {words}"


def test_a_wrong_type_in_a_profile_names_its_line_and_profile(tmp_path):
    path = tmp_path / "config" / "config.toml"
    message = config_error(tmp_path, "[profiles.w]\nbell = 1", profile="w")
    assert message == f"{path}, line 2 [profiles.w]: 'bell' must be true or false, got 1"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('bell = true\nquiet_hours = "22-07"', 2, "quiet_hours must look like"),
        ('bell = true\n\nquiet_hours = "07:00-07:00"', 3, "starts when it ends"),
        ("bell = true\nrules = 5", 2, "'rules' must be [[rules]] tables"),
        ("bell = true\ncommands = 5", 2, "'commands' must be [[commands]] tables"),
        ("bell = true\nviews = 5", 2, "'views' must be [views.NAME] tables"),
        ('bell = true\nserver = "x" "y"', 2, "not valid TOML"),
        ("bell = true\nserver = [", 2, "not valid TOML"),
        (
            "".join(f"[views.v{k}]\nunread_only = true\n" for k in range(9)),
            17,
            "at most 8 views",
        ),
    ],
)
def test_every_config_error_names_the_whole_path_and_the_line(tmp_path, text, line, words):
    message = config_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'config' / 'config.toml'}, line {line}: "), message
    assert words in message, message


# -- one declaration per setting ------------------------------------------------------------


def test_every_overridable_setting_is_explained_by_its_flag_with_its_variable(tmp_path):
    from tiri_tui.commands.cli import build_parser
    from tiri_tui.settings.config import OVERRIDES

    help_text = " ".join(build_parser().format_help().split())
    for name, how in OVERRIDES.items():
        assert f"{how.flag} {how.metavar}" in help_text, name
        assert f"env {how.env}" in help_text, name  # --log-level once left TIRI_LOG_LEVEL out


def test_every_variable_and_flag_sets_what_it_is_declared_to(tmp_path):
    from tiri_tui.settings.config import OVERRIDES

    samples = {
        "server": "https://example.org",
        "ws_url": "wss://example.org/ws/notifications/",
        "origin": "https://app.example.org",
        "log_level": "info",
        "log_file": str(tmp_path / "x.log"),
        "ca_bundle": str(tmp_path / "ca.pem"),
        "desktop_alerts": "bell",
    }
    (tmp_path / "ca.pem").write_text("")
    assert set(samples) == set(OVERRIDES)
    for name, how in OVERRIDES.items():
        env = {"TIRI_HOME": str(tmp_path), how.env: samples[name]}
        by_env, sources = resolve_settings(environ=env)
        assert sources[name] == f"environment {how.env}"
        by_flag, sources = resolve_settings(
            environ={"TIRI_HOME": str(tmp_path)}, flags={how.dest: samples[name]}
        )
        assert sources[name] == f"flag {how.flag}"
        assert getattr(by_env, name) == getattr(by_flag, name) != getattr(Settings(), name)


def test_config_lists_every_setting_the_file_takes_and_refuses_the_others(tmp_path):
    from tiri_tui.settings.config import DECLARED, describe_settings

    settings, sources = resolve_settings(environ={"TIRI_HOME": str(tmp_path)})
    listed = {name for name, _, _ in describe_settings(settings, sources)}
    assert listed == set(DECLARED)
    write_config(tmp_path, 'profile = "work"\n')
    with pytest.raises(ConfigError, match="unknown setting 'profile'"):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


def test_web_passes_on_every_global_option_as_given():
    from tiri_tui.commands.cli import build_parser
    from tiri_tui.commands.global_options import given_options

    parser = build_parser()
    given = [
        "--server", "https://example.org", "--ws-url", "wss://example.org/ws/", "--origin",
        "https://app.example.org", "--profile", "work", "--log-level", "info", "--log-file",
        "/tmp/x.log", "--ca-bundle", "/tmp/ca.pem", "--alerts", "bell", "--insecure",
    ]  # fmt: skip
    args = parser.parse_args([*given, "web"])
    assert sorted(given_options(args)) == sorted(given)
