"""The Prometheus alert rules, the Grafana dashboard and the metrics helper of the systemd
unit, proven with Prometheus's own promtool and against a live pgreplica.

RulesAndDashboardTest (no server): promtool checks the rules and runs their unit tests
(monitoring/prometheus/tests/), every alert has a case where it fires and one where it must
not, the dashboard is valid JSON with the panels it promises, and every metric name in the
rules, their test series and the dashboard is one that docs/metrics.md documents.

LiveExporterTest (real clusters: a primary and a standby cloned by pgreplica): promtool
check metrics accepts the real `pgreplica status --output prometheus`; every metric name the
dashboard, the rules and the rules' test series use is in that real output; the unit's
helper writes the file atomically, also when a node does not answer, and keeps the old file
when pgreplica fails. PGREPLICA_BINARY, PGREPLICA_METRICS_HELPER: the files under test.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "salt"))
import pgcluster  # noqa: E402  (the real-cluster helper the Salt tests use)

BINARY = os.environ.get("PGREPLICA_BINARY", os.path.join(ROOT, "build", "pgreplica"))
HELPER = os.environ.get("PGREPLICA_METRICS_HELPER",
                        os.path.join(ROOT, "build", "systemd", "pgreplica-metrics"))
RULES = os.path.join(ROOT, "monitoring", "prometheus", "pgreplica-alerts.yml")
RULE_TESTS = sorted(glob.glob(os.path.join(ROOT, "monitoring", "prometheus", "tests", "*.yml")))
DASHBOARD = os.path.join(ROOT, "monitoring", "grafana", "pgreplica-dashboard.json")
# The one metric the rules use that node_exporter, not pgreplica, exports: the age of the file.
FOREIGN = {"node_textfile_mtime_seconds"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}


def metric_names(expr):
    """The metric names a PromQL expression reads."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        if e[m.end():].lstrip().startswith("(") or m.group(0) in KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def dashboard_expressions(dash):
    exprs = []
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            exprs.append((panel["title"], t["expr"]))
    for var in dash["templating"]["list"]:
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.fullmatch(r"label_values\((\w+),\s*\w+\)", q or "")
        exprs.append((var["name"], m.group(1) if m else q))
    return exprs


def rule_expressions():
    with open(RULES) as f:
        doc = yaml.safe_load(f)
    return {r["alert"]: r["expr"] for g in doc["groups"] for r in g["rules"]}


def test_series_names():
    names = set()
    for path in RULE_TESTS:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for t in doc["tests"]:
            for s in t.get("input_series", []):
                names.add(s["series"].split("{")[0])
    return names


def documented_metrics():
    with open(os.path.join(ROOT, "docs", "metrics.md")) as f:
        return set(re.findall(r"^\| `(pgreplica_\w+)` \|", f.read(), re.M))


def exposition_names(text):
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def promtool():
    path = shutil.which("promtool")
    if path is None:
        raise unittest.SkipTest("promtool is missing (Debian package prometheus; "
                                "scripts/install-deps installs it)")
    return path


class RulesAndDashboardTest(unittest.TestCase):
    def test_promtool_checks_the_rules(self):
        r = subprocess.run([promtool(), "check", "rules", RULES], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_promtool_runs_the_rule_tests(self):
        self.assertTrue(RULE_TESTS)
        r = subprocess.run([promtool(), "test", "rules", *RULE_TESTS], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)

    def test_every_alert_is_tested_firing_and_quiet(self):
        fires, quiet = set(), set()
        for path in RULE_TESTS:
            with open(path) as f:
                doc = yaml.safe_load(f)
            for t in doc["tests"]:
                for case in t.get("alert_rule_test", []):
                    (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
        alerts = set(rule_expressions())
        self.assertGreaterEqual(len(alerts), 10)
        self.assertEqual(alerts - fires, set(), "alerts never tested firing")
        self.assertEqual(alerts - quiet, set(), "alerts never tested quiet")

    def test_the_rules_cover_what_the_issue_asks(self):
        used = set().union(*(metric_names(e) for e in rule_expressions().values()))
        for name in ("pgreplica_standby_streaming", "pgreplica_receiver_streaming",
                     "pgreplica_standby_replay_lag_bytes", "pgreplica_standby_replay_lag_seconds",
                     "pgreplica_slot_active", "pgreplica_slot_retained_wal_bytes",
                     "pgreplica_slot_wal_status", "pgreplica_receiver_last_message_age_seconds"):
            self.assertIn(name, used)
        exprs = " ".join(rule_expressions().values())
        self.assertIn('wal_status="unreserved"', exprs)
        self.assertIn('wal_status="lost"', exprs)

    def test_only_documented_metric_names(self):
        documented = documented_metrics()
        self.assertGreaterEqual(len(documented), 15)
        for alert, expr in rule_expressions().items():
            self.assertEqual(metric_names(expr) - documented - FOREIGN, set(), alert)
        self.assertEqual(test_series_names() - documented - FOREIGN, set())
        with open(DASHBOARD) as f:
            dash = json.load(f)
        for where, expr in dashboard_expressions(dash):
            names = metric_names(expr)
            self.assertTrue(names, f"{where}: {expr}")
            self.assertEqual(names - documented, set(), f"{where}: {expr}")

    def test_dashboard_has_the_promised_panels(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        self.assertEqual(dash["uid"], "pgreplica-replication")
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        by_metric = {}
        for p in dash["panels"]:
            for t in p.get("targets", []):
                for name in metric_names(t["expr"]):
                    by_metric.setdefault(name, []).append(p)
        # Lag in bytes and in seconds, retained WAL per slot, receiver state.
        for name, unit in (("pgreplica_standby_replay_lag_bytes", "bytes"),
                           ("pgreplica_standby_replay_lag_seconds", "s"),
                           ("pgreplica_slot_retained_wal_bytes", "bytes"),
                           ("pgreplica_receiver_streaming", None)):
            self.assertIn(name, by_metric)
            if unit:
                self.assertIn(unit, [p["fieldConfig"]["defaults"].get("unit")
                                     for p in by_metric[name]], name)
        for p in dash["panels"]:
            if p["type"] != "row":
                self.assertEqual(p["datasource"]["uid"], "${DS_PROMETHEUS}", p["title"])

    def test_metric_names_of_expressions(self):
        self.assertEqual(metric_names('sum by (node) (rate(a_b{x="y"}[5m])) > 3 * b offset 5m'),
                         {"a_b", "b"})
        self.assertEqual(metric_names("time() - node_textfile_mtime_seconds{file=~\"x\"} > 300"),
                         {"node_textfile_mtime_seconds"})


class LiveExporterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BINARY, os.X_OK):
            raise unittest.SkipTest("build pgreplica first (scripts/test does)")
        cls.ws = pgcluster.Workspace()
        try:
            cls.port = cls.ws.primary()
            cls.config, cls.data = cls.ws.config(cls.port, "standby")
            for args in (["primary", "setup"], ["pgpass"], ["clone"]):
                r = cls.run_pgreplica(args + ["--config", cls.config])
                assert r.returncode == 0, r.stdout + r.stderr
            # safe_wal_size is only known with max_slot_wal_keep_size.
            cls.sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'")
            cls.sql("SELECT pg_reload_conf()")
            cls.sql("SELECT pg_create_physical_replication_slot('node_gone_slot', true)")
            cls.sql("CREATE TABLE load (x int)")
            cls.outputs = cls.collect()
        except Exception:
            cls.ws.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    @classmethod
    def run_pgreplica(cls, args):
        return subprocess.run([BINARY, *args], capture_output=True, text=True)

    @classmethod
    def sql(cls, query):
        env = {**os.environ, "PGPASSFILE": os.path.join(cls.ws.path, "admin.pgpass")}
        subprocess.run([pgcluster.bindir() + "/psql", "-h", "127.0.0.1", "-p", str(cls.port),
                        "-U", "postgres", "-d", "postgres", "-Atqc", query], env=env, check=True,
                       capture_output=True)

    @classmethod
    def collect(cls):
        """Real outputs, with WAL written before each, until every documented metric showed
        (lag times are NULL on an idle primary) or 60 s passed."""
        outputs, seen = [], set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cls.sql("INSERT INTO load SELECT generate_series(1, 5000)")
            time.sleep(0.3)
            r = cls.run_pgreplica(["status", "--output", "prometheus", "--config", cls.config])
            assert r.returncode == 0, r.stdout + r.stderr
            outputs.append(r.stdout)
            seen |= exposition_names(r.stdout)
            if documented_metrics() <= seen:
                break
        return outputs

    def names(self):
        return set().union(*(exposition_names(o) for o in self.outputs))

    def test_promtool_accepts_the_real_output(self):
        for output in self.outputs[-3:]:
            r = subprocess.run([promtool(), "check", "metrics"], input=output,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr + output)
            self.assertEqual(r.stdout + r.stderr, "", output)

    def test_the_real_output_is_what_the_docs_list(self):
        self.assertEqual(self.names(), documented_metrics())

    def test_dashboard_uses_only_exported_metrics(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        names = self.names()
        for where, expr in dashboard_expressions(dash):
            self.assertEqual(metric_names(expr) - names, set(), f"{where}: {expr}")

    def test_rules_and_their_tests_use_exported_metrics(self):
        names = self.names()
        for alert, expr in rule_expressions().items():
            self.assertEqual(metric_names(expr) - names - FOREIGN, set(), alert)
        self.assertEqual(test_series_names() - names - FOREIGN, set())

    def run_helper(self, textfile_dir, *args):
        env = {**os.environ, "PGREPLICA_BINARY": BINARY, "PGREPLICA_TEXTFILE_DIR": textfile_dir}
        return subprocess.run([HELPER, "--config", self.config, *args], capture_output=True,
                              text=True, env=env)

    def test_metrics_helper_writes_the_file_atomically(self):
        d = tempfile.mkdtemp(prefix="pgreplica-textfile-")
        try:
            r = self.run_helper(d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(os.listdir(d), ["pgreplica.prom"])
            path = os.path.join(d, "pgreplica.prom")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)
            with open(path) as f:
                text = f.read()
            self.assertIn('pgreplica_receiver_streaming{node="local"} 1', text)
            r = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # A primary that does not answer: exit 7, and the file says so.
            r = self.run_helper(d, "--port", str(pgcluster.free_port()), "--connect-timeout", "2")
            self.assertEqual(r.returncode, 7, r.stderr)
            with open(path) as f:
                self.assertIn('pgreplica_up{node="primary"} 0', f.read())
            # pgreplica fails: the last good file stays, no temporary file is left.
            r = self.run_helper(d, "--no-such-option")
            self.assertEqual(r.returncode, 2, r.stderr)
            with open(path) as f:
                self.assertIn('pgreplica_up{node="primary"} 0', f.read())
            self.assertEqual(os.listdir(d), ["pgreplica.prom"])
            # No textfile directory: a clear message, nothing created.
            r = self.run_helper(os.path.join(d, "missing"))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("does not exist", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "missing")))
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
