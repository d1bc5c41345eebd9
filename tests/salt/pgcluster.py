"""Real PostgreSQL clusters for the Salt tests (the Python twin of
tests/support/cluster.h): initdb as an unprivileged user when run as root,
a free port on 127.0.0.1, SCRAM passwords, everything in a temporary
directory that is removed with its servers."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

SUPER_PASSWORD = "super:pa\\ss 'w\"d#ü"
REPLICATION_PASSWORD = "rep:l\\ica 'pw\" #ö"


def bindir():
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def os_user():
    return os.environ.get("PGREPLICA_TEST_OS_USER", "postgres") if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name


def as_os_user(argv, **kw):
    if os.geteuid() == 0:
        argv = ["runuser", "-u", os_user(), "--"] + argv
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def pgpass_escape(value):
    return value.replace("\\", "\\\\").replace(":", "\\:")


class Workspace:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="pgreplica-salt-")
        os.chmod(self.path, 0o755)
        user = pwd.getpwnam(os_user())
        os.chown(self.path, user.pw_uid, user.pw_gid)
        self.uid, self.gid = user.pw_uid, user.pw_gid
        self.clusters = []
        # pgreplica's state directory must be private to the user running it (root in CI).
        self.state = tempfile.mkdtemp(prefix="pgreplica-salt-state-")

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.path, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)
        os.chown(path, self.uid, self.gid)
        return path

    def mkdir(self, name):
        path = os.path.join(self.path, name)
        os.makedirs(path, exist_ok=True)
        os.chown(path, self.uid, self.gid)
        return path

    def primary(self):
        port = free_port()
        data = os.path.join(self.mkdir("primary"), "data")
        pw = self.write("super.pw", SUPER_PASSWORD + "\n")
        as_os_user([bindir() + "/initdb", "-D", data, "-U", "postgres", "--pwfile=" + pw,
                    "--auth=scram-sha-256", "--no-instructions", "--no-sync"])
        with open(os.path.join(data, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = off\n"
                    .format(port, self.path))
        as_os_user([bindir() + "/pg_ctl", "start", "-D", data, "-l", data + ".log", "-w"])
        self.clusters.append(data)
        return port

    def config(self, primary_port, name, local_port=None, extra="", slot=None):
        admin = self.write("admin.pgpass", "127.0.0.1:*:*:postgres:{}\n".format(pgpass_escape(SUPER_PASSWORD)))
        secret = self.write("replication.secret", REPLICATION_PASSWORD + "\n")
        data = os.path.join(self.mkdir(name), "data")
        self.clusters.append(data)
        text = (
            "primary: {{host: 127.0.0.1, port: {port}, admin_user: postgres, admin_passfile: {admin}}}\n"
            "replication: {{user: replicator, password_file: {secret}, allowed_address: 127.0.0.1/32{slot}}}\n"
            "state_directory: {state}/state\n"
            "clone: {{confirm_timeout: 60}}\n"
            "local:\n  os_user: {user}\n  bindir: {bindir}\n  data_directory: {data}\n  port: {lport}\n"
            "  pgpass_file: {ws}/{name}.pgpass\n  admin_passfile: {admin}\n{extra}"
        ).format(port=primary_port, admin=admin, secret=secret, ws=self.path, state=self.state,
                 user=os_user(), bindir=bindir(),
                 data=data, lport=local_port or free_port(), name=name, extra=extra,
                 slot=", slot: " + slot if slot else "")
        return self.write(name + ".yaml", text, 0o644), data

    def close(self):
        for data in self.clusters:
            if os.path.exists(os.path.join(data, "postmaster.pid")):
                subprocess.run((["runuser", "-u", os_user(), "--"] if os.geteuid() == 0 else [])
                               + [bindir() + "/pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"],
                               capture_output=True, check=False)
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)
