#!/usr/bin/env python3
"""CPython's side of the TLS interop tests (standard library only).

  tls_peer.py server CERT KEY        TLS echo server on 127.0.0.1: prints "PORT <n>", echoes lines until end of stream
  tls_peer.py client PORT CAFILE     connects to localhost:PORT with TLS, verifying against CAFILE; echoes 100 lines,
                                     prints "ok <protocol>" (exit 1 on a mismatch)
"""
import asyncio
import ssl
import sys


async def echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=context)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


async def client(port, cafile):
    context = ssl.create_default_context(cafile=cafile)
    reader, writer = await asyncio.open_connection("localhost", port, ssl=context)
    for i in range(100):
        line = b"secure line %d\n" % i
        writer.write(line)
        await writer.drain()
        got = await reader.readline()
        if got != line:
            raise SystemExit(f"got {got!r}, want {line!r}")
    protocol = writer.get_extra_info("ssl_object").version()
    writer.close()
    await writer.wait_closed()
    print("ok", protocol, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(client(int(sys.argv[2]), sys.argv[3]))
