#!/usr/bin/env python3
"""CPython's side of the TLS interop tests (standard library only).

  tls_peer.py server CERT KEY        TLS echo server on 127.0.0.1: prints "PORT <n>", echoes lines until end of stream
  tls_peer.py dropping CERT KEY      blocking ssl server, as many servers are written: prints "PORT <n>", then for one
                                     connection reads a line, sends 1000 lines and closes TCP without close_notify
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


def dropping(cert, key):
    import socket

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.num_tickets = 0  # no ticket left unread by the client, which would turn the FIN into a reset
    listener = socket.create_server(("127.0.0.1", 0))
    print("PORT", listener.getsockname()[1], flush=True)
    sock, _ = listener.accept()
    conn = context.wrap_socket(sock, server_side=True)
    conn.recv(1024)
    conn.sendall(b"".join(b"body line %d\n" % i for i in range(1000)))
    conn.close()  # no unwrap(): TCP ends without close_notify
    listener.close()


if __name__ == "__main__":
    if sys.argv[1] == "dropping":
        dropping(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "server":
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(client(int(sys.argv[2]), sys.argv[3]))
