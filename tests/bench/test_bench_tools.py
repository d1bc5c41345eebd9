"""Tests for the helpers the benchmarks under bench/ rely on.

The benchmarks themselves print numbers and assert nothing; these check that
the pieces that shape those numbers do what the docs say: the delay proxy
really delays and passes bytes through unchanged, a benchmark rewriting
its section of docs/benchmarks.md keeps everything else, bench/clone's CPU
meter counts a walsender's time even after it exited, bench/clone
--max-read-gap fails exactly when pgreplica's median read gap is too long, and (as root)
bench/clone --link's two network hosts give a clone with pgreplica's defaults
that compresses with zstd and streams.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
sys.path.insert(0, BENCH)

from docsection import replace_section  # noqa: E402


class DocSectionTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "benchmarks.md")

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.path) as f:
            return f.read()

    def test_replaces_only_its_own_section(self):
        with open(self.path, "w") as f:
            f.write("# B\n\nintro\n<!-- BEGIN clone -->\nold clone\n<!-- END clone -->\nmiddle\n"
                    "<!-- BEGIN status -->\nold status\n<!-- END status -->\ntail\n")
        replace_section(self.path, "clone", "new clone\n")
        text = self.read()
        self.assertIn("<!-- BEGIN clone -->\nnew clone\n<!-- END clone -->", text)
        self.assertNotIn("old clone", text)
        for kept in ["intro", "middle", "old status", "tail"]:
            self.assertIn(kept, text)

    def test_appends_a_missing_section(self):
        with open(self.path, "w") as f:
            f.write("# B\n\nhand-written\n")
        replace_section(self.path, "status", "table")
        self.assertTrue(self.read().startswith("# B\n\nhand-written\n"))
        self.assertTrue(self.read().endswith("<!-- BEGIN status -->\ntable\n<!-- END status -->\n"))


class DelayProxyTest(unittest.TestCase):
    DELAY_MS = 100

    def setUp(self):
        # An echo server behind the proxy.
        self.echo = socket.socket()
        self.echo.bind(("127.0.0.1", 0))
        self.echo.listen(4)
        threading.Thread(target=self.serve_echo, daemon=True).start()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.proxy_port = s.getsockname()[1]
        self.proxy = subprocess.Popen(
            [sys.executable, os.path.join(BENCH, "delay_proxy.py"), "--delay-ms", str(self.DELAY_MS),
             f"{self.proxy_port}:{self.echo.getsockname()[1]}"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(self.proxy.stdout.readline().strip(), "ready")

    def tearDown(self):
        self.proxy.kill()
        self.proxy.wait()
        self.proxy.stdout.close()
        self.echo.close()

    def serve_echo(self):
        while True:
            try:
                conn, _ = self.echo.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data)

    def roundtrip(self, conn, payload):
        conn.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = conn.recv(65536)
            self.assertTrue(chunk, "the proxy closed the connection")
            got += chunk
        return got

    def test_passes_bytes_through_in_order_and_delays_both_ways(self):
        payload = bytes(range(256)) * 1024
        with socket.create_connection(("127.0.0.1", self.proxy_port)) as conn:
            started = time.monotonic()
            self.assertEqual(self.roundtrip(conn, payload), payload)
            elapsed = time.monotonic() - started
            # There and back: at least two delays. No upper bound: a loaded
            # machine may be slower, and this is a test of behaviour, not speed.
            self.assertGreaterEqual(elapsed, 2 * self.DELAY_MS / 1000)
            self.assertEqual(self.roundtrip(conn, b"second message"), b"second message")

    def test_closing_one_side_closes_the_other(self):
        with socket.create_connection(("127.0.0.1", self.proxy_port)) as conn:
            self.assertEqual(self.roundtrip(conn, b"x"), b"x")
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(5)
            self.assertEqual(conn.recv(1), b"")



def _load_bench_clone():
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("bench_clone", os.path.join(BENCH, "clone"))
    spec = importlib.util.spec_from_loader("bench_clone", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class CpuMeterTest(unittest.TestCase):
    """bench/clone --link's primary CPU column: a child that burns 1 s of CPU and exits
    counts as a walsender when its command line says so, and in the total either way."""

    PARENT = """
import subprocess, sys
burn = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 1.0: pass"
sys.stdin.readline()
subprocess.run([sys.executable, "-c", burn, sys.argv[1]])
print("done", flush=True)
sys.stdin.readline()
"""

    def measure(self, name):
        meter_mod = _load_bench_clone()
        parent = subprocess.Popen([sys.executable, "-c", self.PARENT, name], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            meter = meter_mod.CpuMeter(parent.pid)
            parent.stdin.write("go\n")
            parent.stdin.flush()
            self.assertEqual(parent.stdout.readline().strip(), "done")
            return meter.finish()
        finally:
            parent.stdin.write("end\n")
            parent.stdin.close()
            parent.wait()
            parent.stdout.close()

    def test_a_walsender_that_exits_is_counted(self):
        r = self.measure("walsender")
        self.assertGreaterEqual(r["cpu_walsender"], 0.8)
        self.assertLessEqual(r["cpu_walsender"], 1.2)
        self.assertGreaterEqual(r["cpu_total"], 0.95)

    def test_another_child_counts_only_in_the_total(self):
        r = self.measure("checkpointer")
        self.assertEqual(r["cpu_walsender"], 0)
        self.assertGreaterEqual(r["cpu_total"], 0.95)


def _link_clone_unavailable():
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "needs python3-psycopg2 (scripts/install-deps --bench)"
    if not os.path.exists(os.environ.get("PGREPLICA_BINARY", os.path.join(BENCH, "..", "build", "pgreplica"))):
        return "needs a built pgreplica (PGREPLICA_BINARY or build/pgreplica)"
    if not any(os.path.exists(f"/usr/lib/postgresql/{v}/bin/pg_basebackup")
               for v in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else [])):
        return "needs PostgreSQL's server programs"
    return None


@unittest.skipIf(_link_clone_unavailable(), _link_clone_unavailable() or "")
class LinkCloneTest(unittest.TestCase):
    """End to end, what bench/clone --link measures: a primary on one network host, pgreplica
    with its defaults on another. clone.compress auto must pick zstd (the primary is another
    host running PostgreSQL 15+ built with it), and the standby must stream (the bench's
    measure() waits for streaming and catch-up, and raises if the clone did not say zstd)."""

    def test_defaults_compress_with_zstd_across_hosts_and_stream(self):
        import argparse

        mod = _load_bench_clone()
        args = argparse.Namespace(link="1gbit", scale=5, rate=10, clients=1,
                                  checkpoint_timeout="60s", runs=1, keep=False)
        bench = mod.LinkBench(args)
        failed = True
        try:
            bench.pgreplica = os.environ.get("PGREPLICA_BINARY", bench.pgreplica)
            bench.setup()
            none = bench.measure("pgreplica-none", 1)
            r = bench.measure("pgreplica-default", 1)
            self.assertGreater(r["streaming"], 0)
            self.assertGreater(r["cpu_walsender"], 0)
            # Both carry the WAL from the start of the segment the copy starts in (uncompressed,
            # up to 16 MB, once for the copy and once for the new standby); the data itself,
            # about 80 MB here, is what zstd shrinks.
            self.assertLess(r["link_bytes"], none["link_bytes"] - 40 * 1024 * 1024,
                            (r["link_bytes"], none["link_bytes"]))
            failed = False
        finally:
            bench.close(failed)
            self.assertFalse([n for n in bench.nethosts.namespaces(bench.prefix)])


class MaxReadGapTest(unittest.TestCase):
    """bench/clone --max-read-gap: the decision alone, on made-up results (no servers, no
    root). Exceeding means more than the limit, per pgreplica method, on the median of its
    runs; the other tools are not held to it."""

    @classmethod
    def setUpClass(cls):
        cls.mod = _load_bench_clone()

    @staticmethod
    def runs(*gaps):
        return [{"gap": g, "streaming": 10.0} for g in gaps]

    def test_within_the_limit_passes(self):
        results = {"floor": self.runs(None, None), "pgreplica": self.runs(0.52, 0.51, 0.6)}
        self.assertEqual(self.mod.read_gap_failures(results, 2.0), [])

    def test_exactly_the_limit_passes(self):
        self.assertEqual(self.mod.read_gap_failures({"pgreplica": self.runs(2.0)}, 2.0), [])

    def test_a_longer_median_fails_and_names_method_and_figures(self):
        failures = self.mod.read_gap_failures({"pgreplica": self.runs(2.5, 3.0, 0.4)}, 2.0)
        self.assertEqual(len(failures), 1)
        self.assertIn("pgreplica clone:", failures[0])
        self.assertIn("median longest read gap 2.50 s exceeds --max-read-gap 2 s", failures[0])
        self.assertIn("2.50 s, 3.00 s, 0.40 s", failures[0])

    def test_the_median_decides_not_one_slow_run(self):
        self.assertEqual(self.mod.read_gap_failures({"pgreplica": self.runs(0.4, 3.0, 0.5)}, 2.0), [])

    def test_every_pgreplica_method_is_held_to_it_and_no_other(self):
        results = {"floor": self.runs(None), "article": self.runs(180.0), "repmgr": self.runs(270.0),
                   "pgreplica": self.runs(0.5), "pgreplica-noverify": self.runs(2.2)}
        failures = self.mod.read_gap_failures(results, 2.0)
        self.assertEqual(len(failures), 1, failures)
        self.assertTrue(failures[0].startswith("pgreplica clone --no-verify:"), failures)

    def test_the_link_methods_count_too(self):
        failures = self.mod.read_gap_failures({"floor": self.runs(None),
                                               "pgreplica-zstd": self.runs(2.1)}, 2.0)
        self.assertEqual(len(failures), 1, failures)
        self.assertTrue(failures[0].startswith("pgreplica clone --compress server-zstd:"), failures)

    def test_a_rebuild_without_a_measured_gap_fails(self):
        failures = self.mod.read_gap_failures({"pgreplica": self.runs(0.5, None)}, 2.0)
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("no read gap measured in 1 of 2 run(s)", failures[0])

    def test_nothing_measured_fails(self):
        self.assertEqual(len(self.mod.read_gap_failures({"floor": self.runs(None)}, 2.0)), 1)

    def check(self, max_gap, results):
        import argparse
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = self.mod.check_read_gap(argparse.Namespace(max_read_gap=max_gap), results)
        return code, err.getvalue()

    def test_exit_codes(self):
        slow = {"pgreplica": self.runs(2.5)}
        self.assertEqual(self.check(None, slow), (0, ""))
        code, err = self.check(2.0, slow)
        self.assertEqual(code, self.mod.EXIT_READ_GAP)
        self.assertNotIn(code, (0, 1, 2))  # neither success, a failed benchmark nor a usage error
        self.assertIn("read gap too long: pgreplica clone: median longest read gap 2.50 s", err)
        code, err = self.check(3.0, slow)
        self.assertEqual(code, 0)
        self.assertIn("within 3 s", err)

    def parse(self, *argv):
        import contextlib
        import io

        saved = sys.argv
        sys.argv = ["bench/clone", *argv]
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                return self.mod.parse_args()
        finally:
            sys.argv = saved

    def test_the_option_needs_a_pgreplica_method_and_a_positive_limit(self):
        self.assertEqual(self.parse("--max-read-gap", "2").max_read_gap, 2.0)
        self.assertIsNone(self.parse().max_read_gap)
        for argv in (["--max-read-gap", "2", "--methods", "floor,repmgr"],
                     ["--max-read-gap", "0"], ["--max-read-gap", "nan"]):
            with self.assertRaises(SystemExit) as raised:
                self.parse(*argv)
            self.assertEqual(raised.exception.code, 2, argv)


if __name__ == "__main__":
    unittest.main()
