"""A TCP proxy on loopback that injects network faults between client and server.

Faults: drop every connection, delay bytes, stall (forward nothing while
keeping connections open: a half-open peer), cut the next server → client
chunk in the middle, refuse new connections for a while.
"""

from __future__ import annotations

import asyncio
import contextlib


class FaultProxy:
    """Listens on 127.0.0.1:port and forwards to 127.0.0.1:target_port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.refusing = False
        self.delay = 0.0
        self.cut_next = False
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.drop_all()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- faults ----------------------------------------------------------------------
    def drop_all(self) -> int:
        """Abort every open connection (both sides see a reset)."""
        links = list(self._links)
        for client, upstream in links:
            client.transport.abort()
            upstream.transport.abort()
        return len(links)

    def stall(self) -> None:
        """Stop forwarding, keep connections open: peers look alive but say nothing."""
        self._flowing.clear()

    def heal(self) -> None:
        """Back to a perfect network."""
        self.refusing = False
        self.delay = 0.0
        self.cut_next = False
        self._flowing.set()

    @property
    def open_links(self) -> int:
        return len(self._links)

    def describe_links(self) -> list[str]:
        """Who is still linked (client address → upstream address), for a diagnosis."""
        return [
            f"{client.get_extra_info('peername')} → {up.get_extra_info('sockname')}"
            for client, up in self._links
        ]

    # -- plumbing -------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self._links.add(link)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer, link, downstream=False)),
            asyncio.create_task(self._pump(up_reader, writer, link, downstream=True)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
                self._tasks.discard(pump)
            self._links.discard(link)
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pump(self, source, target, link, *, downstream: bool) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                await self._flowing.wait()
                if self.delay:
                    await asyncio.sleep(self.delay)
                if downstream and self.cut_next and len(data) > 1:
                    self.cut_next = False
                    target.write(data[: len(data) // 2])  # half a frame, then nothing
                    await target.drain()
                    return
                target.write(data)
                await target.drain()
