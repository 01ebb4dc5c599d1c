"""`a` on a notification, against the embedded server: approve a volunteer,
offer help with a message, reply in a conversation, confirm what cannot be
undone, and keep the text when it cannot be sent."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from tests.support.acting import nearby, own_request
from tests.support.dashboards import until_live
from tests.support.waiting import wait_for
from tiri_tui.server import DemoServer
from tiri_tui.ui.acting_screens import ActionsScreen, ConversationScreen
from tiri_tui.ui.app import TiriApp
from tiri_tui.ui.notification_list import NotificationList
from tiri_tui.ui.screens import ConfirmScreen

SIZE = (100, 30)


@pytest.fixture
async def dashboard(server, client):  # type: ignore[no-untyped-def]
    app = TiriApp(client, bell=False)
    async with app.run_test(size=SIZE) as pilot:
        await until_live(app)
        await pilot.pause()
        yield app, pilot


async def about(server: DemoServer, app: TiriApp, pilot, **fields: object) -> None:  # type: ignore[no-untyped-def]
    """A notification pushed live, under the cursor."""
    created = await server.create_notification(title="Act on me", **fields)
    view = app.query_one(NotificationList)
    await wait_for(lambda: any(n.id == created["id"] for n in view.source))
    await pilot.press("g")
    await wait_for(lambda: view.current is not None and view.current.id == created["id"])


async def act_on(  # type: ignore[no-untyped-def]
    server: DemoServer, app: TiriApp, pilot, kind: str, extra: dict[str, object]
) -> ActionsScreen:
    """A notification of ``kind`` about ``extra`` pushed live, and ``a`` on it."""
    await about(server, app, pilot, notification_type=kind, extra_data=extra)
    await pilot.press("a")
    await wait_for(lambda: isinstance(app.screen, ActionsScreen) and app.screen.menu is not None)
    await pilot.pause()
    assert isinstance(app.screen, ActionsScreen)
    return app.screen


async def choose(screen: ActionsScreen, pilot, label: str) -> None:  # type: ignore[no-untyped-def]
    assert screen.menu is not None
    index = next(i for i, a in enumerate(screen.menu.actions) if a.label.startswith(label))
    options = screen.query_one("#act-options", OptionList)
    options.focus()
    options.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


def said(screen) -> str:  # type: ignore[no-untyped-def]
    result = screen.query_one("#act-result, #chat-result", Static)
    return str(result.render())


async def test_approve_a_volunteer_in_the_server_s_words(server, dashboard) -> None:
    app, pilot = dashboard
    rid = own_request(server)
    screen = await act_on(server, app, pilot, "request_accepted", {"request_id": rid})
    # The first action is highlighted: enter takes it.
    first = screen.menu.actions[0]
    waiting = next(
        v
        for v in server.world.requests[rid].volunteers
        if str(v.volunteer.id) == first.volunteer_id
    )
    name = waiting.volunteer.full_name
    assert first.label == f"Approve {name}"
    await pilot.press("enter")
    await wait_for(lambda: said(screen) == f"Done: {name} approved")
    assert "Act on the notification" in [c.title for c in app.get_system_commands(app.screen)]
    assert waiting.status == "approved"
    # The list read again: approving them is no longer on offer; who applied
    # shows them approved, with when they applied.
    await wait_for(lambda: all(a.label != f"Approve {name}" for a in screen.menu.actions))
    shown = str(screen.query_one("#act-about", Static).render())
    assert "Who applied:" in shown and f"{name}  approved · " in shown
    await pilot.press("escape")
    await wait_for(lambda: not isinstance(app.screen, ActionsScreen))


async def test_offer_help_with_a_message_typed_in_the_box(server, dashboard) -> None:
    app, pilot = dashboard
    rid = nearby(server)
    screen = await act_on(server, app, pilot, "new_nearby_request", {"request_id": rid})
    await choose(screen, pilot, "Offer to help")
    box = screen.query_one("#act-text", Input)
    assert box.has_focus and "message (required)" in box.placeholder
    await pilot.press("enter")  # nothing typed: it says what is missing, sends nothing
    assert "Type the message first" in said(screen)
    await pilot.press(*"I can come at 6 [b]sharp[/b]")
    await pilot.press("enter")
    await wait_for(lambda: said(screen) == "Done: Your offer to help was sent")
    offer = server.world.requests[rid].volunteers[-1]
    assert (
        offer.message == "I can come at 6 [b]sharp[/b]" and offer.volunteer.id == server.user().id
    )


async def test_reply_in_a_conversation(server, dashboard) -> None:
    app, pilot = dashboard
    room = next(iter(server.world.rooms.values()))
    room.messages[-1]["content"] = "see you \x1b[31mthere\x1b[0m"
    screen = await act_on(server, app, pilot, "new_message", {"chat_room_id": room.id})
    await choose(screen, pilot, "Read the conversation")
    await wait_for(lambda: isinstance(app.screen, ConversationScreen) and app.screen.pages == 1)
    chat = app.screen
    # Titled by who speaks in it (the notification's "from" may be anyone).
    other = next(m.full_name for m in room.members if m.id != server.user().id)
    assert f"Conversation — {other}" in str(chat.query_one("#chat-title").render())
    shown = str(chat.query_one("#chat-messages", Static).render())
    assert "see you \\x1b[31mthere\\x1b[0m" in shown and "\x1b" not in shown
    assert all(m["is_read"] for m in room.messages if m["sender"]["id"] != server.user().id)
    await pilot.press(*"On my way")
    await pilot.press("enter")
    await wait_for(lambda: said(chat) == "Sent")
    assert room.messages[-1]["content"] == "On my way"
    assert "On my way" in str(chat.query_one("#chat-messages", Static).render())
    assert chat.query_one("#chat-input", Input).value == ""


async def test_what_cannot_be_undone_asks_first(server, dashboard) -> None:
    app, pilot = dashboard
    rid = own_request(server)
    screen = await act_on(server, app, pilot, "feedback_requested", {"request_id": rid})
    await choose(screen, pilot, "Mark the request done")
    await pilot.press("enter")  # the notes are optional
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("n")
    await wait_for(lambda: said(screen) == "Not done")
    assert server.world.requests[rid].status != "completed"
    await pilot.press("enter")  # from the text box, again
    await wait_for(lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.press("y")
    await wait_for(lambda: said(screen).startswith("Done: "))
    assert server.world.requests[rid].status == "completed"


async def test_offline_it_cannot_be_sent_and_the_text_is_kept(server, dashboard) -> None:
    app, pilot = dashboard
    rid = nearby(server)
    screen = await act_on(server, app, pilot, "new_nearby_request", {"request_id": rid})
    await choose(screen, pilot, "Offer to help")
    await pilot.press(*"Back on Monday")
    before = list(server.world.requests[rid].volunteers)
    await server.stop()
    await pilot.press("enter")
    await wait_for(lambda: said(screen).startswith("Offline"))
    assert said(screen) == "Offline: it cannot be sent now. Your text is kept."
    assert screen.query_one("#act-text", Input).value == "Back on Monday"
    assert server.world.requests[rid].volunteers == before
    await server.start()
    await pilot.press("enter")
    await wait_for(lambda: said(screen) == "Done: Your offer to help was sent")
    assert server.world.requests[rid].volunteers[-1].message == "Back on Monday"


async def test_nothing_to_do_says_why(server, dashboard) -> None:
    app, pilot = dashboard
    screen = await act_on(server, app, pilot, "welcome_email", {})
    assert "Nothing to do: it points at nothing to act on" in str(
        screen.query_one("#act-about", Static).render()
    )
    assert screen.query_one("#act-options", OptionList).has_class("hidden")


async def test_no_answer_reads_again_and_says_what_the_server_shows(server, dashboard) -> None:
    app, pilot = dashboard
    rid = own_request(server)
    screen = await act_on(server, app, pilot, "request_accepted", {"request_id": rid})
    first = screen.menu.actions[0]
    server.faults.cut_acting_answers = 1  # applied, then the connection drops
    await pilot.press("enter")
    await wait_for(lambda: said(screen).startswith("No answer came"))
    name = next(a.name for a in screen.menu.applications if a.volunteer_id == first.volunteer_id)
    assert said(screen) == f"No answer came, but it was done: {name} is now approved"
    applied = [v for v in server.world.requests[rid].volunteers if v.status == "approved"]
    assert [str(v.volunteer.id) for v in applied] == [first.volunteer_id]
    assert server.faults.acting_posts == 1  # sent once, never again by itself


async def test_offline_when_opened_it_says_it_cannot_be_read_not_sent(server, dashboard) -> None:
    app, pilot = dashboard
    rid = own_request(server)
    await about(
        server, app, pilot, notification_type="request_accepted", extra_data={"request_id": rid}
    )
    await server.stop()
    await pilot.press("a")
    await wait_for(lambda: isinstance(app.screen, ActionsScreen))
    about_line = app.screen.query_one("#act-about", Static)
    await wait_for(lambda: "Offline" in str(about_line.render()))
    assert (
        str(about_line.render()) == "Offline: it cannot be read now (esc closes; try again later)."
    )


async def test_enter_again_while_sending_sends_nothing_more(server, dashboard) -> None:
    app, pilot = dashboard
    room = next(iter(server.world.rooms.values()))
    screen = await act_on(server, app, pilot, "new_message", {"chat_room_id": room.id})
    await pilot.press("enter")
    await wait_for(lambda: isinstance(app.screen, ConversationScreen) and app.screen.pages == 1)
    chat = app.screen
    me = server.user().id
    await wait_for(lambda: all(m["is_read"] for m in room.messages if m["sender"]["id"] != me))
    server.faults.acting_posts = 0  # the room marked read was one
    server.faults.slow_acting_answer = 0.5  # answered, but late
    await pilot.press(*"hello", "enter", "enter")
    assert said(chat) == "Still sending the last one…"
    await wait_for(lambda: said(chat) == "Sent")
    assert [m["content"] for m in room.messages].count("hello") == 1
    assert server.faults.acting_posts == 1
    await pilot.press("escape", "escape")  # the conversation, then the actions
    await wait_for(lambda: not isinstance(app.screen, ActionsScreen | ConversationScreen))
    # The same for an offer.
    rid = nearby(server)
    screen = await act_on(server, app, pilot, "new_nearby_request", {"request_id": rid})
    await choose(screen, pilot, "Offer to help")
    server.faults.slow_acting_answer = 0.5
    await pilot.press(*"soon", "enter", "enter")
    await wait_for(lambda: said(screen) == "Done: Your offer to help was sent")
    assert server.faults.acting_posts == 2
    assert [v.message for v in server.world.requests[rid].volunteers].count("soon") == 1
