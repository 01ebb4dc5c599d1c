"""`tiri-tui act` as a script uses it: the list, each action, the exit codes."""

from __future__ import annotations

import json

from tests.support.acting import own_request
from tests.support.cli import login, run_cli
from tiri_tui.server import DemoServer


async def act(server: DemoServer, home, *args: str, stdin: str = "") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return await run_cli(home, "--server", server.url, "act", *args, stdin=stdin)


async def test_list_then_approve_then_already_approved(server, home) -> None:
    await login(server, home)
    rid = own_request(server)
    created = await server.create_notification(
        notification_type="request_accepted", extra_data={"request_id": rid}
    )
    waiting = next(v for v in server.world.requests[rid].volunteers if v.status == "pending")
    # What a volunteer writes reaches the terminal inert.
    waiting.message = "hi \x1b]52;c;ZXZpbA==\x07 there"
    code, out, err = await act(server, home, created["id"])
    assert code == 0, err
    assert f"approve --volunteer {waiting.volunteer.id}" in out and "\x1b" not in out
    assert "\\x1b]52;c;ZXZpbA==\\x07" in out
    code, out, _ = await act(server, home, created["id"], "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    mine = next(x for x in lines if x.get("volunteer_id") == str(waiting.volunteer.id))
    assert mine["volunteer"]["status"] == "pending" and mine["volunteer"]["name"]
    assert {x["name"] for x in lines} >= {"approve", "decline", "complete"}
    vid = str(waiting.volunteer.id)
    code, out, err = await act(server, home, created["id"], "approve", "--volunteer", vid)
    assert (code, out.strip()) == (0, f"{waiting.volunteer.full_name} approved"), err
    code, out, err = await act(server, home, created["id"], "approve", "--volunteer", vid)
    assert code == 1 and "already done: " in err and "already approved" in err, (code, err)


async def test_what_cannot_be_undone_refuses_without_a_terminal_unless_yes(server, home) -> None:
    await login(server, home)
    rid = own_request(server)
    created = await server.create_notification(
        notification_type="feedback_requested", extra_data={"request_id": rid}
    )
    code, _, err = await act(server, home, created["id"], "complete")
    assert code == 1 and "--yes" in err and server.world.requests[rid].status != "completed"
    code, out, err = await act(server, home, created["id"], "complete", "--yes", "--text", "great")
    assert code == 0 and "marked complete" in out, err
    code, _, err = await act(server, home, created["id"], "complete", "--yes")
    assert code in (1, 3), err


async def test_reply_from_stdin_as_typed_and_print_the_conversation(server, home) -> None:
    await login(server, home)
    room = next(iter(server.world.rooms.values()))
    created = await server.create_notification(
        notification_type="new_message", extra_data={"chat_room_id": room.id}
    )
    typed = "line one\n  'quoted' $HOME ; `x`"
    code, out, err = await act(
        server, home, created["id"], "reply", "--text-stdin", stdin=typed + "\n"
    )
    assert code == 0, err
    assert room.messages[-1]["content"] == typed
    code, out, err = await act(server, home, created["id"], "messages")
    assert code == 0 and "'quoted' $HOME" in out, err


async def test_exit_codes_not_available_and_not_logged_in(server, home) -> None:
    code, _, err = await act(server, home, "abc")
    assert code == 2 and "login" in err
    await login(server, home)
    welcome = await server.create_notification(notification_type="welcome_email", extra_data={})
    code, _, err = await act(server, home, welcome["id"])
    assert code == 3 and "nothing to do" in err
    code, _, err = await act(server, home, welcome["id"], "approve")
    assert code == 3 and "cannot approve" in err
    server.faults.offer_acting_routes = False
    rid = own_request(server)
    created = await server.create_notification(
        notification_type="request_accepted", extra_data={"request_id": rid}
    )
    code, _, err = await act(server, home, created["id"])
    assert code == 3 and "not available on this server" in err
    code, _, err = await act(server, home, "no-such-id")
    assert code == 3 and "no notification" in err


async def test_a_server_out_of_reach_is_one_line_not_a_traceback(server, home) -> None:
    await login(server, home)
    await server.stop()
    code, _, err = await act(server, home, "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert code == 1 and "Traceback" not in err and "cannot reach" in err, err
