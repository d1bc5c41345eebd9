"""Real Salt for the formula's tests: finds Salt 3006 (PGREPLICA_SALT_BIN, else salt-call on
PATH, else <repo>/../shared/salt/bin), and runs masterless minions, a master and minions on
127.0.0.1, each with its own configuration directory and root_dir under a temporary
directory (never /etc/salt). Every output is kept, so that tests can look for secrets in it."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import pgcluster

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BINARY = os.environ.get("PGREPLICA_BINARY", os.path.join(REPO, "build", "pgreplica"))


def salt_bin():
    """The directory holding salt-call (and salt, salt-run, salt-master, salt-minion), or None."""
    env = os.environ.get("PGREPLICA_SALT_BIN")
    if env:
        return env if os.access(os.path.join(env, "salt-call"), os.X_OK) else None
    found = shutil.which("salt-call")
    if found:
        return os.path.dirname(found)
    beside = os.path.realpath(os.path.join(REPO, "..", "shared", "salt", "bin"))
    return beside if os.access(os.path.join(beside, "salt-call"), os.X_OK) else None


def require():
    """Raises SkipTest, saying why, unless real Salt, the built binary and root are at hand."""
    if not os.access(BINARY, os.X_OK):
        raise unittest.SkipTest("build pgreplica first (scripts/test does), or set PGREPLICA_BINARY")
    where = salt_bin()
    if where is None:
        raise unittest.SkipTest(
            "real Salt not found: set PGREPLICA_SALT_BIN to the directory of salt-call, put salt-call "
            "on PATH, or place Salt 3006 in ../shared/salt (tests of the formula with real Salt skipped)")
    if os.geteuid() != 0:
        raise unittest.SkipTest("the real-Salt tests run as root (the formula writes root-owned files)")
    probe = subprocess.run([os.path.join(where, "salt-call"), "--version"], capture_output=True, text=True,
                           check=False)
    if probe.returncode != 0:
        raise unittest.SkipTest("salt-call in {} does not run (scripts/install-deps installs its Python "
                                "packages): {}".format(where, probe.stderr.strip()[-300:]))
    return where


def has_config_check():
    """Whether the built pgreplica has `config check` (another branch adds it)."""
    r = subprocess.run([BINARY, "config", "check", "--help"], capture_output=True, text=True, check=False)
    # An older pgreplica prints another command's help (exit 0): the usage line tells.
    return r.returncode == 0 and "pgreplica config check" in r.stdout


def pillar_sls(directory, pillar):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "top.sls"), "w", encoding="utf-8") as f:
        f.write("base:\n  '*':\n    - pgreplica_test\n")
    # JSON is YAML: every string is quoted and escaped, whatever the password holds.
    with open(os.path.join(directory, "pgreplica_test.sls"), "w", encoding="utf-8") as f:
        f.write(json.dumps(pillar, indent=1))
    os.chmod(os.path.join(directory, "pgreplica_test.sls"), 0o600)


def tree(path):
    """Snapshot of a directory tree: path -> (mode, uid, sha256 of a file's bytes)."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            digest = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_uid, digest)
    return out


def files_containing(path, needle):
    """Files under `path` whose bytes contain `needle` (UTF-8), or its JSON-escaped form."""
    forms = {needle.encode(), json.dumps(needle)[1:-1].encode()}
    hits = []
    for root, _, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                data = f.read()
            if any(form in data for form in forms):
                hits.append(p)
    return hits


class SaltHome:
    """A temporary directory for one test class: formula file roots (the repository's salt/
    plus a copy of the built binary as salt://pgreplica/files/pgreplica), minions, a master."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.path = tempfile.mkdtemp(prefix="pgreplica-realsalt-")
        os.chmod(self.path, 0o755)
        self.files = os.path.join(self.path, "files")
        os.makedirs(os.path.join(self.files, "pgreplica", "files"))
        shutil.copy2(BINARY, os.path.join(self.files, "pgreplica", "files", "pgreplica"))
        self.outputs = []  # every stdout/stderr of a Salt command
        self.daemons = []  # pid files of started daemons

    def file_roots(self):
        return [os.path.join(REPO, "salt"), self.files]

    def run(self, argv, timeout=600):
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout,
                              env=dict(os.environ, NO_COLOR="1"))
        self.outputs.append(proc.stdout + proc.stderr)
        return proc

    def tool(self, name):
        return os.path.join(self.bindir, name)

    def close(self):
        for pidfile in self.daemons:
            try:
                with open(pidfile, encoding="utf-8") as f:
                    pid = int(f.read().strip())
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.path, ignore_errors=True)


class Minion:
    """One minion's configuration directory, root_dir and pillar. Masterless unless `master` is
    given (a Master)."""

    def __init__(self, home, minion_id, grains=None, master=None):
        self.home = home
        self.id = minion_id
        self.dir = os.path.join(home.path, minion_id)
        self.etc = os.path.join(self.dir, "etc")
        self.root = os.path.join(self.dir, "root")
        self.pillar_dir = os.path.join(self.dir, "pillar")
        os.makedirs(self.etc)
        os.makedirs(self.root)
        conf = {"id": minion_id, "root_dir": self.root, "log_level_logfile": "debug",
                "file_roots": {"base": home.file_roots()}, "pillar_roots": {"base": [self.pillar_dir]}}
        if master is None:
            # cache_jobs: a masterless minion keeps its job returns too, which the secrets test reads.
            conf.update({"file_client": "local", "cache_jobs": True})
        else:
            conf.update({"master": "127.0.0.1", "master_port": master.ret_port,
                         "publish_port": master.publish_port, "acceptance_wait_time": 1,
                         "random_reauth_delay": 0, "auth_timeout": 10})
        if grains:
            conf["grains"] = grains
        with open(os.path.join(self.etc, "minion"), "w", encoding="utf-8") as f:
            f.write(json.dumps(conf, indent=1))

    def set_pillar(self, pillar):
        pillar_sls(self.pillar_dir, pillar)

    def call(self, *args, local=True):
        """salt-call; returns (retcode, the 'local' return or None, the raw output)."""
        argv = [self.home.tool("salt-call"), "-c", self.etc, "--out", "json", "--retcode-passthrough"]
        if local:
            argv.append("--local")
        proc = self.home.run(argv + list(args))
        try:
            data = json.loads(proc.stdout)["local"]
        except (ValueError, KeyError, TypeError):
            data = None
        return proc.returncode, data, proc.stdout + proc.stderr

    def start(self):
        self.home.run([self.home.tool("salt-minion"), "-c", self.etc, "-d"])
        self.home.daemons.append(os.path.join(self.root, "var", "run", "salt-minion.pid"))


class Master:
    def __init__(self, home, pillar_dir):
        self.home = home
        self.dir = os.path.join(home.path, "master")
        self.etc = os.path.join(self.dir, "etc")
        self.root = os.path.join(self.dir, "root")
        os.makedirs(self.etc)
        os.makedirs(self.root)
        self.publish_port = pgcluster.free_port()
        self.ret_port = pgcluster.free_port()
        conf = {"interface": "127.0.0.1", "publish_port": self.publish_port, "ret_port": self.ret_port,
                "root_dir": self.root, "auto_accept": True, "log_level_logfile": "debug",
                "file_roots": {"base": home.file_roots()}, "pillar_roots": {"base": [pillar_dir]},
                "worker_threads": 3}
        with open(os.path.join(self.etc, "master"), "w", encoding="utf-8") as f:
            f.write(json.dumps(conf, indent=1))

    def start(self):
        self.home.run([self.home.tool("salt-master"), "-c", self.etc, "-d"])
        self.home.daemons.append(os.path.join(self.root, "var", "run", "salt-master.pid"))

    def configure(self, **settings):
        """Adds settings (master.d/test.conf); they apply at the next start."""
        os.makedirs(os.path.join(self.etc, "master.d"), exist_ok=True)
        with open(os.path.join(self.etc, "master.d", "test.conf"), "w", encoding="utf-8") as f:
            f.write(json.dumps(settings, indent=1))

    def restart(self):
        pidfile = os.path.join(self.root, "var", "run", "salt-master.pid")
        with open(pidfile, encoding="utf-8") as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        self.home.daemons.remove(pidfile)
        self.start()

    def salt(self, *args, timeout=600):
        proc = self.home.run([self.home.tool("salt"), "-c", self.etc, "--out", "json", "--static"]
                             + list(args), timeout=timeout)
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            data = None
        return proc.returncode, data, proc.stdout + proc.stderr

    def run(self, *args, timeout=600):
        proc = self.home.run([self.home.tool("salt-run"), "-c", self.etc, "--out", "json"] + list(args),
                             timeout=timeout)
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            data = None
        return proc.returncode, data, proc.stdout + proc.stderr

    def wait_for(self, ids, seconds=90):
        deadline = time.time() + seconds
        while time.time() < deadline:
            _, data, _ = self.salt("*", "test.ping", "--timeout", "5")
            if data and all(data.get(i) is True for i in ids):
                return True
            time.sleep(1)
        return False


def standby_pillar(ws, home_dir, name, primary_port, password=pgcluster.REPLICATION_PASSWORD, slot=None,
                   local_admin=False):
    """The pillar of a standby minion: the article's keys plus pgreplica:*, everything under the
    test's temporary directories. The admin password file holds an entry for the primary only
    (the standby's own login is not needed to tell whether it already streams)."""
    admin = ws.write("admin-primary.pgpass", "127.0.0.1:{}:*:postgres:{}\n".format(
        primary_port, pgcluster.pgpass_escape(pgcluster.SUPER_PASSWORD)))
    lport = pgcluster.free_port()
    ws.mkdir(name)
    ws.clusters.append(os.path.join(ws.path, name, "data"))
    pillar = {
        "secrets": {"postgresql": {"host": "127.0.0.1"},
                    "replica": {"name": "replicator", "password": password}},
        "pgreplica": {
            "binary": os.path.join(home_dir, "bin", "pgreplica"),
            "binary_source": "salt://pgreplica/files/pgreplica",
            "packages": [],
            "config_dir": os.path.join(home_dir, "etc-pgreplica"),
            "state_directory": os.path.join(home_dir, "state"),
            "bindir": pgcluster.bindir(),
            "primary_port": primary_port,
            "admin_user": "postgres",
            "admin_passfile": admin,
            "allowed_address": "127.0.0.1/32",
            "slot": slot or "salt_" + name.replace("-", "_"),
            "os_user": pgcluster.os_user(),
            "data_directory": os.path.join(ws.path, name, "data"),
            "local_port": lport,
            "pgpass_file": os.path.join(ws.path, name + ".pgpass"),
            "service": {"type": "pg_ctl"},
            "confirm_timeout": 60,
        },
    }
    if local_admin:
        pillar["pgreplica"]["local_admin_user"] = "postgres"
        pillar["pgreplica"]["local_admin_passfile"] = ws.write(
            "admin-{}.pgpass".format(name), "127.0.0.1:{}:*:postgres:{}\n".format(
                lport, pgcluster.pgpass_escape(pgcluster.SUPER_PASSWORD)))
    return pillar


def state_results(data):
    """{state id: (result, changes, comment)} of a state.apply return."""
    out = {}
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        if isinstance(value, dict) and "result" in value:
            sid = key.split("_|-")[1] if "_|-" in key else key
            out[sid] = (value["result"], value.get("changes"), value.get("comment", ""))
    return out

