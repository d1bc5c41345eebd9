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


def render(sls, pillar, grains=None):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), undefined=jinja2.StrictUndefined)
    grains = grains or {"os_family": "Debian", "host": "replica-01"}
    context = {"salt": {"pillar.get": pillar_get(pillar)}, "pillar": pillar, "grains": grains}
    text = env.get_template("pgreplica/" + sls + ".sls").render(**context)
    return text, yaml.safe_load(text)


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
        for sls in ("init", "packages", "config", "pgpass", "replica", "decommission"):
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

    def test_config_is_serialized_from_pillar_with_mode_0640(self):
        _, data = render("config", self.pillar)
        config = functions(data["pgreplica-config"])["file.serialize"]
        self.assertEqual(config["name"], "/etc/pgreplica/pgreplica.yaml")
        self.assertEqual(config["mode"], "0640")
        dataset = config["dataset"]
        self.assertEqual(dataset["primary"]["host"], "primary.example.com")
        self.assertEqual(dataset["replication"]["user"], "replicator")
        self.assertEqual(dataset["replication"]["password_file"], "/etc/pgreplica/replication.secret")
        self.assertEqual(dataset["local"]["service"], {"type": "systemd", "unit": "postgresql@15-main"})
        self.assertNotIn(self.password, json.dumps(dataset))
        secret = functions(data["pgreplica-secret"])["file.managed"]
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
            _, data = render("config", self.pillar, grains)
            dataset = functions(data["pgreplica-config"])["file.serialize"]["dataset"]
            self.assertEqual(dataset["local"]["service"], expected, grains)

    def test_packages_by_os_family(self):
        _, debian = render("packages", self.pillar)
        self.assertEqual(functions(debian["pgreplica-postgresql-packages"])["pkg.installed"]["pkgs"],
                         ["postgresql-15", "postgresql-client-15"])
        self.assertIn("pgreplica-binary", debian)
        _, freebsd = render("packages", self.pillar, {"os_family": "FreeBSD", "host": "replica-01"})
        self.assertEqual(functions(freebsd["pgreplica-postgresql-packages"])["pkg.installed"]["pkgs"],
                         ["postgresql15-server", "postgresql15-client"])
        _, config = render("config", self.pillar, {"os_family": "FreeBSD", "host": "r"})
        self.assertEqual(functions(config["pgreplica-config"])["file.serialize"]["name"],
                         "/usr/local/etc/pgreplica/pgreplica.yaml")

    def test_replica_pgpass_and_decommission_use_the_state_module(self):
        _, replica = render("replica", self.pillar)
        present = functions(replica["pgreplica-replica"])["pgreplica.replica_present"]
        self.assertEqual(present["config"], "/etc/pgreplica/pgreplica.yaml")
        self.assertEqual(present["require"], [{"pgreplica": "pgreplica-pgpass"}])
        _, pgpass = render("pgpass", self.pillar)
        self.assertIn("pgreplica.pgpass_present", pgpass["pgreplica-pgpass"])
        _, decom = render("decommission", self.pillar)
        self.assertEqual(functions(decom["pgreplica-slot-absent"])["pgreplica.slot_absent"]["name"], "replica-01")
        pillar = load_pillar()
        pillar["pgreplica"]["decommission_node"] = "replica-02.example.com"
        _, decom = render("decommission", pillar)
        self.assertEqual(functions(decom["pgreplica-slot-absent"])["pgreplica.slot_absent"]["name"],
                         "replica-02.example.com")


if __name__ == "__main__":
    unittest.main()
