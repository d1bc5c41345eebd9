"""The formula with real Salt, masterless (salt-call --local): a fresh minion streams after
one state.apply, the second run changes nothing and records no job, test=True touches nothing
and predicts right, pillar mistakes fail the state with pgreplica's message and leave the old
standby, configuration and password files as they were, decommission drops exactly this
replica's slot, and the replication password is in no Salt output, cache or log."""

import json
import os
import subprocess
import unittest

import pgcluster
import realsalt

WRONG_PASSWORD = "wr0ng:pass\\word 'x\" #9"


class MasterlessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        realsalt.require()
        cls.home = realsalt.SaltHome(realsalt.salt_bin())
        cls.ws = pgcluster.Workspace()
        try:
            cls.port = cls.ws.primary()
            # The primary, set up by the formula's primary state (its own minion).
            primary = realsalt.Minion(cls.home, "primary")
            pillar = realsalt.standby_pillar(cls.ws, primary.dir, "unused", cls.port)
            primary.set_pillar(pillar)
            primary.call("saltutil.sync_all")  # masterless: docs/salt.md says so
            rc, data, out = primary.call("state.apply", "pgreplica.primary")
            assert rc == 0, out
            cls.minion = realsalt.Minion(cls.home, "replica-a")
            cls.pillar = realsalt.standby_pillar(cls.ws, cls.minion.dir, "replica-a", cls.port)
            cls.minion.set_pillar(cls.pillar)
            cls.p = cls.pillar["pgreplica"]
            cls.config = os.path.join(cls.p["config_dir"], "pgreplica.yaml")
            cls.secret = os.path.join(cls.p["config_dir"], "replication.secret")
        except Exception:
            cls.ws.close()
            cls.home.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()
        cls.home.close()

    # helpers
    def pgreplica(self, *args):
        return subprocess.run([realsalt.BINARY] + list(args) + ["--config", self.config, "--output", "json"],
                              capture_output=True, text=True, check=False)

    def job_count(self):
        r = self.pgreplica("jobs", "list")
        return len(json.loads(r.stdout)["jobs"])

    def streams(self):
        r = self.pgreplica("status", "--primary-only")
        doc = json.loads(r.stdout)
        slots = [s for n in doc.get("nodes", []) for s in n.get("slots", []) or []]
        return any(s.get("slot_name", s.get("name")) == self.p["slot"] and s.get("active") for s in slots), doc

    def sql(self, query):
        env = dict(os.environ, PGPASSFILE=self.p["admin_passfile"])
        return subprocess.run([pgcluster.bindir() + "/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "postgres", "-d", "postgres", "-Atc", query], capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    def snapshot(self):
        return {"minion": realsalt.tree(self.minion.dir + "/etc-pgreplica") if os.path.exists(
                    self.minion.dir + "/etc-pgreplica") else {},
                "bin": os.path.exists(self.p["binary"]),
                "pgpass": realsalt.tree(os.path.dirname(self.p["pgpass_file"])).get(
                    os.path.basename(self.p["pgpass_file"])),
                "data": os.path.exists(self.p["data_directory"]),
                "slots": self.sql("SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), '') "
                                  "FROM pg_replication_slots")}

    def apply(self, *args, pillar=None):
        if pillar is not None:
            self.minion.set_pillar(pillar)
        try:
            return self.minion.call("state.apply", "pgreplica", *args)
        finally:
            if pillar is not None:
                self.minion.set_pillar(self.pillar)

    # 1: a fresh minion (no binary yet)
    def test_1a_module_without_binary_fails_cleanly(self):
        rc, _, out = self.minion.call("saltutil.sync_all")
        self.assertEqual(rc, 0, out)
        rc, data, out = self.minion.call("pgreplica.jobs")
        self.assertEqual(rc, 127, out)
        self.assertIn("the pgreplica binary is not installed", out)
        self.assertNotIn("Traceback", out)

    def test_1b_test_mode_on_a_fresh_minion_predicts_and_touches_nothing(self):
        before = self.snapshot()
        rc, data, out = self.apply("test=True")
        self.assertNotIn("Traceback", out)
        self.assertEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertIsNone(results["pgreplica-replica"][0], out)
        self.assertIsNone(results["pgreplica-pgpass"][0], out)
        self.assertEqual(self.snapshot(), before)

    def test_1c_first_run_streams(self):
        rc, data, out = self.apply()
        self.assertEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertTrue(all(r[0] for r in results.values()), out)
        self.assertIn("clone", results["pgreplica-replica"][1], out)
        streams, doc = self.streams()
        self.assertTrue(streams, doc)

    # 2: idempotence with an admin password file that names only the primary
    def test_2a_second_run_changes_nothing_and_records_no_job(self):
        jobs = self.job_count()
        rc, data, out = self.apply()
        self.assertEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertEqual({k: v[1] for k, v in results.items() if v[1]}, {}, out)
        self.assertIn("already", results["pgreplica-replica"][2])
        self.assertEqual(self.job_count(), jobs, "a run that did nothing records no job")

    def test_2b_test_mode_predicts_no_change_and_touches_nothing(self):
        before = self.snapshot()
        rc, data, out = self.apply("test=True")
        self.assertEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertEqual({k: v for k, v in results.items() if v[0] is not True}, {}, out)
        self.assertEqual(self.snapshot(), before)

    # 3: a wrong replication password
    def test_3_wrong_password_fails_and_keeps_the_working_one(self):
        before = self.snapshot()
        bad = json.loads(json.dumps(self.pillar))
        bad["secrets"]["replica"]["password"] = WRONG_PASSWORD
        rc, data, out = self.apply(pillar=bad)
        self.assertNotEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertIs(results["pgreplica-pgpass"][0], False, out)
        self.assertIn("password authentication failed", results["pgreplica-pgpass"][2])
        self.assertIs(results["pgreplica-secret"][0], False, out)
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(self.streams()[0])
        self.assertNotIn(WRONG_PASSWORD, out)

    # 4: a pillar that pgreplica would reject never replaces a valid configuration
    def test_4_pillar_without_primary_host_keeps_the_configuration(self):
        if not realsalt.has_config_check():
            self.skipTest("the built pgreplica has no `config check` (`pgreplica config check --help` does not "
                          "show it): the formula then writes the configuration unchecked, so a rejected "
                          "pillar cannot be tested")
        before = self.snapshot()
        bad = json.loads(json.dumps(self.pillar))
        del bad["secrets"]["postgresql"]["host"]
        rc, data, out = self.apply(pillar=bad)
        self.assertNotEqual(rc, 0, out)
        results = realsalt.state_results(data)
        self.assertIs(results["pgreplica-config"][0], False, out)
        self.assertIn("check_cmd", out)
        self.assertEqual(self.snapshot(), before)

    # 6: FreeBSD's configuration path reaches ad hoc module calls
    def test_6_freebsd_module_calls_pass_the_formula_config(self):
        bsd = realsalt.Minion(self.home, "bsd", grains={"os_family": "FreeBSD"})
        bsd.set_pillar({"pgreplica": {"binary": realsalt.BINARY}})
        bsd.call("saltutil.sync_all")
        rc, data, out = bsd.call("pgreplica.jobs")
        self.assertIn("/usr/local/etc/pgreplica/pgreplica.yaml", out)

    # 5: decommission drops exactly the slot this replica uses
    def test_7_decommission_drops_this_replicas_slot(self):
        host = subprocess.run(["hostname", "-s"], capture_output=True, text=True, check=True).stdout.strip()
        decoy = self.pgreplica("decommission", "--dry-run", "--node", host)
        decoy_slot = json.loads(decoy.stdout)["slot"]
        self.sql("SELECT pg_create_physical_replication_slot('{}')".format(decoy_slot))
        subprocess.run(["runuser", "-u", pgcluster.os_user(), "--", pgcluster.bindir() + "/pg_ctl", "stop",
                        "-D", self.p["data_directory"], "-m", "fast", "-w"], check=True, capture_output=True)
        rc, data, out = self.minion.call("state.apply", "pgreplica.decommission")
        self.assertEqual(rc, 0, out)
        slots = self.sql("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots")
        self.assertNotIn(self.p["slot"], slots.split(","), out)
        self.assertIn(decoy_slot, slots.split(","), out)

    # The password is nowhere in Salt's outputs, caches or logs.
    def test_9_password_in_no_output_cache_or_log(self):
        for password in (pgcluster.REPLICATION_PASSWORD, WRONG_PASSWORD):
            for i, text in enumerate(self.home.outputs):
                self.assertNotIn(password, text, "output {}".format(i))
                self.assertNotIn(json.dumps(password)[1:-1], text, "output {}".format(i))
            for m in ("replica-a", "primary", "bsd"):
                root = os.path.join(self.home.path, m, "root")
                self.assertEqual(realsalt.files_containing(root, password), [], m)


if __name__ == "__main__":
    unittest.main()
