"""The formula's SLS files rendered the way Salt renders them (Jinja, then
YAML), with pillar.example as the pillar: state ids, functions, arguments,
and that no secret ends up in a rendered state."""

import json
import os
import unittest

import jinja2
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "salt")


def load_pillar():
    with open(os.path.join(ROOT, "pillar.example"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def pillar_get(pillar):
    def get(key, default=""):
        value = pillar
        for part in key.split(":"):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value
    return get


def context(pillar, grains):
    grains = dict(grains or {"os_family": "Debian", "host": "replica-01"})
    grains.setdefault("id", grains["host"] + ".example.com")
    # The binary is not installed where the formula renders here: no check_cmd probe runs.
    salt = {"pillar.get": pillar_get(pillar), "file.file_exists": lambda path: False,
            "cmd.run_stdout": lambda *a, **k: ""}
    return {"salt": salt, "pillar": pillar, "grains": grains}


def render(sls, pillar, grains=None):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), undefined=jinja2.StrictUndefined)
    text = env.get_template("pgreplica/" + sls + ".sls").render(**context(pillar, grains))
    return text, yaml.safe_load(text)


def dataset(pillar, grains=None):
    """The configuration files/pgreplica.yaml.jinja writes (Salt's yaml filter: its data)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), undefined=jinja2.StrictUndefined)
    text = env.from_string('{% from "pgreplica/map.jinja" import dataset with context %}{{ dataset | tojson }}')
    return json.loads(text.render(**context(pillar, grains)))


def functions(state):
    """{'file.managed': [args...]} for one state id (Salt's 'module.function: [args]' form)."""
    out = {}
    for key, args in state.items():
        out[key] = {k: v for item in args if isinstance(item, dict) for k, v in item.items()}
    return out


class FormulaTest(unittest.TestCase):
    def setUp(self):
        self.pillar = load_pillar()
        # A password that cannot appear by accident (pillar.example's "secret" is in file names).
        self.password = "Zq8:pw\\'x\" #7"
        self.pillar["secrets"]["replica"]["password"] = self.password

    def test_every_sls_renders_to_valid_states(self):
        for sls in ("init", "packages", "config", "pgpass", "replica", "decommission", "primary"):
            text, data = render(sls, self.pillar)
            self.assertIsInstance(data, dict, sls)
            for sid, body in data.items():
                if sid == "include":
                    self.assertIsInstance(body, list)
                    continue
                self.assertIsInstance(body, dict, "{}: {}".format(sls, sid))
                for fun, args in body.items():
                    self.assertRegex(fun, r"^[a-z_]+\.[a-z_]+$", "{}: {} is not module.function".format(sls, sid))
                    self.assertIsInstance(args, list, "{}: {}".format(sls, sid))
            self.assertNotIn(self.password, text, "the password must not be in the rendered " + sls)
            self.assertNotIn("- managed", text)

    def test_init_includes_the_rest(self):
        _, data = render("init", self.pillar)
        self.assertEqual(data["include"], ["pgreplica.packages", "pgreplica.config", "pgreplica.pgpass",
                                           "pgreplica.replica"])

    def test_config_is_rendered_from_pillar_with_mode_0640(self):
        _, data = render("config", self.pillar)
        config = functions(data["pgreplica-config"])["file.managed"]
        self.assertEqual(config["name"], "/etc/pgreplica/pgreplica.yaml")
        self.assertEqual(config["mode"], "0640")
        self.assertEqual(config["source"], "salt://pgreplica/files/pgreplica.yaml.jinja")
        data = dataset(self.pillar)
        self.assertEqual(data["primary"]["host"], "primary.example.com")
        self.assertEqual(data["replication"]["user"], "replicator")
        self.assertEqual(data["replication"]["password_file"], "/etc/pgreplica/replication.secret")
        self.assertEqual(data["local"]["service"], {"type": "systemd", "unit": "postgresql@15-main"})
        self.assertNotIn(self.password, json.dumps(data))
        _, pgpass = render("pgpass", self.pillar)
        secret = functions(pgpass["pgreplica-secret"])["file.managed"]
        self.assertEqual(secret["contents_pillar"], "secrets:replica:password")
        self.assertEqual(secret["mode"], "0600")
        self.assertEqual(secret["user"], "root")
        self.assertFalse(secret["show_changes"])

    def test_service_default_follows_the_init_system(self):
        del self.pillar["pgreplica"]["service"]
        cases = [
            ({"os_family": "Debian", "host": "r", "init": "systemd"},
             {"type": "systemd", "unit": "postgresql@15-main"}),
            ({"os_family": "Debian", "host": "r"}, {"type": "systemd", "unit": "postgresql@15-main"}),
            ({"os_family": "Debian", "host": "r", "init": "sysvinit"}, {"type": "service", "unit": "postgresql"}),
            ({"os_family": "Debian", "host": "r", "init": "unknown"}, {"type": "service", "unit": "postgresql"}),
            ({"os_family": "FreeBSD", "host": "r", "init": "bsdinit"}, {"type": "service", "unit": "postgresql"}),
        ]
        for grains, expected in cases:
            self.assertEqual(dataset(self.pillar, grains)["local"]["service"], expected, grains)

    def test_packages_by_os_family(self):
        _, debian = render("packages", self.pillar)
        self.assertEqual(functions(debian["pgreplica-postgresql-packages"])["pkg.installed"]["pkgs"],
                         ["postgresql-15", "postgresql-client-15"])
        self.assertIn("pgreplica-binary", debian)
        _, freebsd = render("packages", self.pillar, {"os_family": "FreeBSD", "host": "replica-01"})
        self.assertEqual(functions(freebsd["pgreplica-postgresql-packages"])["pkg.installed"]["pkgs"],
                         ["postgresql15-server", "postgresql15-client"])
        _, config = render("config", self.pillar, {"os_family": "FreeBSD", "host": "r"})
        self.assertEqual(functions(config["pgreplica-config"])["file.managed"]["name"],
                         "/usr/local/etc/pgreplica/pgreplica.yaml")

    def test_replica_pgpass_and_decommission_use_the_state_module(self):
        _, replica = render("replica", self.pillar)
        present = functions(replica["pgreplica-replica"])["pgreplica.replica_present"]
        self.assertEqual(present["config"], "/etc/pgreplica/pgreplica.yaml")
        self.assertEqual(present["require"], [{"pgreplica": "pgreplica-pgpass"}])
        _, pgpass = render("pgpass", self.pillar)
        self.assertEqual(functions(pgpass["pgreplica-pgpass"])["pgreplica.pgpass_present"]["password_pillar"],
                         "secrets:replica:password")
        # The secrets file is replaced only after pgreplica proved the password.
        self.assertIn({"pgreplica": "pgreplica-pgpass"},
                      functions(pgpass["pgreplica-secret"])["file.managed"]["require"])
        _, decom = render("decommission", self.pillar)
        # This minion's own slot: neither node nor slot, so pgreplica takes the configuration's
        # (pillar pgreplica:slot) instead of deriving one from the host name.
        own = functions(decom["pgreplica-slot-absent"])["pgreplica.slot_absent"]
        self.assertEqual(own["name"], "replica-01.example.com")
        self.assertNotIn("node", own)
        self.assertNotIn("slot", own)
        pillar = load_pillar()
        pillar["pgreplica"]["decommission_node"] = "replica-02.example.com"
        _, decom = render("decommission", pillar)
        other = functions(decom["pgreplica-slot-absent"])["pgreplica.slot_absent"]
        self.assertEqual(other["node"], "replica-02.example.com")


if __name__ == "__main__":
    unittest.main()
