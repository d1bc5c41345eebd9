"""
State module for pgreplica. Each state calls the execution module (which
runs the pgreplica binary) and turns its JSON into Salt's return structure;
``test=True`` runs pgreplica's --dry-run or read-only checks and touches
nothing.

.. code-block:: yaml

    pgreplica-replica:
      pgreplica.replica_present:
        - name: /var/lib/postgresql/15/main
        - config: /etc/pgreplica/pgreplica.yaml
"""


def _ret(name):
    return {"name": name, "changes": {}, "result": False, "comment": ""}


def _error(data):
    err = data.get("error") or {}
    parts = [err.get("message", "pgreplica failed")]
    for key in ("detail", "hint"):
        if err.get(key):
            parts.append(err[key])
    return " ".join(parts)


def _failed_checks(data):
    checks = (data.get("preflight") or data).get("checks") or []
    return [c["name"] + ": " + c.get("message", "") for c in checks if c.get("status") == "fail"]


def replica_present(name, config=None, force=False, verify=True):
    """
    This minion is a hot standby streaming from the configured primary
    through its slot. Nothing happens when it already is; otherwise it is
    cloned (the old data directory is kept aside).
    """
    ret = _ret(name)
    test = __opts__.get("test", False)
    data = __salt__["pgreplica.clone"](config=config, if_needed=True, dry_run=test, force=force, verify=verify)
    if data.get("already_streaming"):
        ret["result"] = True
        ret["comment"] = "already a standby streaming through slot {}".format(data.get("slot"))
        return ret
    if not data.get("ok"):
        failed = _failed_checks(data)
        ret["comment"] = _error(data) + ("" if not failed else " Failed checks: " + "; ".join(failed))
        return ret
    plan = data.get("plan") or {}
    if test:
        ret["result"] = None
        ret["changes"] = {"clone": {"slot": data.get("slot"), "data_directory": plan.get("data_directory"),
                                    "replace_existing": plan.get("replace_existing")}}
        ret["comment"] = "would clone a standby into {}".format(plan.get("data_directory"))
        return ret
    ret["result"] = True
    ret["changes"] = {"clone": {"slot": data.get("slot"), "job": data.get("job"),
                                "old_directory": data.get("old_directory")}}
    ret["comment"] = "cloned a standby streaming through slot {} (job {})".format(data.get("slot"), data.get("job"))
    return ret


def slot_absent(name, config=None, slot=None, force=False):
    """
    The replication slot of replica ``name`` (or ``slot``) does not exist on the primary.
    """
    ret = _ret(name)
    test = __opts__.get("test", False)
    node = None if slot else name
    data = __salt__["pgreplica.decommission"](node=node, slot=slot or None, force=force, dry_run=test,
                                              config=config)
    if not data.get("ok"):
        ret["comment"] = _error(data)
        return ret
    if not data.get("slot_existed"):
        ret["result"] = True
        ret["comment"] = "slot {} is already absent".format(data.get("slot"))
        return ret
    if test:
        ret["result"] = None
        ret["changes"] = {"dropped": data.get("slot")}
        ret["comment"] = "would drop slot {}".format(data.get("slot"))
        return ret
    ret["result"] = True
    ret["changes"] = {"dropped": data.get("slot"), "released_bytes": data.get("released_bytes")}
    ret["comment"] = "dropped slot {}".format(data.get("slot"))
    return ret


def primary_ready(name, config=None):
    """
    The primary has what streaming replication needs (settings, role, pg_hba.conf line).
    """
    ret = _ret(name)
    check = __salt__["pgreplica.primary_check"](config=config)
    if check.get("ok"):
        ret["result"] = True
        ret["comment"] = "the primary is ready for streaming replication"
        return ret
    if "checks" not in check:
        ret["comment"] = _error(check)
        return ret
    failed = _failed_checks(check)
    if __opts__.get("test", False):
        ret["result"] = None
        ret["changes"] = {"fix": failed}
        ret["comment"] = "would run pgreplica primary setup"
        return ret
    setup = __salt__["pgreplica.primary_setup"](config=config)
    if "actions" not in setup:
        ret["comment"] = _error(setup)
        return ret
    changed = [a["message"] for a in setup["actions"] if a.get("changed")]
    if changed:
        ret["changes"] = {"actions": changed}
    if setup.get("ok") is False:
        # Stopped (error), or an item failed (a password that does not match): what was
        # changed before stays in the changes.
        failed = [a["message"] for a in setup["actions"] if a.get("status") == "failed"]
        ret["comment"] = _error(setup) if setup.get("error") else "; ".join(failed)
        return ret
    ret["result"] = True
    ret["comment"] = "restart the primary to apply the settings" if setup.get("restart_required") else "set up"
    return ret


def pgpass_present(name, config=None):
    """
    The OS user's password file has the replication entry for the primary.
    """
    ret = _ret(name)
    if __opts__.get("test", False):
        ret["result"] = None
        ret["comment"] = "would write the replication entry into the password file of {}".format(name)
        return ret
    data = __salt__["pgreplica.pgpass"](config=config)
    if not data.get("ok"):
        ret["comment"] = _error(data)
        return ret
    ret["result"] = True
    if data.get("changed"):
        ret["changes"] = {"file": data.get("file"), "entry": data.get("entry")}
    ret["comment"] = "{} has the entry {}".format(data.get("file"), data.get("entry"))
    return ret
