"""The formula with a real Salt master and two minions on 127.0.0.1 (replica-a and replica-b,
each with its own configuration directory, pillar and standby of one primary):
`salt --async` + `salt-run jobs.lookup_jid` return pgreplica's JSON and retcode, the job is in
`pgreplica jobs show`, the rolling rebuild through the orchestrate runner (plan with test=True,
one replica at a time, stop at the first failure), and the beacon's event when the replica's
walsender is stopped."""

import json
import os
import re
import subprocess
import time
import unittest

import pgcluster
import realsalt

IDS = ("replica-a", "replica-b")


class MasterMinionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        bindir = realsalt.require()
        cls.home = realsalt.SaltHome(bindir)
        cls.ws = pgcluster.Workspace()
        try:
            cls.port = cls.ws.primary()
            setup_config, _ = cls.ws.config(cls.port, "setup")
            subprocess.run([realsalt.BINARY, "primary", "setup", "--config", setup_config], check=True,
                           capture_output=True)
            pillar_dir = os.path.join(cls.home.path, "pillar")
            os.makedirs(pillar_dir)
            cls.master = realsalt.Master(cls.home, pillar_dir)
            cls.pillars, cls.minions = {}, {}
            top = "base:\n"
            for mid in IDS:
                minion = realsalt.Minion(cls.home, mid, master=cls.master)
                pillar = realsalt.standby_pillar(cls.ws, minion.dir, mid, cls.port, local_admin=True)
                if mid == "replica-a":
                    pillar["beacons"] = {"pgreplica": [{"interval": 1}]}
                name = mid.replace("-", "_")
                with open(os.path.join(pillar_dir, name + ".sls"), "w", encoding="utf-8") as f:
                    f.write(json.dumps(pillar, indent=1))
                top += "  '{}':\n    - {}\n".format(mid, name)
                cls.pillars[mid], cls.minions[mid] = pillar, minion
            with open(os.path.join(pillar_dir, "top.sls"), "w", encoding="utf-8") as f:
                f.write(top)
            cls.master.start()
            for minion in cls.minions.values():
                minion.start()
            assert cls.master.wait_for(IDS), "the minions did not answer: " + "\n".join(cls.home.outputs[-3:])
            rc, data, out = cls.master.salt("*", "saltutil.sync_all")
            assert rc == 0, out
        except Exception:
            cls.ws.close()
            cls.home.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.home.close()
        cls.ws.close()

    # helpers
    def config(self, mid):
        return os.path.join(self.pillars[mid]["pgreplica"]["config_dir"], "pgreplica.yaml")

    def jobs(self, mid):
        r = subprocess.run([realsalt.BINARY, "jobs", "list", "--config", self.config(mid), "--output", "json"],
                           capture_output=True, text=True, check=False)
        return json.loads(r.stdout)["jobs"] if r.returncode == 0 else []

    def sql(self, query):
        env = dict(os.environ, PGPASSFILE=self.pillars["replica-a"]["pgreplica"]["admin_passfile"])
        return subprocess.run([pgcluster.bindir() + "/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "postgres", "-d", "postgres", "-Atc", query], capture_output=True, text=True,
                              check=True, env=env).stdout.strip()

    def lookup(self, jid, mid, seconds=300):
        deadline = time.time() + seconds
        while time.time() < deadline:
            rc, data, out = self.master.run("jobs.lookup_jid", jid)
            if isinstance(data, dict) and mid in data:
                return data[mid], out
            time.sleep(2)
        self.fail("no return for job {}".format(jid))

    def test_1_state_apply_on_both_minions(self):
        rc, data, out = self.master.salt("replica-*", "state.apply", "pgreplica", timeout=900)
        for mid in IDS:
            results = realsalt.state_results(data.get(mid) if data else None)
            self.assertTrue(results and all(r[0] for r in results.values()), (mid, out))
        streaming = self.sql("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots "
                             "WHERE active")
        self.assertEqual(streaming, "salt_replica_a,salt_replica_b")

    def test_2_async_clone_and_lookup_jid(self):
        proc = self.home.run([self.home.tool("salt"), "-c", self.master.etc, "--async", "replica-a",
                              "pgreplica.clone"])
        jid = re.search(r"job ID: (\d+)", proc.stdout + proc.stderr)
        self.assertIsNotNone(jid, proc.stdout + proc.stderr)
        ret, out = self.lookup(jid.group(1), "replica-a")
        self.assertIs(ret["ok"], True, out)
        self.assertEqual(ret["retcode"], 0, out)
        self.assertEqual(ret["confirm"]["receiver_status"], "streaming", out)
        # The master's job cache has the retcode too.
        rc, listed, out = self.master.run("jobs.list_job", jid.group(1))
        self.assertEqual(listed["Result"]["replica-a"]["retcode"], 0, out)
        show = subprocess.run([realsalt.BINARY, "jobs", "show", ret["job"], "--config", self.config("replica-a"),
                               "--output", "json"], capture_output=True, text=True, check=False)
        self.assertEqual(show.returncode, 0, show.stdout + show.stderr)
        self.assertEqual(json.loads(show.stdout)["state"], "succeeded")

    def test_3_orchestrate_test_mode_shows_the_plan(self):
        before = {mid: len(self.jobs(mid)) for mid in IDS}
        rc, data, out = self.master.run("state.orchestrate", "pgreplica.orch.rebuild",
                                        'pillar={"targets": "replica-*"}', "test=True")
        self.assertEqual(rc, 0, out)
        for mid in IDS:
            self.assertIn("rebuild " + mid, out)
            self.assertIn("pgreplica.clone", out)
        self.assertEqual({mid: len(self.jobs(mid)) for mid in IDS}, before)

    def test_4_rolling_rebuild_one_at_a_time(self):
        before = {mid: len(self.jobs(mid)) for mid in IDS}
        rc, data, out = self.master.run("state.orchestrate", "pgreplica.orch.rebuild",
                                        'pillar={"targets": "replica-*"}', timeout=900)
        self.assertEqual(rc, 0, out)
        a, b = self.jobs("replica-a")[0], self.jobs("replica-b")[0]
        self.assertEqual(len(self.jobs("replica-a")), before["replica-a"] + 1)
        self.assertEqual(len(self.jobs("replica-b")), before["replica-b"] + 1)
        self.assertEqual((a["state"], b["state"]), ("succeeded", "succeeded"))
        self.assertLessEqual(a["finished_at"], b["started_at"], "replica-b started before replica-a was done")

    def test_5_rolling_rebuild_stops_at_the_first_failure(self):
        pgpass = self.pillars["replica-a"]["pgreplica"]["pgpass_file"]
        with open(pgpass, encoding="utf-8") as f:
            good = f.read()
        before_b = len(self.jobs("replica-b"))
        try:
            with open(pgpass, "w", encoding="utf-8") as f:
                f.write("127.0.0.1:{}:replication:replicator:wrong\n".format(self.port))
            rc, data, out = self.master.run("state.orchestrate", "pgreplica.orch.rebuild",
                                            'pillar={"targets": "replica-*"}', timeout=900)
        finally:
            with open(pgpass, "w", encoding="utf-8") as f:
                f.write(good)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("replica-a failed: the rolling rebuild stopped there; not touched: replica-b", out)
        self.assertIn("preflight failed", out)
        self.assertEqual(len(self.jobs("replica-b")), before_b, "replica-b was touched")
        self.assertEqual(self.sql("SELECT count(*) FROM pg_replication_slots WHERE active"), "2",
                         "the old standby of replica-a still streams")

    def test_6_beacon_reports_a_stopped_walsender(self):
        listener = subprocess.Popen([self.home.tool("salt-run"), "-c", self.master.etc, "state.event",
                                     "tagmatch=salt/beacon/replica-a/pgreplica/*", "count=1", "--out", "json"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            time.sleep(5)
            self.sql("ALTER ROLE replicator NOLOGIN")
            self.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                     "WHERE slot_name = 'salt_replica_a'")
            out, _ = listener.communicate(timeout=90)
        finally:
            if listener.poll() is None:
                listener.kill()
                listener.wait()
            self.sql("ALTER ROLE replicator LOGIN")
        self.home.outputs.append(out)
        self.assertIn("salt/beacon/replica-a/pgreplica/", out)
        line = next(l for l in out.splitlines() if "salt/beacon/replica-a/pgreplica/" in l)
        event = json.loads(line[line.index("{"):])
        self.assertNotEqual(event.get("state"), "OK", out)
        self.assertEqual(event.get("previous"), "OK", out)
        self.assertTrue(event.get("problems"), out)

    def test_7_reactor_heals_a_replica_whose_receiver_is_down_and_slot_gone(self):
        # The documented reactor, on a master restarted with it: the beacon's CRITICAL event for
        # replica-a (receiver down, slot dropped) starts pgreplica.orch.heal, whose
        # clone --if-needed re-clones it.
        self.master.configure(reactor=[{"salt/beacon/*/pgreplica/CRITICAL": ["salt://pgreplica/reactor/heal.sls"]}],
                              reactor_worker_threads=1)
        self.master.restart()
        self.assertTrue(self.master.wait_for(IDS), "\n".join(self.home.outputs[-2:]))
        before = len(self.jobs("replica-a"))
        self.sql("ALTER ROLE replicator NOLOGIN")
        try:
            for _ in range(50):
                self.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                         "WHERE slot_name = 'salt_replica_a' AND active")
                if self.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'salt_replica_a' "
                            "AND NOT active") == "1":
                    self.sql("SELECT pg_drop_replication_slot('salt_replica_a')")
                    break
                time.sleep(0.2)
        finally:
            self.sql("ALTER ROLE replicator LOGIN")
        deadline = time.time() + 120
        healed = False
        while time.time() < deadline and not healed:
            time.sleep(2)
            jobs = self.jobs("replica-a")
            healed = (len(jobs) > before and jobs[0]["state"] == "succeeded"
                      and self.sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'salt_replica_a' "
                                   "AND active") == "1")
        self.assertTrue(healed, "replica-a was not re-cloned: {}".format(self.jobs("replica-a")[:1]))
        self.assertIn("--if-needed", self.jobs("replica-a")[0]["arguments"])

    def test_9_password_in_no_output_cache_or_log(self):
        password = pgcluster.REPLICATION_PASSWORD
        for i, text in enumerate(self.home.outputs):
            self.assertNotIn(password, text, "output {}".format(i))
            self.assertNotIn(json.dumps(password)[1:-1], text, "output {}".format(i))
        for d in ("master", "replica-a", "replica-b"):
            root = os.path.join(self.home.path, d, "root")
            # The master keeps each minion's pillar (minion_data_cache), where the password lives by
            # design: that file only; no job return, log or other cache may hold it.
            hits = [h for h in realsalt.files_containing(root, password)
                    if not re.search(r"/var/cache/salt/master/minions/[^/]+/data\.p$", h)]
            self.assertEqual(hits, [], d)


if __name__ == "__main__":
    unittest.main()
