"""Tests of run.py's bookkeeping, with its processes replaced: a peer that fails is left out of its workload and the
run goes on; the table shows it as failed and judges no target against it. `python3 -m unittest test_run` in bench/
(RunnerSpec runs it in `mvn verify`)."""
import importlib.util
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("run", os.path.join(HERE, "run.py"))
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

RATES = {"aiostreams": 7000.0, "netty": 4000.0, "ktor": 1000.0, "cpython": 3000.0}


class _Process:
    pid = os.getpid()


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.saved = (run.PeerServer.start, run.PeerServer.stop, run.wait_quiet, run.run_client, run.log)
        self.calls = []
        self.logged = []

        self.started, self.stopped = [], []

        def start(server):
            self.started.append(server.peer)
            server.process, server.port, server.idle_rss = _Process(), 1, 1024

        def stop(server):
            if server.process is not None:
                self.stopped.append(server.peer)
            server.process = None

        run.PeerServer.start = start
        run.PeerServer.stop = stop
        run.wait_quiet = lambda servers: None
        run.log = self.logged.append

    def tearDown(self):
        run.PeerServer.start, run.PeerServer.stop, run.wait_quiet, run.run_client, run.log = self.saved

    def client_failing(self, peer, at_call, error):
        """A run_client whose `peer` raises `error` at its `at_call`-th call (warm-up included)."""
        counts = {}

        def client(p, java, workload, port, size, timeout):
            counts[p] = counts.get(p, 0) + 1
            self.calls.append(p)
            if p == peer and counts[p] == at_call:
                raise error
            return {"workload": workload, "metric": "conns/s", "value": RATES[p], "peer": p}

        return client

    def test_aClientThatTimesOutLeavesItsPeerOutAndTheOthersGoOn(self):
        run.run_client = self.client_failing("ktor", 2, subprocess.TimeoutExpired(["client"], 300))
        results, failures = run.measure(["aiostreams", "netty", "ktor", "cpython"], "java", "W4", 10, 3, 300)
        self.assertEqual({"aiostreams": 3, "netty": 3, "cpython": 3}, {p: len(r) for p, r in results.items()})
        self.assertEqual(["ktor"], list(failures))
        self.assertIn("TimeoutExpired", failures["ktor"])
        # The warm-up and the first measured run: never called again once it failed.
        self.assertEqual(2, self.calls.count("ktor"))
        self.assertTrue(any("ktor" in line and "FAILED" in line for line in self.logged))

    def test_aFreshServerPerRunThatFailsIsNotStartedAgain(self):
        run.run_client = self.client_failing("netty", 1, RuntimeError("netty W5 client failed (1): boom"))
        results, failures = run.measure(["aiostreams", "netty"], "java", "W5", 10, 3, 300)
        self.assertEqual(3, len(results["aiostreams"]))
        self.assertNotIn("netty", results)
        self.assertEqual(1, self.calls.count("netty"))
        self.assertIn("boom", failures["netty"])
        # A fresh server for each of aiostreams' runs and for netty's one, every one of them stopped.
        self.assertEqual(4, len(self.started))
        self.assertEqual(sorted(self.started), sorted(self.stopped))

    def test_withoutAServerWarmUpEachPeerStillHasOneServerForItsRunsAndItIsStopped(self):
        run.run_client = self.client_failing(None, 0, None)
        results, failures = run.measure(["aiostreams", "netty"], "java", "W3", 10, 3, 300, server_warmup=False)
        self.assertEqual({"aiostreams": 3, "netty": 3}, {p: len(r) for p, r in results.items()})
        self.assertEqual(["aiostreams", "netty"], self.started)
        self.assertEqual(sorted(self.started), sorted(self.stopped))

    def test_theTableShowsAFailedPeerAndJudgesNoTargetAgainstIt(self):
        def rows(peer, metric, value):
            return [{"metric": metric, "value": value, "server_cpu_s": 1.0, "server_peak_rss_kib": 102400}] * 3

        results = {("aiostreams", "W1"): rows("aiostreams", "MiB/s", 1500.0),
                   ("netty", "W2"): rows("netty", "lines/s", 7e6),
                   ("aiostreams", "W4"): rows("aiostreams", "conns/s", 7000.0),
                   ("netty", "W4"): rows("netty", "conns/s", 4000.0)}
        failed = {("netty", "W1"): "RuntimeError: x", ("aiostreams", "W2"): "RuntimeError: y",
                  ("cpython", "W4"): "RuntimeError: z"}
        text, verdicts = run.table(results, ["aiostreams", "netty", "cpython"], failed)
        lines = {}
        for line in text.splitlines():
            if line.startswith("| W"):
                # The main table's row comes first; the cost table's row for the same workload after it.
                lines.setdefault(line.split(" | ")[0].lstrip("| "), line)
        self.assertIn("| failed |", lines["W1 bulk"])
        self.assertIn("≥1.0× netty not judged (netty failed)", lines["W1 bulk"])
        self.assertIn("≥1.2× netty ✗ (aiostreams failed)", lines["W2 lines"])
        self.assertIn("≥1.0× netty ✓", lines["W4 churn"])
        self.assertIn("≥1.5× cpython not judged (cpython failed)", lines["W4 churn"])
        # W1: not judged; W2: missed; W4: netty met, cpython not judged, RSS met.
        self.assertEqual([None, False, True, None, True], verdicts)

    def test_aProcStatLineGivesCpuSecondsAndPageFaults(self):
        cpu, faults = run.proc_stat(os.getpid())
        self.assertGreater(cpu, 0)
        self.assertGreater(faults, 0)
        self.assertEqual((None, None), run.proc_stat(2 ** 22 + 1))


if __name__ == "__main__":
    unittest.main()
