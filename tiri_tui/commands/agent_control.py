"""What `tiri-tui agent` does: run, install, status, stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from datetime import datetime
from typing import Any

from tiri_tui.agent.endpoint import (
    AgentRunning,
    EndpointError,
    profile_name,
    socket_path,
)
from tiri_tui.agent.link import AgentLost, AgentRefused, attach
from tiri_tui.commands.base import EXIT_AUTH, EXIT_ERROR, EXIT_OK, Invocation, fail, until_stopped
from tiri_tui.commands.global_options import given_options
from tiri_tui.wire.errors import LoginRequired
from tiri_tui.wire.text import one_line

#: `agent status` when no agent runs (as `systemctl status` of a stopped unit).
EXIT_NOT_RUNNING = 3
#: How long `agent stop` waits for the agent to be gone.
STOP_PATIENCE = 15.0


def run(invocation: Invocation) -> int:
    from tiri_tui.agent.running import prepare, serve

    settings = invocation.settings
    if not hasattr(asyncio, "start_unix_server"):
        fail("the agent needs Unix sockets (Linux, macOS, the BSDs); the faces run alone here")
        return EXIT_ERROR
    try:
        path, lock = prepare(settings)
    except (AgentRunning, EndpointError) as exc:
        fail(str(exc))
        return EXIT_ERROR

    async def main() -> int:
        stop = asyncio.Event()
        waiting = asyncio.ensure_future(until_stopped())
        waiting.add_done_callback(lambda _task: stop.set())
        print(
            f"tiri-tui agent: profile {profile_name(settings)}, listening on {path} "
            "(Ctrl+C or `tiri-tui agent stop` stops it)",
            file=sys.stderr,
            flush=True,
        )
        try:
            return await serve(settings, path, stop=stop, options=given_options(invocation.args))
        finally:
            waiting.cancel()

    try:
        return asyncio.run(main())
    except LoginRequired as exc:  # NotLoggedIn too
        fail(str(exc))
        return EXIT_AUTH
    finally:
        lock.release()


def install(invocation: Invocation) -> int:
    from tiri_tui.agent.endpoint import lock_path
    from tiri_tui.agent.unit import (
        agent_command,
        carried_environment,
        has_systemd,
        unit_dir,
        unit_name,
        unit_text,
        write_unit,
    )

    settings = invocation.settings
    profile = profile_name(settings)
    command = agent_command(given_options(invocation.args))
    if not has_systemd(os.environ):
        fail("no systemd user manager here: run the agent under your own supervisor instead:")
        print("  " + " ".join(_shell_word(word) for word in command))
        return EXIT_ERROR
    try:
        name = unit_name(lock_path(settings).stem)
    except EndpointError as exc:
        fail(str(exc))
        return EXIT_ERROR
    path = unit_dir(os.environ) / name
    try:
        text = unit_text(profile, command, carried_environment(os.environ))
        write_unit(path, text)
    except (EndpointError, OSError) as exc:
        fail(f"cannot write {path}: {exc}")
        return EXIT_ERROR
    print(f"wrote {path}")
    print("start it now and at every login:")
    print("  systemctl --user daemon-reload")
    print(f"  systemctl --user enable --now {name}")
    print(f"its log: journalctl --user -u {name}")
    print(
        "for its Open button to reach your desktop: "
        "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY TERMINAL"
    )
    print("whether it runs: tiri-tui agent status")
    return EXIT_OK


def _lock_holder(settings: Any) -> int | None:
    """The pid holding the profile's lock (0: held, pid unknown); None: free."""
    from tiri_tui.agent.endpoint import ProfileLock, lock_path

    try:
        lock = ProfileLock(lock_path(settings), profile_name(settings))
        if not lock.path.parent.exists():
            return None
        lock.acquire()
    except AgentRunning as exc:
        return exc.pid or 0
    except EndpointError:
        return None
    lock.release()
    return None


def _shell_word(word: str) -> str:
    import shlex

    return shlex.quote(word)


def status(invocation: Invocation) -> int:
    settings = invocation.settings
    try:
        answer = asyncio.run(_ask(socket_path(settings), "status"))
    except EndpointError as exc:
        fail(str(exc))
        return EXIT_ERROR
    if answer is None:
        holder = _lock_holder(settings)
        if holder is not None:
            fail(
                f"an agent (pid {holder or '?'}) holds profile {profile_name(settings)} but does not answer"
            )
            return EXIT_ERROR
        print(
            f"no agent is running for profile {profile_name(settings)} "
            "(start one: tiri-tui agent, or tiri-tui agent install)"
        )
        return EXIT_NOT_RUNNING
    for line in describe_status(answer):
        print(line)
    return EXIT_OK


def stop(invocation: Invocation) -> int:
    settings = invocation.settings
    try:
        path = socket_path(settings)
    except EndpointError as exc:
        fail(str(exc))
        return EXIT_ERROR
    about = asyncio.run(_ask(path, "status"))
    if about is None:
        print(f"no agent is running for profile {profile_name(settings)}")
        return EXIT_OK
    asyncio.run(_ask(path, "stop"))
    pid = about.get("agent", {}).get("pid")
    if not asyncio.run(_gone(path)):
        fail(f"the agent (pid {pid}) did not stop within {STOP_PATIENCE:.0f} s")
        return EXIT_ERROR
    print(f"stopped the agent for profile {profile_name(settings)} (pid {pid})")
    return EXIT_OK


async def _ask(path: Any, op: str) -> dict[str, Any] | None:
    """The agent's answer to ``op`` (None: no agent answers at ``path``)."""
    link = await attach(path, lambda _event: None)
    if link is None:
        return None
    try:
        return await link.request(op)
    except (AgentLost, AgentRefused):
        return None
    finally:
        await link.aclose()


async def _gone(path: Any) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_PATIENCE
    while loop.time() < deadline:
        if not await asyncio.to_thread(os.path.exists, path):
            return True
        await asyncio.sleep(0.05)
    return False


def describe_status(answer: dict[str, Any]) -> list[str]:
    """`agent status` in lines, every value from the agent shown inert."""
    agent = answer.get("agent", {})
    lines = [
        f"agent for profile {one_line(str(agent.get('profile')))}: running "
        f"(pid {agent.get('pid')}, since {_when(agent.get('since'))}, tiri-tui "
        f"{one_line(str(agent.get('version')))})",
        f"server: {one_line(str(agent.get('server')))}"
        + (f" as {one_line(str(agent['account']))}" if agent.get("account") else ""),
    ]
    state = one_line(str(answer.get("state")))
    if answer.get("needs_login"):
        lines.append("connection: login required — run `tiri-tui login`; the agent picks it up")
    elif answer.get("connected_since"):
        lines.append(f"connection: {state} since {_when(answer['connected_since'])}")
    else:
        reason = one_line(str(answer.get("reason") or ""))
        lines.append(f"connection: {state}" + (f" ({reason})" if reason else ""))
    unread = answer.get("unread_count")
    lines.append(
        f"unread: {'?' if unread is None else unread} · held: {answer.get('held', 0)}"
        + ("" if answer.get("current") else " (not confirmed by the server since it went down)")
    )
    told = answer.get("alerts")
    alerts: dict[str, Any] = told if isinstance(told, dict) else {}
    if alerts.get("quiet_hours"):
        hours, source = (
            one_line(str(alerts["quiet_hours"])),
            one_line(str(alerts.get("quiet_hours_from"))),
        )
        lines.append(f"alerts: quiet hours {hours} ({source})")
    if alerts.get("do_not_disturb"):
        lines.append("alerts: do not disturb is on (`tiri-tui dnd status`)")
    faces = answer.get("faces", [])
    # A dashboard is known to the agent but holds its own connection: "faces",
    # not "attached", so that the count is true of every line under it.
    lines.append(f"faces: {len(faces)}")
    for face in faces:
        watching = " (watching)" if face.get("watching") else ""
        if face.get("face") == "dashboard" and not face.get("watching"):
            watching = " (its own connection; it alerts for itself)"
        lines.append(
            f"  {one_line(str(face.get('face'))):<10} pid {face.get('pid')}  "
            f"since {_when(face.get('since'))}{watching}"
        )
    return lines


def _when(value: object) -> str:
    with contextlib.suppress(TypeError, ValueError):
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone()
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    return "?"
