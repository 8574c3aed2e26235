"""`Balancer`: a worker passes a freshly accepted connection to a clearly less loaded worker,
which serves it; it keeps it when loads are even or the other takes none (not listening)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import pytest

from tessera.http.balance import Balancer, inbox_path
from tests.support.concurrency import run


class Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(b"served: " + data)  # type: ignore[attr-defined]


def test_a_connection_goes_to_the_less_loaded_worker_and_is_served_there(
        tmp_path: Path) -> None:
    busy, idle = Balancer(tmp_path, 0, 2), Balancer(tmp_path, 1, 2)
    client, accepted = socket.socketpair()

    async def main() -> bytes:
        idle.start(asyncio.get_running_loop(), Echo)
        for _ in range(3):
            busy.busy()
        assert busy.pass_on(accepted)
        accepted.close()  # the accepting worker's copy goes; the connection stays
        reader, writer = await asyncio.open_connection(sock=client)
        writer.write(b"GET /")
        answer = await asyncio.wait_for(reader.read(100), timeout=5)
        writer.close()
        return answer

    try:
        assert run(main) == b"served: GET /"
        # Counted for the receiver at once, so that the next accept sees it.
        assert idle.table.load(1, time.monotonic()) > 0.9
    finally:
        busy.close()
        idle.close()


def test_even_loads_keep_the_connection_where_it_was_accepted(tmp_path: Path) -> None:
    one, other = Balancer(tmp_path, 0, 2), Balancer(tmp_path, 1, 2)
    client, accepted = socket.socketpair()
    try:
        one.busy()
        other.busy()
        assert not one.pass_on(accepted)
    finally:
        for end in (client, accepted):
            end.close()
        one.close()
        other.close()


def test_a_worker_not_listening_is_not_given_connections(tmp_path: Path) -> None:
    busy = Balancer(tmp_path, 0, 2)  # slot 1 never started (or died): no inbox
    client, accepted = socket.socketpair()
    try:
        for _ in range(3):
            busy.busy()
        assert not inbox_path(tmp_path, 1).exists()
        assert not busy.pass_on(accepted)
    finally:
        for end in (client, accepted):
            end.close()
        busy.close()


def test_a_descriptor_that_is_no_socket_is_closed_not_served(tmp_path: Path) -> None:
    receiver = Balancer(tmp_path, 0, 1)
    read_end, write_end = os.pipe()
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    async def main() -> None:
        receiver.start(asyncio.get_running_loop(), Echo)
        sender.sendmsg([b"c"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                 read_end.to_bytes(4, "little"))],
                       0, str(inbox_path(tmp_path, 0)))
        await asyncio.sleep(0.2)

    try:
        run(main)
        os.close(read_end)  # ours: no read end is left unless the receiver kept its copy
        with pytest.raises(BrokenPipeError):
            os.write(write_end, b"x")
    finally:
        os.close(write_end)
        sender.close()
        receiver.close()
