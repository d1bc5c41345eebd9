"""The bash completion, driven through bash's own completion machinery.

Each test sets COMP_WORDS and COMP_CWORD as bash does for a command line and calls the
function `complete -p pgreplica` names, then reads COMPREPLY. The expected words come from
the built program itself: its --help (commands, options, --output's formats) and its jobs
list (job ids of real jobs it recorded). PGREPLICA_BINARY, PGREPLICA_COMPLETION: another
build or the installed files.
"""

import json
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import unittest

import helptext

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CompletionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = helptext.command_tree()
        cls.tmp = tempfile.mkdtemp(prefix="pgreplica-completion-")
        os.chmod(cls.tmp, 0o700)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def complete(self, *words, loader=False, cwd=None):
        """COMPREPLY for a command line whose last word is the one being completed.

        Words are given as bash splits them (COMP_WORDBREAKS makes "--output=js" the three
        words "--output", "=", "js"). With loader, the script is found the way
        bash-completion finds it for a command: by name, in a completions directory.
        """
        words = [helptext.BINARY, *words]
        if loader:
            compdir = os.path.join(self.tmp, "user", "completions")
            os.makedirs(compdir, exist_ok=True)
            link = os.path.join(compdir, os.path.basename(helptext.BINARY))
            if not os.path.exists(link):
                os.symlink(helptext.COMPLETION, link)
            setup = (f"source {BASH_COMPLETION}; "
                     f"__load_completion {shlex.quote(helptext.BINARY)} || exit 3; ")
        else:
            setup = (f"source {shlex.quote(helptext.COMPLETION)}; "
                     f"complete -F _pgreplica {shlex.quote(helptext.BINARY)}; ")
        line = " ".join(words)
        script = (setup +
                  f"spec=$(complete -p {shlex.quote(helptext.BINARY)} 2>/dev/null || "
                  f"complete -p {shlex.quote(os.path.basename(helptext.BINARY))}) || exit 4; "
                  'func=${spec#*-F }; func=${func%% *}; '
                  f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); "
                  f"COMP_CWORD={len(words) - 1}; COMP_LINE={shlex.quote(line)}; "
                  f"COMP_POINT={len(line)}; COMP_TYPE=9; "
                  '"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" '
                  '"${COMP_WORDS[COMP_CWORD-1]}"; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        env = {**os.environ, "BASH_COMPLETION_USER_DIR": os.path.join(self.tmp, "user")}
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                           text=True, env=env, cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(w for w in r.stdout.split("\n") if w)

    def test_commands(self):
        top = sorted(self.tree[""][0])
        self.assertEqual(self.complete(""), top)
        self.assertEqual(self.complete("st"), ["status"])
        for words, (subs, _) in self.tree.items():
            if words and subs:
                self.assertEqual(self.complete(*words.split(" "), ""), sorted(subs), words)

    def test_options_of_every_command(self):
        for words, (subs, options) in self.tree.items():
            if subs:
                continue
            with self.subTest(command=words):
                expected = sorted(f for o in options if not o.positional for f in o.flags
                                  if f.startswith("--"))
                self.assertGreater(len(expected), 3)
                self.assertEqual(self.complete(*words.split(" "), "--"), expected)
                # Options before the cursor do not change the command.
                self.assertIn("--quiet", self.complete(*words.split(" "), "--quiet", "--q"))

    def test_output_formats(self):
        for words, (subs, options) in self.tree.items():
            for o in options:
                if "--output" not in o.flags:
                    continue
                with self.subTest(command=words):
                    self.assertGreaterEqual(len(o.choices), 2)
                    argv = words.split(" ")
                    self.assertEqual(self.complete(*argv, "--output", ""), sorted(o.choices))
                    self.assertEqual(self.complete(*argv, "-o", ""), sorted(o.choices))
                    self.assertEqual(self.complete(*argv, "--output", "="), sorted(o.choices))
                    first = o.choices[0]
                    self.assertEqual(self.complete(*argv, "--output", "=", first[:2]),
                                     sorted(c for c in o.choices if c.startswith(first[:2])))
        self.assertEqual(self.complete("status", "-o", "pro"), ["prometheus"])
        self.assertEqual(self.complete("check", "--output", "n"), ["nagios"])

    def test_files_for_file_options(self):
        d = os.path.join(self.tmp, "files")
        os.makedirs(os.path.join(d, "conf.d"), exist_ok=True)
        open(os.path.join(d, "pgreplica.yaml"), "w").close()
        self.assertEqual(self.complete("status", "--config", "pg", cwd=d), ["pgreplica.yaml"])
        self.assertEqual(self.complete("clone", "--data-directory", "", cwd=d), ["conf.d"])
        # config check's FILE argument (Salt's check_cmd passes it last).
        self.assertEqual(self.complete("config", "check", "pg", cwd=d), ["pgreplica.yaml"])
        self.assertEqual(self.complete("config", "check", "-q", "pg", cwd=d), ["pgreplica.yaml"])
        self.assertEqual(self.complete("config", "check", "--set", "primary.port", "=", "5", "pg",
                                       cwd=d), ["pgreplica.yaml"])
        # A value is not taken for a command: "status --config status <TAB>" offers nothing new.
        self.assertEqual(self.complete("status", "--config", "x", ""), [])

    def make_jobs(self, state):
        os.makedirs(state, mode=0o700, exist_ok=True)
        for node in ("replica-1", "replica-2"):
            subprocess.run([helptext.BINARY, "decommission", "--node", node, "--host",
                            "127.0.0.1", "--port", str(closed_port()), "--connect-timeout", "2",
                            "--state-directory", state], capture_output=True, check=False)
        out = subprocess.run([helptext.BINARY, "jobs", "list", "--output", "json",
                              "--state-directory", state], capture_output=True, text=True)
        ids = sorted(j["id"] for j in json.loads(out.stdout)["jobs"])
        self.assertEqual(len(ids), 2, out.stdout)
        return ids

    def test_job_ids_for_jobs_show(self):
        state = os.path.join(self.tmp, "state")
        ids = self.make_jobs(state)
        self.assertEqual(self.complete("jobs", "show", "--state-directory", state, ""), ids)
        self.assertEqual(self.complete("jobs", "show", "--state-directory", "=", state, ""), ids)
        self.assertEqual(self.complete("jobs", "show", "--set", f"state_directory={state}", ""),
                         ids)
        # As bash splits "--set state_directory=DIR" (COMP_WORDBREAKS holds "="): the key was
        # taken for the value and DIR for the job id, and nothing was offered (new-user trial).
        self.assertEqual(self.complete("jobs", "show", "--set", "state_directory", "=", state, ""),
                         ids)
        config = os.path.join(self.tmp, "jobs.yaml")
        with open(config, "w") as f:
            f.write(f"state_directory: {state}\n")
        self.assertEqual(self.complete("jobs", "show", "-c", config, ids[1][:-2]), [ids[1]])
        # One id only; another state directory has none.
        self.assertEqual(self.complete("jobs", "show", "--state-directory", state, ids[0], ""), [])
        empty = os.path.join(self.tmp, "empty-state")
        os.makedirs(empty, mode=0o700, exist_ok=True)
        self.assertEqual(self.complete("jobs", "show", "--state-directory", empty, ""), [])

    def test_bash_completion_finds_it_by_name(self):
        if not os.path.exists(BASH_COMPLETION):
            self.skipTest(f"{BASH_COMPLETION} is missing (Debian package bash-completion)")
        self.assertEqual(self.complete("", loader=True), sorted(self.tree[""][0]))
        self.assertEqual(self.complete("status", "--output", "", loader=True),
                         ["json", "prometheus", "text"])


if __name__ == "__main__":
    unittest.main()
