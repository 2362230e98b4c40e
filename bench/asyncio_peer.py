#!/usr/bin/env python3
"""The CPython peer of the loopback benchmark: asyncio streams, standard library only.

    asyncio_peer.py server --workload W --port P
    asyncio_peer.py client --workload W --port P [--n N] [--size S] [--conns C]

Workloads W1-W7 as described in BENCHMARKS.md (W7 has no client here: the runner uses `openssl s_time`); the client prints one JSON line.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time

HOST = "127.0.0.1"
CHUNK = 64 * 1024
LINE = b"x" * 99 + b"\n"
MESSAGE = b"m" * 63 + b"\n"
LINES_PER_WRITE = CHUNK // len(LINE)
FANIN_ROUND_TRIPS = 10
DEFAULTS = {"W1": 1 << 30, "W2": 5_000_000, "W3": 100_000, "W4": 20_000, "W5": 2_000, "W6": 1 << 30}


# ---- servers ---------------------------------------------------------------------------------------------------

async def serve_bulk(reader, writer):
    count = 0
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        count += len(data)
    writer.write(count.to_bytes(8, "big"))
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve_prefixed_bulk(reader, writer):
    """W6: an 8-byte length, then that many bytes (an SSL transport cannot write_eof); replies the count."""
    expected = int.from_bytes(await reader.readexactly(8), "big")
    count = 0
    while count < expected:
        data = await reader.read(CHUNK)
        if not data:
            break
        count += len(data)
    writer.write(count.to_bytes(8, "big"))
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve_handshake(reader, writer):
    """W7: the handshake is the work; wait for the client to go."""
    try:
        await reader.read()
    except OSError:
        pass
    finally:
        writer.close()


async def serve_lines(reader, writer):
    count = 0
    while True:
        line = await reader.readline()
        if not line:
            break
        count += 1
    writer.write(b"%d\n" % count)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def serve_pingpong(reader, writer):
    try:
        while True:
            try:
                message = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as e:
                if e.partial:
                    raise
                break
            writer.write(message)
            await writer.drain()
    finally:
        writer.close()


async def serve_churn(reader, writer):
    line = await reader.readline()
    writer.write(line)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


SERVERS = {"W1": serve_bulk, "W2": serve_lines, "W3": serve_pingpong, "W4": serve_churn, "W5": serve_pingpong,
           "W6": serve_prefixed_bulk, "W7": serve_handshake}


async def run_server(workload, port, cert=None, key=None):
    ctx = None
    if workload in ("W6", "W7"):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(SERVERS[workload], HOST, port, backlog=16384, ssl=ctx)
    async with server:
        await server.serve_forever()


# ---- clients ---------------------------------------------------------------------------------------------------

async def client_bulk(port, size):
    chunk = b"b" * CHUNK
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(HOST, port)
    left = size
    while left > 0:
        writer.write(chunk if left >= CHUNK else chunk[:left])
        await writer.drain()
        left -= CHUNK
    writer.write_eof()
    count = int.from_bytes(await reader.readexactly(8), "big")
    seconds = time.monotonic() - start
    writer.close()
    check(count == size, f"server counted {count} bytes, sent {size}")
    return "MiB/s", size / (1 << 20) / seconds, {"bytes": size, "seconds": seconds}


async def client_tls_bulk(port, size, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    chunk = b"b" * CHUNK
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(HOST, port, ssl=ctx)
    writer.write(size.to_bytes(8, "big"))
    left = size
    while left > 0:
        writer.write(chunk if left >= CHUNK else chunk[:left])
        await writer.drain()
        left -= CHUNK
    count = int.from_bytes(await reader.readexactly(8), "big")
    seconds = time.monotonic() - start
    writer.close()
    check(count == size, f"server counted {count} bytes, sent {size}")
    return "MiB/s", size / (1 << 20) / seconds, {"bytes": size, "seconds": seconds}


async def client_lines(port, n):
    batch = LINE * LINES_PER_WRITE
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(HOST, port)
    left = n
    while left > 0:
        writer.write(batch if left >= LINES_PER_WRITE else LINE * left)
        await writer.drain()
        left -= LINES_PER_WRITE
    writer.write_eof()
    count = int(await reader.readline())
    seconds = time.monotonic() - start
    writer.close()
    check(count == n, f"server counted {count} lines, sent {n}")
    return "lines/s", n / seconds, {"lines": n, "seconds": seconds}


async def pingpong(reader, writer, n, times):
    for _ in range(n):
        t = time.perf_counter_ns()
        writer.write(MESSAGE)
        await writer.drain()
        reply = await reader.readexactly(len(MESSAGE))
        if times is not None:
            times.append(time.perf_counter_ns() - t)
        check(reply == MESSAGE, "the echoed message differs")


async def client_pingpong(port, n):
    reader, writer = await asyncio.open_connection(HOST, port)
    times = []
    start = time.monotonic()
    await pingpong(reader, writer, n, times)
    seconds = time.monotonic() - start
    writer.close()
    await writer.wait_closed()
    times.sort()
    return "round_trips/s", n / seconds, {
        "p50_us": percentile(times, 0.50) / 1000,
        "p99_us": percentile(times, 0.99) / 1000,
        "round_trips": n,
        "seconds": seconds,
    }


async def client_churn(port, n):
    start = time.monotonic()
    for _ in range(n):
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(b"ping\n")
        line = await reader.readline()
        check(line == b"ping\n", f"unexpected reply {line!r}")
        writer.close()
        await writer.wait_closed()
    seconds = time.monotonic() - start
    return "conns/s", n / seconds, {"connections": n, "seconds": seconds}


async def client_fanin(port, conns):
    start = time.monotonic()
    pairs = await asyncio.gather(*(asyncio.open_connection(HOST, port) for _ in range(conns)))
    await asyncio.gather(*(pingpong(r, w, FANIN_ROUND_TRIPS, None) for r, w in pairs))
    for _, w in pairs:
        w.close()
    await asyncio.gather(*(w.wait_closed() for _, w in pairs))
    seconds = time.monotonic() - start
    return "seconds", seconds, {"connections": conns, "round_trips_each": FANIN_ROUND_TRIPS}


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def check(ok, message):
    if not ok:
        raise SystemExit("benchmark failed: " + message)


async def run_client(args):
    w = args.workload
    if w == "W1":
        metric, value, extra = await client_bulk(args.port, args.size or DEFAULTS[w])
    elif w == "W2":
        metric, value, extra = await client_lines(args.port, args.n or DEFAULTS[w])
    elif w == "W3":
        metric, value, extra = await client_pingpong(args.port, args.n or DEFAULTS[w])
    elif w == "W4":
        metric, value, extra = await client_churn(args.port, args.n or DEFAULTS[w])
    elif w == "W6":
        metric, value, extra = await client_tls_bulk(args.port, args.size or DEFAULTS[w], args.cafile)
    else:
        metric, value, extra = await client_fanin(args.port, args.conns or DEFAULTS[w])
    line = {"peer": "cpython", "workload": w, "metric": metric, "value": value}
    line.update(extra)
    print(json.dumps(line), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--workload", required=True, choices=sorted(SERVERS))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--conns", type=int)
    parser.add_argument("--cert", help="W6, W7 servers: certificate chain (PEM)")
    parser.add_argument("--key", help="W6, W7 servers: private key (PEM)")
    parser.add_argument("--cafile", help="W6 clients: the CA to verify the server against (PEM)")
    args = parser.parse_args()
    if args.role == "client" and args.workload == "W7":
        parser.error("W7 has no client here: use openssl s_time")
    try:
        if args.role == "server":
            asyncio.run(run_server(args.workload, args.port, args.cert, args.key))
        else:
            asyncio.run(run_client(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
