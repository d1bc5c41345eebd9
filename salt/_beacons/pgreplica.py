"""
Beacon: this replica's replication health on Salt's event bus.

Every ``interval`` seconds it runs ``pgreplica check`` (through the execution
module) and fires an event when the judgement changes: the state
(OK / WARNING / CRITICAL / UNKNOWN) or the list of problems pgreplica names
(receiver not streaming, lag past the pillar's thresholds, slot missing or
inactive, ...). pgreplica decides what is healthy; the beacon only reports
changes. The first check after the minion starts always fires.

.. code-block:: yaml

    beacons:
      pgreplica:
        - interval: 30
        - config: /etc/pgreplica/pgreplica.yaml   # optional: as the execution module

Event tag ``salt/beacon/<minion id>/pgreplica/<state>``, data::

    {"state": "CRITICAL", "previous": "OK", "problems": [...], "line": "...",
     "exit_code": 2, "id": "<minion id>"}
"""

__virtualname__ = "pgreplica"

_LAST = "pgreplica.beacon.last"


def __virtual__():
    return __virtualname__


def _settings(config):
    settings = {}
    for item in config if isinstance(config, list) else [config]:
        if isinstance(item, dict):
            settings.update(item)
    return settings


def validate(config):
    if not isinstance(config, (list, dict)):
        return False, "pgreplica beacon: the configuration must be a list of settings"
    settings = _settings(config)
    if "config" in settings and not isinstance(settings["config"], str):
        return False, "pgreplica beacon: config must be the path of pgreplica's configuration file"
    return True, "valid"


def beacon(config):
    settings = _settings(config)
    data = __salt__["pgreplica.check"](config=settings.get("config"))
    state = data.get("state") or "UNKNOWN"
    problems = data.get("problems") or []
    if not data.get("state") and data.get("error"):
        problems = [data["error"].get("message", "pgreplica failed")]
    now = (state, tuple(problems))
    last = __context__.get(_LAST)
    __context__[_LAST] = now
    if last == now:
        return []
    return [{"tag": state, "state": state, "previous": last[0] if last else None, "problems": problems,
             "line": data.get("line", ""), "exit_code": data.get("exit_code", data.get("retcode"))}]
