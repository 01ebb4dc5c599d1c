"""SVG snapshots of the main states, with fixed data, a fixed clock and no network."""

from __future__ import annotations

import msgspec

from tests.support.fakes import NOW, offline_controller, sample
from tests.support.serving import take_rows
from tiri_tui.connection.policy import ConnectionState
from tiri_tui.connection.realtime import FrameReceived
from tiri_tui.ui.app import TiriApp
from tiri_tui.wire.protocol import UnreadCountFrame

SIZE = (120, 32)


def make_app(state: ConnectionState, reason: str, retry_in: float | None = None) -> TiriApp:
    controller = offline_controller()
    data = sample(40)
    data[1] = msgspec.structs.replace(data[1], title="[bold red]not markup[/]")  # shown literally
    take_rows(controller, data)
    app = TiriApp(
        controller=controller, clock=lambda: NOW, bell=False, server_label="https://tiri.example"
    )

    async def setup() -> None:
        controller._on_realtime(FrameReceived(UnreadCountFrame(27), 0.0))
        controller.worker.emit_state(state, reason, retry_in)

    app.snapshot_setup = setup  # type: ignore[attr-defined]
    return app


async def prepare(pilot) -> None:
    await pilot.app.snapshot_setup()
    await pilot.pause()


def test_connected(snap_compare):
    assert snap_compare(
        make_app(ConnectionState.CONNECTED, "connected"), terminal_size=SIZE, run_before=prepare
    )


def test_reconnecting(snap_compare):
    app = make_app(ConnectionState.RECONNECTING, "connection closed (1006)", retry_in=12.4)
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare)


def test_error(snap_compare):
    app = make_app(ConnectionState.ERROR, "connection closed (4003) — not reconnecting")
    assert snap_compare(app, terminal_size=SIZE, run_before=prepare)


def test_detail_pane(snap_compare):
    app = make_app(ConnectionState.CONNECTED, "connected")
    # The third row is a read one: opening it changes nothing on the clock.
    assert snap_compare(app, terminal_size=SIZE, press=["j", "j", "enter"], run_before=prepare)


def test_help_screen(snap_compare):
    app = make_app(ConnectionState.CONNECTED, "connected")
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"], run_before=prepare)
