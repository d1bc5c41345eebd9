"""
State module for pgreplica. Each state calls the execution module (which
runs the pgreplica binary) and turns its JSON into Salt's return structure;
``test=True`` runs pgreplica's --dry-run or read-only checks and touches
nothing. pgreplica decides; these functions only translate.

.. code-block:: yaml

    pgreplica-replica:
      pgreplica.replica_present:
        - name: /var/lib/postgresql/15/main
        - config: /etc/pgreplica/pgreplica.yaml
"""

import os

# The execution module's retcode when the binary is missing (as a shell says).
_NOT_INSTALLED = 127


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


def _not_ready_in_test(ret, data, config, would):
    """test=True on a minion where this run would first install pgreplica or write its
    configuration: the prediction is the change itself (nothing to ask pgreplica yet)."""
    if not __opts__.get("test", False):
        return False
    if data is not None and data.get("retcode") != _NOT_INSTALLED:
        return False
    if data is None and (not config or os.path.exists(config)):
        return False
    ret["result"] = None
    ret["changes"] = {"pending": would}
    ret["comment"] = "{} (pgreplica or its configuration is installed earlier in this run)".format(would)
    return True


def replica_present(name, config=None, force=False, verify=True):
    """
    This minion is a hot standby streaming from the configured primary
    through its slot. Nothing happens when it already is (pgreplica clone
    --if-needed, which records no job then); otherwise it is cloned (the old
    data directory is kept aside).
    """
    ret = _ret(name)
    test = __opts__.get("test", False)
    if _not_ready_in_test(ret, None, config, "would clone a standby into {}".format(name)):
        return ret
    data = __salt__["pgreplica.clone"](config=config, if_needed=True, dry_run=test, force=force, verify=verify)
    if _not_ready_in_test(ret, data, config, "would clone a standby into {}".format(name)):
        return ret
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


def slot_absent(name, config=None, node=None, slot=None, force=False):
    """
    A replica's replication slot does not exist on the primary. Which slot:
    ``slot`` if given, else the slot pgreplica derives for replica ``node``,
    else (neither given) the slot this minion's own configuration uses
    (replication.slot, as the pillar sets it). ``name`` is only a label.
    """
    ret = _ret(name)
    test = __opts__.get("test", False)
    data = __salt__["pgreplica.decommission"](node=node, slot=slot, force=force, dry_run=test, config=config)
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


def primary_ready(name, config=None, password_pillar=None):
    """
    The primary has what streaming replication needs (settings, role, pg_hba.conf line).
    ``password_pillar``: the pillar key of the replication password, handed to
    pgreplica on standard input (else the secrets file of the configuration).
    """
    ret = _ret(name)
    would = "would check the primary and run pgreplica primary setup where needed"
    if _not_ready_in_test(ret, None, config, would):
        return ret
    check = __salt__["pgreplica.primary_check"](config=config, password_pillar=password_pillar)
    if _not_ready_in_test(ret, check, config, would):
        return ret
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
    setup = __salt__["pgreplica.primary_setup"](config=config, password_pillar=password_pillar)
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


def pgpass_present(name, config=None, password_pillar=None, verify=True):
    """
    The OS user's password file has the replication entry for the primary.

    ``password_pillar`` (e.g. ``secrets:replica:password``): the password is
    read from the pillar and handed to pgreplica on standard input, so that the
    new password can be proven before anything holding the old one is
    replaced (else pgreplica reads the secrets file of the configuration).
    ``verify`` (default): pgreplica first makes a replication connection with
    it; if the primary refuses, nothing is written and the state fails with
    pgreplica's message. ``test=True`` asks pgreplica whether the file would
    change (and whether the login works) without writing.
    """
    ret = _ret(name)
    test = __opts__.get("test", False)
    would = "would write the replication entry into the password file of {}".format(name)
    if _not_ready_in_test(ret, None, config, would):
        return ret
    data = __salt__["pgreplica.pgpass"](config=config, verify=verify, dry_run=test, password_pillar=password_pillar)
    if _not_ready_in_test(ret, data, config, would):
        return ret
    if not data.get("ok"):
        ret["comment"] = _error(data)
        return ret
    ret["result"] = True
    if test:
        if data.get("changed"):
            ret["result"] = None
            ret["changes"] = {"file": data.get("file"), "entry": data.get("entry")}
            ret["comment"] = "would write the entry {} into {}".format(data.get("entry"), data.get("file"))
        else:
            ret["comment"] = "{} already has the entry {}".format(data.get("file"), data.get("entry"))
        return ret
    if data.get("changed"):
        ret["changes"] = {"file": data.get("file"), "entry": data.get("entry")}
    ret["comment"] = "{} has the entry {}".format(data.get("file"), data.get("entry"))
    return ret
