"""
Execution module for pgreplica: PostgreSQL hot standbys, safe and boring.

Thin on purpose: every function runs the pgreplica binary with an argv list
(never a shell), ``--output json``, and returns the parsed document; the
binary's exit code is set as the job's retcode. All decisions stay in
pgreplica itself.

    salt --async 'replica.example.com' pgreplica.clone
    salt-run jobs.lookup_jid <jid>
    salt 'replica*' pgreplica.status
"""

import json
import os
import shutil

__virtualname__ = "pgreplica"


# Where the formula writes the configuration, by OS family (map.jinja says the same): pgreplica's
# own default is /etc/pgreplica/pgreplica.yaml, which is not where it lives on FreeBSD.
_CONFIG_BY_OS_FAMILY = {"FreeBSD": "/usr/local/etc/pgreplica/pgreplica.yaml"}

# The exit code of a command that is not there (as a shell would say).
_NOT_INSTALLED = 127


def _binary():
    configured = __opts__.get("pgreplica.binary") or __pillar__.get("pgreplica", {}).get("binary")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("pgreplica")


def __virtual__():
    # Always loads: on a fresh minion the binary is installed by the same state run that then
    # calls this module, and the loader evaluates __virtual__ only once. A call without the
    # binary fails cleanly (retcode 127 and the reason) instead.
    return __virtualname__


def _config(config):
    if config:
        return config
    pillar = __pillar__.get("pgreplica", {}) or {}
    if pillar.get("config"):
        return pillar["config"]
    if pillar.get("config_dir"):
        return pillar["config_dir"].rstrip("/") + "/pgreplica.yaml"
    return _CONFIG_BY_OS_FAMILY.get(__grains__.get("os_family"))


def _run(args, config=None, stdin=None):
    binary = _binary()
    if binary is None:
        __context__["retcode"] = _NOT_INSTALLED
        return {"ok": False, "retcode": _NOT_INSTALLED,
                "error": {"kind": "environment", "exit_code": _NOT_INSTALLED,
                          "message": "the pgreplica binary is not installed",
                          "hint": "Install it (pillar pgreplica:binary_source and state pgreplica.packages), "
                                  "or set pillar pgreplica:binary to its path."}}
    cmd = [binary] + list(args)
    config = _config(config)
    if config:
        cmd += ["--config", config]
    cmd += ["--output", "json"]
    kwargs = {}
    if stdin is not None:
        kwargs["stdin"] = stdin
    # output_loglevel quiet: neither the output nor the standard input is logged.
    ret = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True, output_loglevel="quiet",
                                  **kwargs)
    __context__["retcode"] = ret["retcode"]
    out = (ret.get("stdout") or "").strip()
    try:
        data = json.loads(out)
    except ValueError:
        message = (ret.get("stderr") or out or "pgreplica printed nothing").strip()
        data = {"ok": False, "error": {"message": message}}
    if isinstance(data, dict):
        data["retcode"] = ret["retcode"]
    return data


def _flag(args, enabled, flag):
    if enabled:
        args.append(flag)


def clone(config=None, dry_run=False, if_needed=False, force=False, verify=True, keep_old=True, slot=None,
          detach=False):
    """
    Make this minion a streaming hot standby of the configured primary.

    CLI Example:

    .. code-block:: bash

        salt --async 'replica.example.com' pgreplica.clone
        salt 'replica.example.com' pgreplica.clone dry_run=True
    """
    args = ["clone"]
    _flag(args, dry_run, "--dry-run")
    _flag(args, if_needed, "--if-needed")
    _flag(args, force, "--force")
    _flag(args, not verify, "--no-verify")
    _flag(args, not keep_old, "--no-keep-old")
    _flag(args, detach, "--detach")
    if slot:
        args += ["--slot", slot]
    return _run(args, config)


def status(config=None, inventory=None, primary_only=False, local_only=False):
    """
    Slots, standbys and lag of the configured primary and this standby (or an inventory).

    CLI Example:

    .. code-block:: bash

        salt 'db*' pgreplica.status
    """
    args = ["status"]
    if inventory:
        args += ["--inventory", inventory]
    _flag(args, primary_only, "--primary-only")
    _flag(args, local_only, "--local-only")
    return _run(args, config)


def check(config=None, inventory=None, primary_only=False, local_only=False, expect=None):
    """
    The status judged against thresholds: state OK/WARNING/CRITICAL/UNKNOWN (retcode 0-3).

    CLI Example:

    .. code-block:: bash

        salt 'db*' pgreplica.check expect='[node_replica_slot]'
    """
    args = ["check"]
    if inventory:
        args += ["--inventory", inventory]
    _flag(args, primary_only, "--primary-only")
    _flag(args, local_only, "--local-only")
    for name in expect or []:
        args += ["--expect", name]
    return _run(args, config)


def decommission(node=None, slot=None, force=False, stop=False, remove_data=False, dry_run=False, config=None):
    """
    Drop a replica's slot on the primary; optionally stop it and move its data aside.

    CLI Example:

    .. code-block:: bash

        salt 'db1*' pgreplica.decommission node=replica-01.example.com
    """
    args = ["decommission"]
    # An empty node or slot is passed on, so that pgreplica refuses it: leaving it out
    # would mean this host's own slot.
    if node is not None:
        args += ["--node", node]
    if slot is not None:
        args += ["--slot", slot]
    _flag(args, force, "--force")
    _flag(args, stop, "--stop")
    _flag(args, remove_data, "--remove-data")
    _flag(args, dry_run, "--dry-run")
    return _run(args, config)


def jobs(job_id=None, config=None):
    """
    pgreplica's own job records (they outlive Salt's job cache).

    CLI Example:

    .. code-block:: bash

        salt 'replica*' pgreplica.jobs
        salt 'replica*' pgreplica.jobs 20261125T172300Z-clone-ab12
    """
    args = ["jobs", "show", job_id] if job_id else ["jobs", "list"]
    return _run(args, config)


def _from_pillar(args, password_pillar):
    """The password of pillar key ``password_pillar`` for pgreplica's standard input
    (--password-stdin): it is on no command line and in no log. Returns the stdin text, or an
    error document."""
    password = __salt__["pillar.get"](password_pillar, None)
    if password is None or password == "":
        __context__["retcode"] = 2
        return None, {"ok": False, "retcode": 2,
                      "error": {"message": "pillar {} is not set".format(password_pillar),
                                "hint": "Set the replication password in the pillar."}}
    args.append("--password-stdin")
    return str(password) + "\n", None


def _run_with_pillar_password(args, config, password_pillar):
    """_run, with the password of pillar key ``password_pillar`` (if given) on standard input."""
    stdin = None
    if password_pillar:
        stdin, error = _from_pillar(args, password_pillar)
        if error:
            return error
    return _run(args, config, stdin=stdin)


def primary_check(config=None, password_pillar=None):
    """
    Each prerequisite of streaming replication on the primary, with the fix.

    CLI Example:

    .. code-block:: bash

        salt 'db1*' pgreplica.primary_check
    """
    args = ["primary", "check"]
    return _run_with_pillar_password(args, config, password_pillar)


def primary_setup(config=None, reset_password=False, password_pillar=None):
    """
    Apply what primary_check asks for (idempotent). An existing replication
    role keeps its password unless ``reset_password=True`` (every standby that
    uses the role then needs the new one).
    """
    args = ["primary", "setup"]
    _flag(args, reset_password, "--reset-password")
    return _run_with_pillar_password(args, config, password_pillar)


def pgpass(config=None, verify=False, dry_run=False, password_pillar=None):
    """
    Write the replication credentials into the OS user's password file; the
    password comes from the secrets file named in the configuration, or, with
    ``password_pillar``, from that pillar key on standard input (never on a
    command line). ``verify=True``: pgreplica first makes a replication
    connection with it and writes nothing if the primary refuses it.
    ``dry_run=True``: only says whether the file would change.

    CLI Example:

    .. code-block:: bash

        salt 'replica*' pgreplica.pgpass verify=True
    """
    args = ["pgpass"]
    _flag(args, verify, "--verify")
    _flag(args, dry_run, "--dry-run")
    return _run_with_pillar_password(args, config, password_pillar)
