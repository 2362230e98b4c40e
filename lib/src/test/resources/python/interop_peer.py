#!/usr/bin/env python3
"""CPython's side of the interop tests: an asyncio streams server or client (standard library only).

  interop_peer.py server          listen on 127.0.0.1, print "PORT <n>", serve until killed
  interop_peer.py client PORT     run every mode against 127.0.0.1:PORT, print "ok" (exit 1 on a mismatch)

Each connection starts with a mode line:
  LINES   echo lines (readline) until "END\\n", answer "END\\n"
  FRAMES  echo frames: 4-byte big-endian length, then that many bytes (readexactly); length 0 ends
  BULK    echo everything (read(65536)) until end of stream, then half-close (write_eof)
"""
import asyncio
import struct
import sys

BULK_SIZE = 10 * 1024 * 1024
FRAME_SIZES = [1, 2, 3, 100, 4095, 4096, 4097, 65535, 65536, 65537, 300000, 1, 7]


def pattern(n, seed):
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


async def handle(reader, writer):
    mode = await reader.readline()
    if mode == b"LINES\n":
        while True:
            line = await reader.readline()
            if line in (b"", b"END\n"):
                writer.write(b"END\n")
                break
            writer.write(line)
            await writer.drain()
    elif mode == b"FRAMES\n":
        while True:
            head = await reader.readexactly(4)
            (n,) = struct.unpack(">I", head)
            if n == 0:
                writer.write(head)
                break
            writer.write(head + await reader.readexactly(n))
            await writer.drain()
    elif mode == b"BULK\n":
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
        writer.write_eof()
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def check(what, got, want):
    if got != want:
        raise SystemExit(f"{what}: got {got[:60]!r}... ({len(got)} bytes), want {want[:60]!r}... ({len(want)} bytes)")


async def client(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"LINES\n")
    for i in range(1000):
        line = b"line %d " % i + b"x" * (i % 300) + b"\n"
        writer.write(line)
        await writer.drain()
        check("line", await reader.readline(), line)
    writer.write(b"END\n")
    check("end", await reader.readline(), b"END\n")
    writer.close()
    await writer.wait_closed()

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"FRAMES\n")
    for k, n in enumerate(FRAME_SIZES):
        body = pattern(n, k)
        writer.write(struct.pack(">I", n) + body)
        await writer.drain()
        check("frame head", await reader.readexactly(4), struct.pack(">I", n))
        check("frame body", await reader.readexactly(n), body)
    writer.write(struct.pack(">I", 0))
    check("frame end", await reader.readexactly(4), struct.pack(">I", 0))
    writer.close()
    await writer.wait_closed()

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"BULK\n")
    data = pattern(BULK_SIZE, 5)

    async def send():
        for i in range(0, len(data), 65536):
            writer.write(data[i:i + 65536])
            await writer.drain()
        writer.write_eof()

    sender = asyncio.ensure_future(send())
    echoed = await reader.read()
    await sender
    check("bulk", echoed, data)
    writer.close()
    await writer.wait_closed()
    print("ok", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(serve())
    else:
        asyncio.run(client(int(sys.argv[2])))
