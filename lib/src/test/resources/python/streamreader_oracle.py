#!/usr/bin/env python3
"""Runs StreamReader scripts against CPython's own asyncio.StreamReader.

Reads one JSON script per line on stdin ({"limit": int, "steps": [...]}, the format of the
conformance vectors) and writes one JSON line per script: {"results", "flow", "final"}.
With --version it prints the interpreter's version and whether readuntil() takes a tuple.
Standard library only.
"""
import asyncio
import json
import sys

KINDS = {
    "ConnectionResetError": ConnectionResetError,
    "BrokenPipeError": BrokenPipeError,
    "TimeoutError": TimeoutError,
    "OSError": OSError,
}


class InjectedError(Exception):
    pass


class RecordingTransport:
    def __init__(self, run):
        self.run = run

    def pause_reading(self):
        self.run.flow.append([self.run.step, "pause"])

    def resume_reading(self):
        self.run.flow.append([self.run.step, "resume"])


class Run:
    def __init__(self, script):
        self.script = script
        self.reader = None
        self.flow = []
        self.results = {}
        self.step = 0
        self.tasks = []

    def record(self, index, completed_at, result):
        self.results[index] = {"step": index, "completed_at_step": completed_at, "result": result}

    def describe(self, exc):
        name = type(exc).__name__
        if exc is self.reader.exception() and (name in KINDS or name == "InjectedError"):
            return {"error": name}
        if isinstance(exc, asyncio.IncompleteReadError):
            return {"error": "IncompleteReadError", "partial": exc.partial.hex(), "expected": exc.expected}
        if isinstance(exc, asyncio.LimitOverrunError):
            return {"error": "LimitOverrunError", "consumed": exc.consumed, "message": str(exc)}
        if isinstance(exc, (ValueError, RuntimeError)):
            return {"error": name, "message": str(exc)}
        return {"error": "unexpected " + name + ": " + str(exc)}

    def start(self, index, step):
        op = step["op"]
        r = self.reader
        if op == "read":
            coro = r.read(step["n"])
        elif op == "readline":
            coro = r.readline()
        elif op == "readexactly":
            coro = r.readexactly(step["n"])
        elif op == "readuntil":
            sep = step["sep"]
            if isinstance(sep, list):
                coro = r.readuntil(tuple(bytes.fromhex(s) for s in sep))
            else:
                coro = r.readuntil(bytes.fromhex(sep))
        else:
            raise ValueError("unknown op " + op)

        async def wrapped():
            try:
                result = {"bytes": (await coro).hex()}
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every reader failure is part of the observed behaviour
                result = self.describe(exc)
            self.record(index, self.step, result)

        self.tasks.append(asyncio.ensure_future(wrapped()))

    async def settle(self):
        # Every op finishes or parks on the reader's waiter within a few loop turns.
        for _ in range(8):
            await asyncio.sleep(0)

    async def play(self):
        # Built inside the running loop, so that its waiters belong to that loop.
        self.reader = asyncio.StreamReader(limit=self.script["limit"])
        self.reader.set_transport(RecordingTransport(self))
        steps = self.script["steps"]
        for index, step in enumerate(steps):
            self.step = index
            if "feed" in step:
                try:
                    self.reader.feed_data(bytes.fromhex(step["feed"]))
                except AssertionError as exc:
                    self.record(index, index, {"error": "AssertionError", "message": str(exc)})
            elif "eof" in step:
                self.reader.feed_eof()
            elif "exc" in step:
                kind = step["exc"]
                self.reader.set_exception(KINDS.get(kind, InjectedError)())
            elif step["op"] == "at_eof":
                self.record(index, index, {"bool": self.reader.at_eof()})
            else:
                self.start(index, step)
            await self.settle()
        for index, step in enumerate(steps):
            if "op" in step and index not in self.results:
                self.results[index] = {"step": index, "completed_at_step": None, "result": None}
        for task in self.tasks:
            task.cancel()
        await self.settle()
        r = self.reader
        exc = r.exception()
        return {
            "results": [self.results[k] for k in sorted(self.results)],
            "flow": self.flow,
            "final": {
                "buffer": bytes(r._buffer).hex(),
                "eof": r._eof,
                "at_eof": r.at_eof(),
                "exception": None if exc is None else type(exc).__name__,
                "paused": r._paused,
            },
        }


def main():
    if "--version" in sys.argv:
        print(json.dumps({"version": sys.version.split()[0], "tuples": sys.version_info >= (3, 13)}))
        return
    loop = asyncio.new_event_loop()
    for line in sys.stdin:
        if line.strip():
            out = loop.run_until_complete(Run(json.loads(line)).play())
            sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
    loop.close()


if __name__ == "__main__":
    main()
