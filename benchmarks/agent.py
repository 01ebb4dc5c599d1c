"""The agent: `count` through it against a standalone `count`, and a burst
fanned out to five faces (each in its own process) against the agent's own
delivery.

    python -m benchmarks.agent BURST COUNTS
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, median, summary_ms
from benchmarks.delivery import ServerProcess
from tiri_tui.agent.endpoint import socket_path
from tiri_tui.agent.running import prepare, serve
from tiri_tui.agent.service import AgentService
from tiri_tui.client import TiriClient
from tiri_tui.commands.counting import read_count
from tiri_tui.commands.counting_attached import count_from_agent
from tiri_tui.server import DEMO_EMAIL, DEMO_PASSWORD
from tiri_tui.settings.config import Settings
from tiri_tui.sync.events import NotificationAdded

FACES = 5


async def counts(settings: Settings, runs: int) -> dict[str, float]:
    """Medians of the two ways to a count, interleaved (the server's count
    for the standalone one: one request, as `tiri-tui count`)."""
    alone_settings = Settings(server=settings.server, home=settings.home, no_agent=True)
    through_agent: list[float] = []
    alone: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        reading = await count_from_agent(settings)
        through_agent.append(time.perf_counter() - start)
        assert reading is not None and reading.count is not None
        async with TiriClient(alone_settings) as client:
            start = time.perf_counter()
            await read_count(client, 3.0)
            alone.append(time.perf_counter() - start)
    return {"agent_ms": median(through_agent) * 1000, "standalone_ms": median(alone) * 1000}


async def fan_out(server: ServerProcess, service: AgentService, path: Path, burst: int) -> dict:
    mine: dict[str, float] = {}

    def note(event: object) -> None:
        if isinstance(event, NotificationAdded) and (event.live or event.news):
            mine.setdefault(event.notification.id, time.monotonic())

    service.controller.subscribe(note)
    faces = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.agent_face",
            str(path),
            str(burst),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=64 * 1024 * 1024,  # a face's summary holds every arrival's time
        )
        for _ in range(FACES)
    ]
    for face in faces:
        assert json.loads(await face.stdout.readline())["ready"]
    reply = await server.command(f"burst {burst}")
    started = reply["started"]
    results = [json.loads(await face.stdout.readline()) for face in faces]
    for face in faces:
        await face.wait()
    agent_times = [t - started for t in mine.values()]
    per_face = []
    for result in results:
        seen = result["seen"]
        per_face.append(
            {
                "got": len(seen),
                "duplicates": result["duplicates"],
                "missing": len(set(mine) - set(seen)),
                "delivery": summary_ms([t - started for t in seen.values()]),
                "behind_the_agent": summary_ms(
                    [t - mine[nid] for nid, t in seen.items() if nid in mine]
                ),
            }
        )
    return {
        "burst": burst,
        "agent": summary_ms(agent_times),
        "agent_got": len(mine),
        "frames_dropped": service.controller.frames_dropped,
        "faces": per_face,
    }


async def main(burst: int, runs: int) -> None:
    async with ServerProcess() as server:
        home = Path(tempfile.mkdtemp(prefix="tiri-bench-agent-"))
        settings = Settings(server=server.url, home=home)
        async with TiriClient(settings) as client:
            await client.auth.login(DEMO_EMAIL, DEMO_PASSWORD)
        path, lock = await asyncio.to_thread(prepare, settings)
        stop = asyncio.Event()
        services: list[AgentService] = []
        running = asyncio.create_task(serve(settings, path, stop=stop, ready=services.append))
        while not services or not services[0].controller.loaded.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)  # its first fill settled
        result = {"count": await counts(settings, runs)}
        result["fan_out"] = await fan_out(server, services[0], socket_path(settings), burst)
        stop.set()
        await running
        lock.release()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
