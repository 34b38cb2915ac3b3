"""A stand-in push service for the benchmarks: accepts every message (201) after a delay.

Runs in its own process (`python bench/_push_sink.py PORT DELAY_SECONDS`) and prints `ready`
when it listens. It is a bare asyncio protocol rather than a web framework so that, sharing this
small machine with the sender being measured, it takes as little CPU as a remote service would.
`GET /count` answers how many messages it accepted.
"""

from __future__ import annotations

import asyncio
import re
import sys

_LENGTH = re.compile(rb"content-length:\s*(\d+)")
_CREATED = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"


def main() -> None:
    port, delay = int(sys.argv[1]), float(sys.argv[2])
    accepted = 0

    class Sink(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            self.transport = transport
            self.buffer = bytearray()

        def data_received(self, data: bytes) -> None:
            nonlocal accepted
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                head = bytes(self.buffer[:end]).lower()
                found = _LENGTH.search(head)
                length = int(found.group(1)) if found else 0
                if len(self.buffer) < end + 4 + length:
                    return
                del self.buffer[: end + 4 + length]
                if head.startswith(b"get /count"):
                    body = str(accepted).encode()
                    self.transport.write(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                    )
                    continue
                accepted += 1
                asyncio.get_running_loop().call_later(delay, self._answer)

        def _answer(self) -> None:
            if not self.transport.is_closing():
                self.transport.write(_CREATED)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Sink, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
