"""`tiri-tui doctor`: why the server does not work from here, step by step."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tiri_tui.commands.base import EXIT_ERROR, EXIT_OK, Command, Invocation, with_client

if TYPE_CHECKING:
    from tiri_tui.client import TiriClient


def _arguments(doctor: argparse.ArgumentParser) -> None:
    doctor.add_argument("--json", action="store_true", help="one JSON object per step")


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.diagnosis import diagnose

    as_json = invocation.args.json

    async def doctor(client: TiriClient) -> int:
        failed = False
        async for step in diagnose(client):
            print(step.as_json() if as_json else step.line(), flush=True)
            failed = failed or step.ok is False
        return EXIT_ERROR if failed else EXIT_OK

    return with_client(invocation.settings, doctor)


COMMAND = Command(
    "doctor",
    "check, step by step, why the server does not work from here",
    _run,
    description="Check the configured server and session step by step — name and TCP, "
    "TLS, the REST API, the clock, the session and its refresh, a notification page, "
    "the WebSocket handshake, connection_ack and a ping — and say what to do about "
    "each failure. Exit 1 if a step failed. No token is ever printed.",
    arguments=_arguments,
)
