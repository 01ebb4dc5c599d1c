"""The benchmark server: the embedded demo server in its own process, steered over stdin.

Commands (one per line), each answered with one JSON line on stdout:
    stream RATE SECONDS    notifications at RATE/s, each stamped with its send time
    burst N                N notifications back to back
    restart DOWNTIME NEW   stop, create NEW notifications while down, listen again
    quit

Send times are ``time.monotonic()``: CLOCK_MONOTONIC, the same clock in
every process on this machine, so client and server stamps compare.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime

from tiri_tui.server import DemoServer
from tiri_tui.server.state import iso
from tiri_tui.wire.models import Notification
from tiri_tui.wire.protocol import NotificationFrame, encode_frame


def _fields(index: int, sent: float) -> dict:
    return {
        "title": f"Benchmark #{index}",
        "message": "Amara accepted your request at the food bank",
        "notification_type": "request_accepted",
        "priority": "normal",
        "created_at": iso(datetime.now(UTC)),
        "extra_data": {"sent": sent, "seq": index},
    }


class Steered:
    def __init__(self, server: DemoServer) -> None:
        self.server = server
        self.counter = 0

    async def _send(self, notification: dict) -> None:
        user = self.server.user()
        text = encode_frame(NotificationFrame(Notification.from_dict(notification)))
        for socket in self.server.hub.sockets(user):
            await socket.send_str(text)

    async def stream(self, rate: float, seconds: float) -> dict:
        user = self.server.user()
        total = int(rate * seconds)
        start = time.monotonic()
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.counter += 1
            notification = self.server.state.create_notification(user, **_fields(self.counter, 0.0))
            notification["extra_data"]["sent"] = time.monotonic()
            await self._send(notification)
        return {"sent": total, "seconds": time.monotonic() - start}

    async def burst(self, count: int) -> dict:
        user = self.server.user()
        frames = []
        for _ in range(count):
            self.counter += 1
            notification = self.server.state.create_notification(user, **_fields(self.counter, 0.0))
            frames.append(encode_frame(NotificationFrame(Notification.from_dict(notification))))
        sockets = self.server.hub.sockets(user)
        started = time.monotonic()
        for text in frames:
            for socket in sockets:
                await socket.send_str(text)
        return {"sent": count, "started": started, "finished": time.monotonic()}

    async def restart(self, downtime: float, new: int) -> dict:
        await self.server.stop(close_code=1001)
        stopped = time.monotonic()
        for _ in range(new):
            self.counter += 1
            self.server.state.create_notification(self.server.user(), **_fields(self.counter, 0.0))
        await asyncio.sleep(max(0.0, downtime - (time.monotonic() - stopped)))
        await self.server.start()
        return {"stopped": stopped, "listening": time.monotonic()}


async def main() -> None:
    server = DemoServer(port=0, seed_count=50, access_lifetime=7200)
    await server.start()
    steered = Steered(server)
    print(json.dumps({"url": server.url}), flush=True)
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := (await reader.readline()).decode().split():
        command, *args = line
        if command == "quit":
            break
        handler = {"stream": steered.stream, "burst": steered.burst, "restart": steered.restart}[
            command
        ]
        result = await handler(*(float(a) if "." in a else int(a) for a in args))
        print(json.dumps(result), flush=True)
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
