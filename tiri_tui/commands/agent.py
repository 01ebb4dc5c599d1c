"""`tiri-tui agent`: one process per profile that every face attaches to."""

from __future__ import annotations

import argparse

from tiri_tui.commands.base import Command, Invocation

ACTIONS = ("run", "install", "status", "stop")


def _arguments(agent: argparse.ArgumentParser) -> None:
    agent.add_argument(
        "action",
        nargs="?",
        choices=ACTIONS,
        default="run",
        help="run (the default: in the foreground, until Ctrl+C or `agent stop`); "
        "install (write a systemd user unit and say how to enable it); "
        "status (connected? since when? which faces?); stop",
    )


def _run(invocation: Invocation) -> int:
    from tiri_tui.commands.agent_control import install, run, status, stop

    action = {"run": run, "install": install, "status": status, "stop": stop}
    return action[invocation.args.action](invocation)


COMMAND = Command(
    "agent",
    "hold the connection for every face of a profile (and alert with no terminal open)",
    _run,
    description="Run the agent for the profile: it holds the session, the WebSocket, the "
    "cache and the outbox, and tail, count and count --watch attach to it through a "
    "private Unix socket instead of connecting on their own (--no-agent: they don't). "
    "With no dashboard open it raises the OS's notifications (Mark read, Open), and it "
    'runs the commands of [[rules]] with action = "run". Exit codes: 0 stopped; '
    "1 another agent holds the profile, or the socket cannot be made safely; 2 not logged "
    "in; 3 (status) no agent is running.",
    arguments=_arguments,
)
