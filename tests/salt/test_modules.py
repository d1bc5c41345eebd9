"""The Salt execution and state modules loaded the way Salt's loader does
(module globals __salt__, __opts__, __context__, __pillar__ injected), with
cmd.run_all really running the built pgreplica binary against real
PostgreSQL clusters."""

import importlib.util
import json
import os
import subprocess
import unittest

import pgcluster

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BINARY = os.environ.get("PGREPLICA_BINARY", os.path.join(ROOT, "build", "pgreplica"))


def run_all(cmd, python_shell=True, ignore_retcode=False, output_loglevel="debug", **kwargs):
    """Salt's cmd.run_all, as far as the modules use it."""
    assert isinstance(cmd, list), "argv lists only, never a shell string"
    assert python_shell is False, "the modules must not use a shell"
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=dict(os.environ, NO_COLOR="1"))
    return {"stdout": proc.stdout, "stderr": proc.stderr, "retcode": proc.returncode, "pid": 0}


def load(kind, salt, opts, pillar):
    path = os.path.join(ROOT, "salt", kind, "pgreplica.py")
    spec = importlib.util.spec_from_file_location("salt_" + kind.strip("_") + "_pgreplica", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__salt__ = salt
    module.__opts__ = opts
    module.__context__ = {}
    module.__pillar__ = pillar
    module.__grains__ = {"os_family": "Debian"}
    return module


class Minion:
    """One minion's loaded modules, as Salt would wire them."""

    def __init__(self, test=False, binary=BINARY):
        self.salt = {"cmd.run_all": run_all}
        self.opts = {"test": test}
        self.pillar = {"pgreplica": {"binary": binary}}
        self.mod = load("_modules", self.salt, self.opts, self.pillar)
        for name in ("clone", "status", "check", "decommission", "jobs", "primary_check", "primary_setup", "pgpass"):
            self.salt["pgreplica." + name] = getattr(self.mod, name)
        self.state = load("_states", self.salt, self.opts, self.pillar)


class ModulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(BINARY, os.X_OK):
            raise unittest.SkipTest("build pgreplica first (scripts/test does)")
        cls.ws = pgcluster.Workspace()
        try:
            cls.port = cls.ws.primary()
            cls.config, cls.data = cls.ws.config(cls.port, "standby")
            minion = Minion()
            setup = minion.mod.primary_setup(config=cls.config)
            assert setup.get("replication_works"), setup
            assert minion.mod.pgpass(config=cls.config)["ok"]
        except Exception:
            cls.ws.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()

    def test_virtual_loads_without_the_binary_and_calls_fail_cleanly(self):
        # A first state run installs the binary after the loader evaluated __virtual__.
        minion = Minion(binary="/nonexistent/pgreplica")
        self.assertEqual(minion.mod.__virtual__(), "pgreplica")
        data = minion.mod.status()
        self.assertIs(data["ok"], False)
        self.assertEqual(data["retcode"], 127)
        self.assertIn("not installed", data["error"]["message"])
        self.assertEqual(minion.mod.__context__["retcode"], 127)

    def test_1_clone_then_replica_present_changes_nothing(self):
        minion = Minion()
        data = minion.mod.clone(config=self.config)
        self.assertTrue(data["ok"], json.dumps(data, indent=1))
        self.assertEqual(minion.mod.__context__["retcode"], 0)
        self.assertEqual(data["confirm"]["receiver_status"], "streaming")
        ret = minion.state.replica_present(self.data, config=self.config)
        self.assertTrue(ret["result"], ret)
        self.assertEqual(ret["changes"], {})
        self.assertIn("already", ret["comment"])
        status = minion.mod.status(config=self.config, local_only=True)
        self.assertEqual(status["nodes"][0]["receiver"]["status"], "streaming")
        jobs = minion.mod.jobs(config=self.config)
        self.assertTrue(any(j["command"] == "clone" and j["state"] == "succeeded" for j in jobs["jobs"]), jobs)
        self.assertNotIn(pgcluster.REPLICATION_PASSWORD, json.dumps([data, ret, status, jobs]))

    def test_2_test_mode_touches_nothing(self):
        config, data_dir = self.ws.config(self.port, "dry", slot="node_dry_slot")
        self.assertTrue(Minion().mod.pgpass(config=config)["ok"])
        minion = Minion(test=True)
        slots_before = self.slots()
        ret = minion.state.replica_present(data_dir, config=config)
        self.assertIsNone(ret["result"], ret)
        self.assertIn("clone", ret["changes"])
        self.assertFalse(os.path.exists(data_dir))
        self.assertEqual(self.slots(), slots_before)
        other, _ = self.ws.config(self.port, "dry2")
        pg = minion.state.pgpass_present("postgres", config=other)
        self.assertIsNone(pg["result"])
        self.assertFalse(os.path.exists(os.path.join(self.ws.path, "dry2.pgpass")))

    def test_3_slot_absent_is_idempotent(self):
        minion = Minion()
        subprocess.run([BINARY, "decommission", "--config", self.config, "--slot", "node_old_slot"], check=False)
        self.sql("SELECT pg_create_physical_replication_slot('node_old_slot', true)")
        dry = Minion(test=True).state.slot_absent("old", config=self.config, slot="node_old_slot")
        self.assertIsNone(dry["result"], dry)
        self.assertIn("node_old_slot", self.slots())
        first = minion.state.slot_absent("old", config=self.config, slot="node_old_slot")
        self.assertTrue(first["result"], first)
        self.assertEqual(first["changes"]["dropped"], "node_old_slot")
        second = minion.state.slot_absent("old", config=self.config, slot="node_old_slot")
        self.assertTrue(second["result"], second)
        self.assertEqual(second["changes"], {})
        self.assertNotIn("node_old_slot", self.slots())

    def test_3b_an_empty_node_or_slot_drops_nothing(self):
        minion = Minion()
        self.sql("SELECT pg_create_physical_replication_slot('node_keep_slot', true)")
        before = self.slots()
        for kwargs in ({"node": ""}, {"slot": ""}, {"node": "../../x"}, {"node": "a", "slot": "node_keep_slot"}):
            data = minion.mod.decommission(config=self.config, **kwargs)
            self.assertFalse(data.get("ok"), (kwargs, data))
            self.assertEqual(data["error"]["exit_code"], 2, (kwargs, data))
            self.assertEqual(self.slots(), before, kwargs)
        ret = minion.state.slot_absent("x", config=self.config, node="")
        self.assertIs(ret["result"], False, ret)
        self.assertEqual(self.slots(), before)
        self.sql("SELECT pg_drop_replication_slot('node_keep_slot')")

    def test_4_failure_is_result_false_with_the_error(self):
        config, data_dir = self.ws.config(pgcluster.free_port(), "broken")
        minion = Minion()
        # With the password file in place the preflight tries the primary (since 9f9c90b a
        # missing file fails the preflight before any connection is tried).
        self.assertTrue(minion.mod.pgpass(config=config)["ok"])
        ret = minion.state.replica_present(data_dir, config=config)
        self.assertIs(ret["result"], False, ret)
        # The primary's port is closed: the preflight says so, with the failed check.
        self.assertIn("preflight failed", ret["comment"])
        self.assertIn("replication_connection", ret["comment"])
        self.assertIn("could not connect to primary", ret["comment"])
        self.assertEqual(minion.mod.__context__["retcode"], 1)
        self.assertFalse(os.path.exists(data_dir))

    def test_5_primary_ready_and_check(self):
        minion = Minion()
        ret = minion.state.primary_ready("primary", config=self.config)
        self.assertTrue(ret["result"], ret)
        check = minion.mod.check(config=self.config, primary_only=True)
        self.assertIn(check["state"], ("OK", "WARNING"), check)

    # helpers
    def sql(self, query):
        env = dict(os.environ, PGPASSFILE=os.path.join(self.ws.path, "admin.pgpass"))
        return subprocess.run([pgcluster.bindir() + "/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "postgres", "-d", "postgres", "-Atc", query], capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    def slots(self):
        return self.sql("SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), '') FROM pg_replication_slots")


if __name__ == "__main__":
    unittest.main()
