"""Issue 15's keys of your own, your commands, links and marked rows, driven with Pilot."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from tests.support.dashboards import SIZE, offline_dashboard, row_line
from tests.support.fakes import sample
from tests.support.rendered import visible
from tests.support.waiting import wait_for
from tiri_tui.server import DEMO_EMAIL
from tiri_tui.settings.config import ConfigError, load_settings
from tiri_tui.settings.customisation import Customisation, KeyChoice, UserCommand
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.keymap import KeymapError, user_keymap
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import ConfirmScreen, HelpScreen
from tiri_tui.ui.top_bar import TopBar
from tiri_tui.ui.widgets import MessageLine
from tiri_tui.wire.models import encode_extra

HOSTILE_TITLES = (
    "$(touch PWNED)",
    "'; touch PWNED; '",
    "`touch PWNED`",
    '" && touch PWNED && "',
    "line\nbreak; touch PWNED",
    "\x1b]52;c;ZXZpbA==\x07 & touch PWNED &",
)


def toasts(app: TiriApp) -> list[str]:
    """Every toast's text so far."""
    return [n.message for n in app._notifications]  # no public reader of the toasts


def message_line(app: TiriApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


# -- keys of your own ------------------------------------------------------------------------------
async def test_a_remapped_key_acts_and_the_keys_in_force_are_shown():
    custom = Customisation(keymap=(KeyChoice("mark_read", "x,ctrl+r"),))
    async with offline_dashboard(sample(10), customisation=custom) as (app, pilot, controller):
        first = app.query_one(NotificationList).current
        assert not first.is_read
        await pilot.press("m")  # no longer mark read
        assert not controller.held.get(first.id).is_read
        await pilot.press("x")
        assert controller.held.get(first.id).is_read
        footer = [str(w.render()) for w in app.screen.query("FooterKey")]
        assert " x Read " in footer and " m Read " not in footer
        names = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert names["Mark read"].endswith("(x / ctrl+r)")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = [line.strip() for line in visible(app.screen.query_one("#help-keys")).splitlines()]
        assert "x / ctrl+r  mark read" in keys and "m  mark read" not in keys


def test_an_unknown_id_or_a_clash_is_an_error_naming_the_line(tmp_path):
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "config.toml"
    config.write_text('[keymap]\nmark_read = "x"\nmark_redd = "y"\n')
    settings = load_settings(environ={"TIRI_HOME": str(tmp_path)})
    with pytest.raises(KeymapError, match=r"line 3: \[keymap\] has no binding 'mark_redd'"):
        user_keymap(settings.customisation.keymap, (), "config.toml")
    config.write_text('[keymap]\nmark_read = "x"\nquit = "m,x"\n')
    settings = load_settings(environ={"TIRI_HOME": str(tmp_path)})
    with pytest.raises(KeymapError, match=r"line 3: 'x' would do two things: mark_read and quit"):
        user_keymap(settings.customisation.keymap, (), "config.toml")
    assert issubclass(KeymapError, ConfigError)  # the command line reports it, exit 1
    config.write_text('[keymap]\nmark_read = ""\n')
    with pytest.raises(ConfigError, match=r"line 2: \[keymap\] mark_read"):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


def test_a_command_on_a_key_already_taken_is_an_error(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        '[[commands]]\nkey = "m"\nname = "Mine"\nrun = "true"\n'
    )
    settings = load_settings(environ={"TIRI_HOME": str(tmp_path)})
    with pytest.raises(KeymapError, match=r"line 1: 'm' would do two things"):
        user_keymap((), settings.customisation.commands, "config.toml")


@pytest.mark.parametrize(
    ("run", "words"),
    [
        ("notify-send '{title}'", "without quotes around it"),
        ('notify-send "{title}"', "without quotes around it"),
        ("echo {titel}", "unknown placeholder {titel}"),
    ],
)
def test_a_command_that_could_be_tricked_is_refused_at_start(tmp_path, run, words):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(
        f'\n[[commands]]\nkey = "c"\nname = "C"\nrun = {json.dumps(run)}\n'
    )
    with pytest.raises(ConfigError, match=rf"line 5: command: .*{words}"):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


# -- your commands ---------------------------------------------------------------------------------
async def run_command_on(title: str, run: str, tmp_path: Path, **fields: object):
    row = msgspec.structs.replace(sample(1)[0], title=title, **fields)
    custom = Customisation(commands=(UserCommand("c", "Copy", run),))
    async with offline_dashboard([row], customisation=custom) as (app, pilot, _):
        await pilot.press("c")
        await wait_for(lambda: toasts(app), 10, what="the command's toast")
        return toasts(app)


@pytest.mark.parametrize("title", HOSTILE_TITLES)
async def test_a_hostile_title_is_text_to_the_command_never_code(tmp_path, monkeypatch, title):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.txt"
    said = await run_command_on(title, f"printf %s {{title}} > {out}", tmp_path)
    assert said == ["Done (exit 0)"]
    assert out.read_text() == title
    assert not (tmp_path / "PWNED").exists()


async def test_file_holds_the_notification_as_json_and_goes_away(tmp_path):
    out = tmp_path / "copy.json"
    seen = tmp_path / "path.txt"
    extra = encode_extra({"request_id": 42})
    await run_command_on(
        "Hello", f"cp {{file}} {out} && printf %s {{file}} > {seen}", tmp_path, extra_json=extra
    )
    data = json.loads(out.read_text())
    assert data["title"] == "Hello" and data["extra_data"] == {"request_id": 42}
    assert not Path(seen.read_text()).exists()  # the temp file is removed after the run


async def test_a_failing_command_says_its_exit_code_and_first_stderr_line(tmp_path):
    said = await run_command_on(
        "x", "echo 'no clipboard here' >&2; echo more >&2; exit 3", tmp_path
    )
    assert said == ["Failed (exit 3): no clipboard here"]


async def test_a_missing_extra_field_is_said_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    said = await run_command_on("x", f"touch {marker} {{extra_data.chat_id}}", tmp_path)
    assert said == ["Not run: this notification has no {extra_data.chat_id}"]
    assert not marker.exists()


async def test_an_interactive_command_without_a_terminal_says_so(tmp_path):
    row = sample(1)[0]
    custom = Customisation(commands=(UserCommand("e", "Edit", "true {file}", interactive=True),))
    async with offline_dashboard([row], customisation=custom) as (app, pilot, _):
        await pilot.press("e")
        await wait_for(lambda: toasts(app), what="the toast")
        assert toasts(app) == ["Not run: an interactive command needs the terminal"]


async def test_commands_are_in_the_help_and_the_palette():
    custom = Customisation(commands=(UserCommand("c", "Copy the message", "true {message}"),))
    async with offline_dashboard(sample(3), customisation=custom) as (app, pilot, _):
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "Copy the message" in names
        await pilot.press("question_mark")
        assert "Copy the message" in visible(app.screen.query_one("#help-keys"))


# -- links -----------------------------------------------------------------------------------------
async def test_o_opens_the_types_link_with_every_value_url_encoded(monkeypatch):
    template = "https://tiri.example/requests/{extra_data.request_id}?q={title}"
    row = msgspec.structs.replace(
        sample(1)[0],
        title="a b&c=d/../#x",
        notification_type="request_accepted",
        extra_json=encode_extra({"request_id": "7/../../admin"}),
    )
    custom = Customisation(links=(("request_accepted", template),))
    async with offline_dashboard([row], customisation=custom) as (app, pilot, _):
        opened: list[str] = []
        monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
        await pilot.press("o")
        await wait_for(lambda: toasts(app), what="the toast")
        assert toasts(app)[0].startswith("https://tiri.example/requests/")
        assert opened == [
            "https://tiri.example/requests/7%2F..%2F..%2Fadmin?q=a%20b%26c%3Dd%2F..%2F%23x"
        ]


async def test_o_without_a_link_or_a_field_says_why(monkeypatch):
    rows = [
        msgspec.structs.replace(sample(1)[0], id="a", notification_type="new_message"),
        msgspec.structs.replace(sample(1)[0], id="b", notification_type="request_accepted"),
    ]
    custom = Customisation(links=(("request_accepted", "https://x.example/{extra_data.id}"),))
    async with offline_dashboard(rows, customisation=custom) as (app, pilot, _):
        monkeypatch.setattr("webbrowser.open", lambda url: pytest.fail("nothing may open"))
        view = app.query_one(NotificationList)
        for target in ("a", "b"):
            view.move_to(view.source.position(target))
            await pilot.pause()
            await pilot.press("o")
            await wait_for(lambda target=target: len(toasts(app)) == ("ab".index(target) + 1))
        assert toasts(app) == [
            "No link for type 'new_message': add one under [links] in config.toml",
            "Not opened: this notification has no {extra_data.id}",
        ]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x"])
def test_only_http_links_are_accepted(tmp_path, url):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text(f'[links]\nnew_message = "{url}"\n')
    with pytest.raises(ConfigError, match=r"line 2: .*https:// or http://"):
        load_settings(environ={"TIRI_HOME": str(tmp_path)})


# -- marked rows -------------------------------------------------------------------------------------
async def test_marked_rows_are_read_unread_and_deleted_together_on_the_server(server, client):
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(NotificationList)
        await wait_for(lambda: app.controller is not None and len(view.source) >= 20)
        await wait_for(lambda: app.controller.unread_count is not None)
        await pilot.pause()
        user = server.user(DEMO_EMAIL)
        unread = [k for k in range(len(view.source)) if not view.source[k].is_read][:3]
        for k in unread:
            view.move_to(k)
            await pilot.pause()
            await pilot.press("space")
        ids = [view.source[k].id for k in unread]
        assert view.marked == set(ids)
        assert "3 marked" in message_line(app)
        assert "✓" in row_line(view, unread[0]).text
        await pilot.press("m")
        await wait_for(
            lambda: all(user.by_id[i]["is_read"] for i in ids), what="read on the server"
        )
        await wait_for(lambda: app.controller.unread_count == server.state.unread_count(user))
        await pilot.pause()
        assert f"{server.state.unread_count(user)} unread" in str(app.query_one(TopBar).render())
        assert not view.marked
        await pilot.press("asterisk")
        assert len(view.marked) == len(view.source)
        await pilot.press("escape")
        assert not view.marked and "Marks cleared" in message_line(app)
        for k in (0, 1):
            view.move_to(k)
            await pilot.pause()
            await pilot.press("space")
        doomed = [view.source[0].id, view.source[1].id]
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete 2 marked notifications?" in str(app.screen.query_one("Static").render())
        await pilot.press("y")
        await wait_for(
            lambda: not any(i in user.by_id for i in doomed), what="deleted on the server"
        )
        await wait_for(lambda: app.controller.unread_count == server.state.unread_count(user))


async def test_o_without_a_browser_shows_the_link_instead(monkeypatch):
    row = msgspec.structs.replace(sample(1)[0], notification_type="request_accepted")
    custom = Customisation(links=(("request_accepted", "https://tiri.example/{id}"),))
    async with offline_dashboard([row], customisation=custom) as (app, pilot, _):
        monkeypatch.setattr("webbrowser.open", lambda url: False)
        await pilot.press("o")
        await wait_for(lambda: toasts(app), what="the toast")
        assert toasts(app) == [f"https://tiri.example/{row.id}"]
        assert [n.title for n in app._notifications] == ["No browser found here; the link is"]
