"""New connections go to the least loaded worker process, not to whichever wakes first.

The workers of `tessera serve` share one listening socket, and the kernel hands a connection to
whichever worker calls accept first: two clients often land on one worker, whose GIL then
serves both while the other core idles (measured: two cold 1 MP renders in flight, 9.97 ms
each on one worker against 8.85 ms spread over two). So a worker that accepts a connection
while another is less loaded passes it on before reading a byte: its descriptor goes over a
Unix datagram socket (SCM_RIGHTS) to that worker, which serves it as if it had accepted it
(what Envoy's exact connection balance and Node's cluster module do with threads and
processes).

Load is each worker's requests begun and connections opened, decayed with a one-second time
constant: an idle kept-alive connection weighs nothing after a while, and connections opened
together count at once. It lives in a small shared file (`<group>/load`), a slot per worker,
written on events (no timers) by its worker and by one passing it a connection, and read by
the one that accepts. Unlocked: a rare lost update only skews the next choice.
"""

from __future__ import annotations

import array
import asyncio
import logging
import math
import mmap
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

TIME_CONSTANT = 1.0  # seconds for a worker's load to fall to 1/e when nothing happens
_FIELDS = 2  # per slot: load, and the monotonic time it was last updated


class LoadTable:
    """Decayed load per worker slot, in a file every worker maps (monotonic clocks agree
    between the processes of a host)."""

    def __init__(self, path: Path, slots: int) -> None:
        size = slots * _FIELDS * 8
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self._values = memoryview(self._map).cast("d")
        self.slots = slots

    def load(self, slot: int, now: float) -> float:
        value, at = self._values[slot * _FIELDS], self._values[slot * _FIELDS + 1]
        return value * math.exp(-(now - at) / TIME_CONSTANT) if value else 0.0

    def add(self, slot: int, now: float, amount: float = 1.0) -> None:
        self._values[slot * _FIELDS] = self.load(slot, now) + amount
        self._values[slot * _FIELDS + 1] = now

    def reset(self, slot: int) -> None:
        self._values[slot * _FIELDS] = 0.0


def inbox_path(directory: Path, slot: int) -> Path:
    return directory / f"inbox-{slot}"


class Balancer:
    """One worker's side: its load, its inbox for connections passed to it, and the choice
    of passing on a connection it accepted."""

    def __init__(self, directory: Path, slot: int, slots: int) -> None:
        self.directory = directory
        self.slot = slot
        self.table = LoadTable(directory / "load", slots)
        self.table.reset(slot)  # a restarted worker starts afresh
        path = inbox_path(directory, slot)
        path.unlink(missing_ok=True)  # left by the worker this one replaces
        self._inbox = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._inbox.bind(str(path))  # OSError for a path too long (108 bytes)
        except OSError:
            self._inbox.close()
            raise
        self._inbox.setblocking(False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._adopt: Callable[[], asyncio.Protocol] | None = None

    def start(self, loop: asyncio.AbstractEventLoop,
              protocol_factory: Callable[[], asyncio.Protocol]) -> None:
        """Serve the connections other workers pass here with protocols from the factory."""
        self._loop, self._adopt = loop, protocol_factory
        loop.add_reader(self._inbox.fileno(), self._receive)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self._inbox.fileno())
            self._loop = None
        self._inbox.close()
        inbox_path(self.directory, self.slot).unlink(missing_ok=True)

    def busy(self) -> None:
        """Count a request begun, or a connection kept, here."""
        self.table.add(self.slot, time.monotonic())

    def pass_on(self, connection: socket.socket | Any) -> bool:
        """True if the freshly accepted `connection` went to a worker clearly less loaded
        than this one (by half a request at least, and a tenth); False if this one keeps it.
        Loads within a tenth are even enough: passing costs more than it would even out."""
        now = time.monotonic()
        table = self.table
        mine = table.load(self.slot, now)
        others = [slot for slot in range(table.slots) if slot != self.slot]
        if not others:
            return False
        target = min(others, key=lambda slot: table.load(slot, now))
        if mine - table.load(target, now) < max(0.5, mine * 0.1):
            return False
        try:
            # Not socket.send_fds: it drops its address argument (Python 3.11).
            self._inbox.sendmsg(
                [b"c"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                          array.array("i", [connection.fileno()]))],
                0, str(inbox_path(self.directory, target)))
        except OSError:  # not listening (restarting, stopping) or its inbox is full: keep it
            return False
        table.add(target, now)  # counted at once: the next accept here must see it
        return True

    def _receive(self) -> None:
        while True:
            try:
                _data, fds, _flags, _address = socket.recv_fds(self._inbox, 16, 8)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.exception("event=connection_receive_failed")
                return
            for fd in fds:
                try:
                    connection = socket.socket(fileno=fd)
                except OSError:  # not a socket: not from a worker
                    os.close(fd)
                    continue
                connection.setblocking(False)
                assert self._loop is not None
                self._loop.create_task(self._serve(connection))

    async def _serve(self, connection: socket.socket) -> None:
        assert self._loop is not None and self._adopt is not None
        try:
            await self._loop.connect_accepted_socket(self._adopt, connection)
        except OSError:  # the client went away meanwhile
            connection.close()


class BalancedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, which first offers a connection it was given by accept
    to a less loaded worker, and counts its requests into this worker's load."""

    balancer: ClassVar[Balancer | None] = None  # this worker's, once it serves
    adopted = False  # passed here by another worker: served here, never passed on again
    _passed = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        balancer = BalancedProtocol.balancer
        if balancer is not None and not self.adopted \
                and balancer.pass_on(transport.get_extra_info("socket")):
            # Closing this descriptor leaves the connection to the other worker's copy;
            # nothing was read from it (reading starts after connection_made).
            self._passed = True
            transport.abort()
            return
        if balancer is not None and not self.adopted:  # an adopted one was counted when passed
            balancer.busy()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._passed:
            super().connection_lost(exc)

    def on_message_begin(self) -> None:
        if BalancedProtocol.balancer is not None:
            BalancedProtocol.balancer.busy()
        super().on_message_begin()


class BalancedServer(uvicorn.Server):
    """A worker's uvicorn server, joined to the balance once it has started."""

    def __init__(self, config: uvicorn.Config, balancer: Balancer) -> None:
        super().__init__(config)
        self.balancer = balancer

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        config = self.config

        def adopted() -> asyncio.Protocol:
            protocol = BalancedProtocol(config=config, server_state=self.server_state,
                                        app_state=self.lifespan.state)
            protocol.adopted = True
            return protocol

        self.balancer.start(asyncio.get_running_loop(), adopted)
        BalancedProtocol.balancer = self.balancer

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        BalancedProtocol.balancer = None  # no more passing on, nor taking in
        self.balancer.close()
        await super().shutdown(sockets)
