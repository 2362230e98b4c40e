#!/usr/bin/env python3
"""Runs the loopback benchmark (workloads W1-W7) for every peer, the peers taking turns, and prints a Markdown table.

    python3 bench/run.py            # full sizes, on JDK 17 and on JDK 25 when installed (about 40 minutes)
    python3 bench/run.py --quick    # small sizes, default JDK only (about 4 minutes once built)
    python3 bench/run.py --soak 30  # the soak: 30 minutes of mixed load and faults, then a verdict on growth

Peers: aiostreams (this library), netty (Netty 4.2, epoll), ktor (raw ktor-network channels; W1-W5) and cpython
(asyncio streams), and nio: the JVM's floor on W1, W2 and W3 (a bare NIO selector loop, no library), which bounds what
any JVM library can reach here. W6 and W7 run over TLS 1.3 with a CA and server certificate the runner makes with
`openssl`; W7's client is `openssl s_time` for every peer. Each run also records the server's CPU seconds. Each
peer's server and client are separate processes on 127.0.0.1; JVM peers get a warm-up run against a fresh server first; every
peer gets --runs measured client runs (at least 3), whose median is reported. The peers take turns, a run each per
round, so that a slow spell of the machine costs every peer one run rather than one peer all of its runs.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON_PEER = os.path.join(ROOT, "bench", "asyncio_peer.py")
CLASSPATH_FILE = os.path.join(ROOT, "bench", "target", "bench.classpath")
# A second JDK for the full run (the tables in BENCHMARKS.md use a JDK 25): from the environment, never a fixed path.
SECOND_JDK = os.environ.get("AIOSTREAMS_SECOND_JDK")
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7"]
PEERS = ["aiostreams", "netty", "ktor", "cpython", "nio"]
# the Java API's twins of the aiostreams harness, on request: futures, and the blocking API (a thread per connection)
OPTIONAL_PEERS = ["aiostreams-java", "aiostreams-blocking", "aiostreams-2loops"]
JVM_PEERS = {"aiostreams", "netty", "ktor", "aiostreams-java", "aiostreams-blocking", "aiostreams-2loops", "nio"}
TLS_WORKLOADS = {"W6", "W7"}
# The JVM's floor (a bare NIO selector loop, no library) implements only the workloads whose targets it bounds.
# ktor-network-tls has no server, and the Java twins of the harness stop at W5.
PEER_WORKLOADS = {"nio": {"W1", "W2", "W3"}, "ktor": {"W1", "W2", "W3", "W4", "W5"},
                  "aiostreams-java": {"W1", "W2", "W3", "W4", "W5"}, "aiostreams-blocking": {"W1", "W2", "W3", "W4", "W5"}}
NAMES = {"W1": "bulk", "W2": "lines", "W3": "pingpong", "W4": "churn", "W5": "fanin", "W6": "tls-bulk",
         "W7": "tls-handshakes"}
# What each workload's clients report, for a row whose every peer failed.
METRICS = {"W1": "MiB/s", "W2": "lines/s", "W3": "round_trips/s", "W4": "conns/s", "W5": "seconds", "W6": "MiB/s",
           "W7": "conns/s"}
# W7's size is the seconds `openssl s_time` runs; a JVM server's uncounted warm-up run lasts this many times longer.
W7_WARMUP_FACTOR = 3
FULL = {"W1": 1 << 30, "W2": 5_000_000, "W3": 100_000, "W4": 20_000, "W5": 10_000, "W6": 1 << 30, "W7": 10}
QUICK = {"W1": 128 << 20, "W2": 500_000, "W3": 4_000, "W4": 400, "W5": 400, "W6": 64 << 20, "W7": 3}
SIZE_FLAG = {"W1": "--size", "W2": "--n", "W3": "--n", "W4": "--n", "W5": "--conns", "W6": "--size"}
# The targets of round two: (peer, minimum ratio aiostreams/peer), higher is better for every ratio printed.
TARGETS = {
    "W1": [("netty", 1.0)],
    "W2": [("netty", 1.2)],
    "W3": [("netty", 1.0)],
    "W4": [("netty", 1.0), ("cpython", 1.5)],
    "W5": [("netty", 1.0)],
    "W6": [("netty", 1.0), ("cpython", 1.5)],
    "W7": [("netty", 1.0)],
}
RSS_LIMIT_KIB = 1 << 20


def log(message):
    print(message, file=sys.stderr, flush=True)


def build():
    log("building the benchmark harnesses and their classpath with Maven ...")
    subprocess.run(
        ["mvn", "-B", "-q", "-ntp", "-pl", "bench", "-am", "-DskipTests", "package",
         "dependency:build-classpath", "-Dmdep.includeScope=runtime", "-Dmdep.outputFile=target/bench.classpath"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    os.utime(CLASSPATH_FILE)  # Maven leaves an unchanged file alone: mark the build as done now


def needs_build():
    """True unless the classpath file is newer than every source and build file of the library and the harnesses."""
    if not os.path.exists(CLASSPATH_FILE):
        return True
    built = os.path.getmtime(CLASSPATH_FILE)
    for top in ["pom.xml", "lib/pom.xml", "bench/pom.xml", "lib/src/main", "lib/src/test/kotlin/io/aiostreams/testing",
                "bench/src/main"]:
        path = os.path.join(ROOT, top)
        for folder, _, files in os.walk(path) if os.path.isdir(path) else [(ROOT, [], [top])]:
            if any(os.path.getmtime(os.path.join(folder, f)) > built for f in files):
                return True
    return False


def classpath():
    with open(CLASSPATH_FILE) as f:
        deps = f.read().strip()
    return os.path.join(ROOT, "bench", "target", "classes") + os.pathsep + deps


PKI = {}


def make_pki():
    """An RSA-2048 CA and a server certificate for IP:127.0.0.1 and DNS:localhost, in a temporary folder."""
    if PKI:
        return PKI
    import tempfile
    folder = tempfile.mkdtemp(prefix="aiostreams-bench-pki")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=aiostreams bench CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    with open(os.path.join(folder, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    PKI.update(cert=os.path.join(folder, "server.pem"), key=os.path.join(folder, "server.key"),
               cafile=os.path.join(folder, "ca.pem"))
    return PKI


def command(peer, java, role, workload, port):
    tls = []
    if workload in TLS_WORKLOADS:
        pki = make_pki()
        tls = ["--cert", pki["cert"], "--key", pki["key"]] if role == "server" else ["--cafile", pki["cafile"]]
    if peer == "cpython":
        return [sys.executable, PYTHON_PEER, role, "--workload", workload, "--port", str(port)] + tls
    return [java, "-cp", classpath(), "io.aiostreams.bench.Bench", role,
            "--workload", workload, "--port", str(port), "--peer", peer] + tls


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, server, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s")


def rss_kib(pid, field="VmRSS:"):
    """A memory figure of the process from Linux's /proc (VmRSS now, or VmHWM: the peak); None without /proc."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_kib(pid):
    """The process's peak resident set (VmHWM) from Linux's /proc; None where there is no /proc (macOS)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def stop(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def proc_stat(pid):
    """The process's CPU seconds so far (user + system) and minor page faults so far, from /proc/<pid>/stat: a heap
    that grows during a run touches new pages, and its faults show there. (None, None) where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[7])
    except (OSError, ValueError, IndexError):
        return None, None


def cpu_seconds(pid):
    """The process's CPU time so far (user + system); None where there is no /proc."""
    return proc_stat(pid)[0]


def s_time(workload, port, seconds, timeout):
    """W7: one common client for every peer, full handshakes only (`-new`), for `seconds`."""
    done = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-time", str(seconds)],
                          capture_output=True, text=True, timeout=timeout)
    import re
    match = re.search(r"(\d+) connections in (\d+(?:\.\d+)?) real seconds", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"openssl s_time failed ({done.returncode}): {(done.stdout + done.stderr).strip()[-2000:]}")
    connections, real = int(match.group(1)), float(match.group(2))
    return {"workload": workload, "metric": "conns/s", "value": connections / real, "connections": connections,
            "seconds": real}


def run_client(peer, java, workload, port, size, timeout):
    if workload == "W7":
        return dict(s_time(workload, port, size, timeout), peer=peer)
    cmd = command(peer, java, "client", workload, port) + [SIZE_FLAG[workload], str(size)]
    if peer in JVM_PEERS:
        cmd.append("--warmup")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{peer} {workload} client failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class PeerServer:
    """One peer's server process for one workload, with the port it listens on and its resident set when idle."""

    def __init__(self, peer, java, workload):
        self.peer, self.java, self.workload = peer, java, workload
        self.process = self.port = self.idle_rss = None

    def start(self):
        self.port = free_port()
        self.process = subprocess.Popen(command(self.peer, self.java, "server", self.workload, self.port),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.process)
        self.idle_rss = rss_kib(self.process.pid)

    def stop(self):
        if self.process is not None:
            stop(self.process)
            self.process = None


def wait_quiet(servers, window=0.5, busy=0.02, limit=20.0):
    """Waits (at most `limit` seconds) until no live server used more than `busy` CPU seconds in `window` seconds:
    a JIT compiler or a collector still at work in one peer's idle server must not share the cores with the run
    of another."""
    pids = [s.process.pid for s in servers if s.process is not None]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = [cpu_seconds(pid) for pid in pids]
        time.sleep(window)
        after = [cpu_seconds(pid) for pid in pids]
        if all(b is None or a is None or a - b <= busy for b, a in zip(before, after)):
            return
    log(f"  (a server was still busy after {limit:.0f} s; running anyway)")


def run_once(server, label, size, timeout):
    """One client run against `server`, with the server's CPU seconds during it and its peak RSS so far."""
    peer, workload = server.peer, server.workload
    cpu_before, faults_before = proc_stat(server.process.pid)
    # W7's client is not a JVM: the server alone warms up, and the JDK's TLS code takes C2 longer than one
    # 10-second run to compile, so its uncounted run is three times as long.
    warm_size = size * W7_WARMUP_FACTOR if workload == "W7" and label == "warm-up" else size
    result = run_client(peer, server.java, workload, server.port, warm_size, timeout)
    cpu_after, faults_after = proc_stat(server.process.pid)
    result["server_cpu_s"] = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    result["server_page_faults"] = (faults_after - faults_before
                                    if faults_before is not None and faults_after is not None else None)
    result["server_peak_rss_kib"] = peak_rss_kib(server.process.pid)
    result["server_idle_rss_kib"] = server.idle_rss
    log(f"  {peer:10} {workload} {label:9} {result['value']:.3f} {result['metric']}"
        + (f" (server CPU {result['server_cpu_s']:.2f} s)" if result["server_cpu_s"] is not None else "")
        + (f" ({result['server_page_faults']:,} server page faults)"
           if result["server_page_faults"] is not None else "")
        + (f" (p50 {result['p50_us']:.0f} us, p99 {result['p99_us']:.0f} us)" if "p50_us" in result else "")
        + (f" (server peak RSS {result['server_peak_rss_kib'] / 1024:.0f} MiB)"
           if workload == "W5" and result["server_peak_rss_kib"] else ""))
    return result


def measure(peers, java, workload, size, runs, timeout, server_warmup=True):
    """The measured client runs of every peer on one workload: {peer: [result, ...]}.

    The peers take turns: round i runs each peer once, starting from the i-th, so that a slower spell of the machine
    falls on one run of every peer (and the median drops it) rather than on all the runs of one peer. A JVM client
    warms up in its own process first (`--warmup`: the same workload, unmeasured), which also warms up the server.
    W1-W4, W6 and W7 start one server per peer before the first round, and each JVM peer's server gets an uncounted
    warm-up run (W7's lasts W7_WARMUP_FACTOR runs' time); before each run the runner waits until the servers are
    idle (not in --quick, whose servers are never warm). W5 starts a fresh server for every run, so that the peak RSS
    it reports (VmHWM, the peak since the server started) belongs to that run's connections (and its client's
    warm-up) alone.

    A peer whose server or client fails (exits with an error, or runs past `timeout`) is logged, its server stopped,
    and left out of this workload's remaining runs; the others go on. Its results are dropped, and the reason is
    returned: {peer: reason}.
    """
    shared = workload != "W5"
    servers = {peer: PeerServer(peer, java, workload) for peer in peers}
    results = {peer: [] for peer in peers}
    failures = {}

    def attempt(peer, label, step):
        try:
            return step()
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
            reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
            log(f"  {peer:10} {workload} {label:9} FAILED ({reason}); {peer} is left out of {workload}")
            failures[peer] = reason
            servers[peer].stop()
            return None

    try:
        if shared:
            for peer in peers:
                attempt(peer, "start", servers[peer].start)
                if peer not in failures and server_warmup and peer in JVM_PEERS:
                    attempt(peer, "warm-up", lambda: run_once(servers[peer], "warm-up", size, timeout))
        for i in range(runs):
            for peer in peers[i % len(peers):] + peers[:i % len(peers)]:
                if peer in failures:
                    continue
                server = servers[peer]
                if not shared:
                    attempt(peer, "start", server.start)
                    if peer in failures:
                        continue
                elif server_warmup:
                    wait_quiet(servers.values())
                try:
                    label = f"run {i + 1}/{runs}"
                    result = attempt(peer, label, lambda: run_once(server, label, size, timeout))
                    if result is not None:
                        results[peer].append(result)
                finally:
                    if not shared:
                        server.stop()
    finally:
        for server in servers.values():
            server.stop()
    for peer in failures:
        del results[peer]
    return results, failures


def median(results, key):
    return statistics.median(r[key] for r in results)


def advantage(workload, ours, theirs):
    """How many times better aiostreams is: a rate's ratio, or the inverse ratio of a duration (W5)."""
    return theirs / ours if workload == "W5" else ours / theirs


def fmt(workload, value):
    if workload == "W5":
        return f"{value:.2f} s"
    if workload == "W2":
        return f"{value / 1e6:.2f} M"
    if workload in ("W1", "W6"):
        return f"{value:.0f}"
    return f"{value:,.0f}"


def supports(peer, workload):
    return workload in PEER_WORKLOADS.get(peer, WORKLOADS)


def peak_rss_mib(results, peer, workload):
    kib = max(r.get("server_peak_rss_kib") or 0 for r in results[(peer, workload)])
    return kib / 1024 if kib else None


def table(results, peers, failed=None):
    """The main table (medians, ratios, targets) and a second one: each server's peak RSS and CPU seconds per run.

    A peer in `failed` ({(peer, workload): reason}) shows as "failed": a target it compares with is not judged (None
    among the verdicts), and every target of a workload aiostreams failed is missed."""
    failed = failed or {}
    lines = []
    header = ["workload", "metric"] + peers + [f"aiostreams / {p}" for p in peers if p != "aiostreams"] + ["targets"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    costs = ["", "Server cost per run: peak RSS (MiB) / CPU seconds (user + system, median).", "",
             "| workload | " + " | ".join(peers) + " |", "|---|" + "---|" * len(peers)]
    verdicts = []
    for w in WORKLOADS:
        present = [p for p in peers if supports(p, w) and (p, w) in results]
        if not present and not any((p, w) in failed for p in peers):
            continue
        med = {p: median(results[(p, w)], "value") for p in present}
        metric = results[(present[0], w)][0]["metric"] if present else METRICS[w]
        cells = [f"{w} {NAMES[w]}", metric]
        cost = [f"{w} {NAMES[w]}"]
        for p in peers:
            if p not in med:
                cells.append("failed" if (p, w) in failed else "—")
                cost.append("failed" if (p, w) in failed else "—")
                continue
            cell = fmt(w, med[p])
            if w == "W3":
                cell += f" (p50 {median(results[(p, w)], 'p50_us'):.0f} / p99 {median(results[(p, w)], 'p99_us'):.0f} µs)"
            rss = peak_rss_mib(results, p, w)
            if w == "W5" and rss:
                cell += f" ({rss:.0f} MiB)"
            cells.append(cell)
            cpus = [r["server_cpu_s"] for r in results[(p, w)] if r.get("server_cpu_s") is not None]
            cost.append(f"{rss:.0f}" if rss else "?")
            cost[-1] += f" / {statistics.median(cpus):.2f}" if cpus else " / ?"
        costs.append("| " + " | ".join(cost) + " |")
        for p in peers:
            if p != "aiostreams":
                both = p in med and "aiostreams" in med
                cells.append(f"{advantage(w, med['aiostreams'], med[p]):.2f}×" if both else "—")
        goals = []
        for p, goal in TARGETS[w]:
            if p in med and "aiostreams" in med:
                ok = advantage(w, med["aiostreams"], med[p]) >= goal
                goals.append(f"≥{goal}× {p} {'✓' if ok else '✗'}")
                verdicts.append(ok)
            elif ("aiostreams", w) in failed:
                goals.append(f"≥{goal}× {p} ✗ (aiostreams failed)")
                verdicts.append(False)
            elif (p, w) in failed:
                goals.append(f"≥{goal}× {p} not judged ({p} failed)")
                verdicts.append(None)
        if "netty" in med and "aiostreams" in med:
            if w == "W3":
                ok = median(results[("aiostreams", w)], "p99_us") <= 1.1 * median(results[("netty", w)], "p99_us")
                goals.append(f"p99 ≤1.1× netty {'✓' if ok else '✗'}")
                verdicts.append(ok)
            ours, theirs = peak_rss_mib(results, "aiostreams", w), peak_rss_mib(results, "netty", w)
            bound = {"W1": 1.5, "W2": 1.5, "W3": 1.5, "W4": 1.5, "W5": 1.0}.get(w)
            if bound and ours and theirs:
                ok = ours <= bound * theirs
                goals.append(f"RSS ≤{bound}× netty {'✓' if ok else '✗'}")
                verdicts.append(ok)
        cells.append("; ".join(goals))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines + costs), verdicts


def java_version(java):
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
    return out[0] if out else java


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        memory = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / (1 << 30):.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "memory unknown"
    return (f"{os.cpu_count()} CPUs ({cpu}), {memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def raise_fd_limit():
    """Raises the open-file limit as far as the system lets it (macOS refuses an unlimited soft limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in (hard, 65536, 10240):
        if wanted != resource.RLIM_INFINITY and wanted <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def fanin_sweep(peers, javas, counts, runs, timeout, chart):
    """W5 at each connection count for every peer: median seconds and peak RSS, a table, and an SVG chart."""
    rows = {}
    for java in javas:
        log(f"== W5 sweep on {java_version(java)}")
        present = [p for p in peers if supports(p, "W5")]
        for count in counts:
            measured, failures = measure(present, java, "W5", count, runs, timeout)
            for peer in present:
                if peer in failures:
                    rows[(java_version(java), peer, count)] = None
                    continue
                results = measured[peer]
                seconds = median(results, "value")
                peak = max(r["server_peak_rss_kib"] or 0 for r in results) / 1024
                idle = statistics.median(r["server_idle_rss_kib"] or 0 for r in results) / 1024
                rows[(java_version(java), peer, count)] = (seconds, peak, idle)
    lines = ["| JDK | peer | " + " | ".join(f"{c:,} conns" for c in counts) + " | KiB per connection at "
             f"{counts[-1]:,} |", "|---|---|" + "---|" * (len(counts) + 1)]
    for (jdk, peer) in dict.fromkeys((j, p) for (j, p, _) in rows):
        cells = [short_jdk(jdk), peer]
        for c in counts:
            row = rows[(jdk, peer, c)]
            cells.append(f"{row[0]:.2f} s, {row[1]:.0f} MiB" if row else "failed")
        last = rows[(jdk, peer, counts[-1])]
        cells.append(f"{(last[1] - last[2]) * 1024 / counts[-1]:.1f}" if last and last[2] else "?")
        lines.append("| " + " | ".join(cells) + " |")
    if chart:
        write_chart(chart, rows, counts)
    return "\n".join(lines)


def short_jdk(version_line):
    """`openjdk version "17.0.15" 2025-04-15` -> `17.0.15`."""
    parts = version_line.split('"')
    return parts[1] if len(parts) > 2 else version_line


def write_chart(path, rows, counts):
    """Two panels, seconds and peak RSS against connections, one line per peer (and JDK): a plain SVG file."""
    series = {}
    for (jdk, peer, c), row in rows.items():
        if row is None:
            continue
        seconds, peak, _ = row
        series.setdefault(f"{peer} ({short_jdk(jdk)})", []).append((c, seconds, peak))
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf",
               "#bcbd22"]
    width, height, pad = 460, 300, 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width + 40}" height="{height + 100}" '
           'font-family="sans-serif" font-size="12">', '<rect width="100%" height="100%" fill="white"/>']
    for panel, title in enumerate(["W5 seconds", "server peak RSS, MiB"]):
        x0 = 20 + panel * (width + 20)
        top = max(point[1 + panel] for points in series.values() for point in points) * 1.1
        plot_w, plot_h = width - pad - 10, height - 60

        def px(c):
            return x0 + pad + plot_w * c / counts[-1]

        def py(v):
            return 30 + plot_h * (1 - v / top)

        out.append(f'<text x="{x0 + width / 2}" y="18" text-anchor="middle">{title} against connections</text>')
        out.append(f'<rect x="{x0 + pad}" y="30" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')
        for c in counts:
            out.append(f'<text x="{px(c):.1f}" y="{height - 12}" text-anchor="middle">{c / 1000:g}k</text>')
        for k in range(5):
            v = top * k / 4
            out.append(f'<text x="{x0 + pad - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{v:.{2 if top < 10 else 1 if top < 100 else 0}f}</text>')
        for n, (label, points) in enumerate(sorted(series.items())):
            colour = colours[n % len(colours)]
            steps = [f"{'M' if i == 0 else 'L'}{px(point[0]):.1f},{py(point[1 + panel]):.1f}"
                     for i, point in enumerate(sorted(points))]
            out.append(f'<path d="{" ".join(steps)}" fill="none" stroke="{colour}" stroke-width="2"/>')
            if panel == 0:
                x, y = 20 + (n % 4) * 230, height + 10 + (n // 4) * 18
                out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                           f'<text x="{x + 16}" y="{y + 11}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, default JDK only, no separate server warm-up run (about 4 minutes once built)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per peer and workload (default 3)")
    parser.add_argument("--jdk", action="append", help="a JDK home to run the JVM peers on (repeatable)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, e.g. W1,W3")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help="comma-separated, from " + ",".join(PEERS + OPTIONAL_PEERS) + " (default: the first five)")
    parser.add_argument("--no-build", action="store_true",
                        help="use the classes already built (by default the runner builds them when any source is newer)")
    parser.add_argument("--json", help="also write every result to this file, one JSON line each")
    parser.add_argument("--fanin-sweep",
                        help="instead of the table: W5 at each of these connection counts (e.g. 1000,2000,5000,10000) "
                             "for every peer, with the server's peak RSS and memory per connection")
    parser.add_argument("--chart", help="with --fanin-sweep or --soak: also write the chart (SVG) to this file")
    parser.add_argument("--soak", type=float, metavar="MINUTES",
                        help="instead of the table: the soak (a mix of pingpong, churn, TLS churn, bulk and faults "
                             "through a proxy against one server) for this many minutes; prints the server's stats "
                             "every 10 s and a verdict, writes bench/target/soak/{soak.csv,soak.svg,verdict.txt}, and "
                             "exits 1 if descriptors, threads or live heap grew after the warm-up")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error(f"--runs < 3: {args.runs}")
    workloads = [w for w in args.workloads.split(",") if w]
    peers = [p for p in args.peers.split(",") if p]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload: {w}")
    for p in peers:
        if p not in PEERS + OPTIONAL_PEERS:
            parser.error(f"unknown peer: {p}")

    fd_limit = raise_fd_limit()
    sizes = dict(QUICK if args.quick else FULL)
    if fd_limit < 2 * sizes["W5"] + 1000 and fd_limit < sizes["W5"] + 1000:
        sizes["W5"] = min(sizes["W5"], 2_000)
    jdks = args.jdk or ([os.environ["JAVA_HOME"]] if os.environ.get("JAVA_HOME") else [None])
    if not args.jdk and not args.quick and SECOND_JDK and os.path.isdir(SECOND_JDK):
        jdks.append(SECOND_JDK)
    javas = [os.path.join(home, "bin", "java") if home else shutil.which("java") for home in jdks]
    if not args.no_build and needs_build():
        build()

    started = time.monotonic()
    # Far longer than any peer's client takes (the slowest, raw Ktor's W3, about a minute with its warm-up).
    timeout = 300
    if args.soak:
        if args.soak <= 0:
            parser.error(f"--soak <= 0: {args.soak}")
        out = os.path.join(ROOT, "bench", "target", "soak")
        code = subprocess.run([javas[0], "-cp", classpath(), "io.aiostreams.bench.soak.Soak",
                               "--minutes", str(args.soak), "--out", out, "--java", javas[0]]).returncode
        if args.chart:
            shutil.copyfile(os.path.join(out, "soak.svg"), args.chart)
        log(f"soak: {time.monotonic() - started:.0f} s, exit status {code}")
        sys.exit(code)
    if args.fanin_sweep:
        counts = sorted(int(c) for c in args.fanin_sweep.split(",") if c)
        # A connection needs a descriptor in the client and one in the server, each a process of its own.
        allowed = [c for c in counts if c + 1000 <= fd_limit]
        for c in sorted(set(counts) - set(allowed)):
            log(f"skipping {c:,} connections: the open-file limit is {fd_limit:,}")
        text = fanin_sweep(peers, javas, allowed, args.runs, timeout, args.chart)
        print(f"Machine: {machine()}; open-file limit {fd_limit}.\n"
              f"Command: `python3 bench/run.py --fanin-sweep {args.fanin_sweep}` (medians of {args.runs} runs; a fresh "
              f"server per run; peak RSS is VmHWM; memory per connection is (peak RSS - RSS before the client) / "
              f"connections).\n\n{text}\n\nTotal time: {time.monotonic() - started:.0f} s.")
        return
    report = [
        f"Machine: {machine()}; open-file limit {fd_limit}.",
        f"Command: `python3 bench/run.py{' --quick' if args.quick else ''}`"
        f" (sizes: {', '.join(f'{w} {sizes[w]:,}' for w in workloads)}; medians of {args.runs} runs, the peers taking turns"
        f"{'; JVM clients warm up in-process first; W1-W4, W6, W7: one server per peer' + ('' if args.quick else f' and an uncounted warm-up run ({W7_WARMUP_FACTOR}× as long for W7)') + '; W5: a fresh server per run' if any(p in JVM_PEERS for p in peers) else ''}).",
        "",
    ]
    all_verdicts = []
    dump = []
    for java in javas:
        results = {}
        failed = {}
        log(f"== {java_version(java)} ({java})")
        for w in workloads:
            present = [p for p in peers if supports(p, w)]
            measured, failures = measure(present, java, w, sizes[w], args.runs, timeout,
                                         server_warmup=not args.quick)
            for peer in present:
                if peer in failures:
                    failed[(peer, w)] = failures[peer]
                    dump.append(dict(peer=peer, workload=w, failed=failures[peer], java=java_version(java)))
                    continue
                results[(peer, w)] = measured[peer]
                for r in measured[peer]:
                    dump.append(dict(r, java=java_version(java)))
        text, verdicts = table(results, peers, failed)
        all_verdicts += verdicts
        report += [f"### {java_version(java)}", "", text, ""]
    report.append(f"Total time: {time.monotonic() - started:.0f} s.")
    print("\n".join(report))
    if args.json:
        with open(args.json, "w") as f:
            for r in dump:
                f.write(json.dumps(r) + "\n")
    met = sum(1 for v in all_verdicts if v is True)
    unjudged = sum(1 for v in all_verdicts if v is None)
    log(f"targets met: {met} of {len(all_verdicts)}"
        + (f" ({unjudged} not judged: the peer they compare with failed)" if unjudged else ""))


if __name__ == "__main__":
    main()
