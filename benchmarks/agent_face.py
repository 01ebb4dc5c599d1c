"""One face of the fan-out benchmark: attach to the agent, note when each
notification arrives, print a JSON summary once ``N`` have come (or time runs out).

    python -m benchmarks.agent_face SOCKET N
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from tiri_tui.agent.link import attach, hello


async def main(path: Path, wanted: int) -> None:
    seen: dict[str, float] = {}
    duplicates = 0
    done = asyncio.Event()

    def on_message(message: dict[str, Any]) -> None:
        nonlocal duplicates
        if message.get("event") == "notification" and (message.get("live") or message.get("news")):
            nid = message["notification"]["id"]
            if nid in seen:
                duplicates += 1
            else:
                seen[nid] = time.monotonic()
            if len(seen) >= wanted:
                done.set()

    link = await attach(path, lambda _event: None, on_message)
    assert link is not None, "no agent"
    await link.request("hello", **hello("bench", watch=True))
    print(json.dumps({"ready": True}), flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 120)
    await link.aclose()
    print(json.dumps({"seen": seen, "duplicates": duplicates}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
