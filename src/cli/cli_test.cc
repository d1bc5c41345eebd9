// Bad and hostile input to the real binary: each gives one clear error in
// PostgreSQL's style and its documented exit code, never a crash.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "common/fs.h"
#include "conf/config.h"
#include "proc/child.h"
#include "proc/user.h"
#include "support/port.h"

namespace pgreplica {
namespace {

struct Outcome {
  int code;
  std::string output;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("/tmp", "pgreplica-cli-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
    // The PostgreSQL OS user is never root (LookupUser refuses it): as root, postgres.
    const char* os_user = std::getenv("PGREPLICA_TEST_OS_USER");
    user_ = !proc::RunningAsRoot()           ? proc::CurrentUser()->name
            : os_user != nullptr && *os_user ? os_user
                                             : "postgres";
  }

  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    std::string path = dir_->path() + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, text, mode));
    return path;
  }

  Outcome Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    // PGREPLICA_TEST_BINARY runs the tests against another build (an older one, to see
    // which inputs it got wrong).
    const char* other = std::getenv("PGREPLICA_TEST_BINARY");
    std::vector<std::string> argv = {other && *other ? other : PGREPLICA_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    if (!stdin_text.empty() ||
        std::find(args.begin(), args.end(), "--password-stdin") != args.end()) {
      // Feed standard input through a file: the child reads /dev/null otherwise.
      std::string in = Write("stdin", stdin_text);
      argv = {"sh", "-c", "exec \"$0\" \"$@\" < " + in, argv[0]};
      argv.insert(argv.end(), args.begin(), args.end());
    }
    auto r = proc::Run({.argv = argv, .env = {{"NO_COLOR", "1"}}});
    EXPECT_TRUE(r);
    return {r->status.code, r->output};
  }

  // One error in PostgreSQL's style, with the given exit code.
  void ExpectError(const Outcome& o, int code, const std::string& fragment) {
    EXPECT_EQ(o.code, code) << o.output;
    EXPECT_EQ(o.output.rfind("pgreplica: error: ", 0), 0u) << o.output;
    EXPECT_NE(o.output.find(fragment), std::string::npos) << o.output;
    // Lower case, except for acronyms such as "OS".
    std::string word = o.output.substr(18, 2);
    EXPECT_FALSE(word.size() == 2 && std::isupper(static_cast<unsigned char>(word[0])) &&
                 std::islower(static_cast<unsigned char>(word[1])))
        << o.output;
    for (const char* crash :
         {"terminate called", "what():", "Aborted", "Segmentation", "runtime error"})
      EXPECT_EQ(o.output.find(crash), std::string::npos) << o.output;
    size_t errors = 0;
    for (size_t p = 0; (p = o.output.find("error:", p)) != std::string::npos; ++p) ++errors;
    EXPECT_EQ(errors, 1u) << o.output;
  }

  std::string Config(const std::string& yaml) { return Write("config.yaml", yaml); }

  std::unique_ptr<TempDir> dir_;
  std::string user_;
};

// Every command of the command table by its path ("" for the program, "primary setup").
void CommandPaths(const CLI::App& app, const std::string& path, std::vector<std::string>& out) {
  out.push_back(path);
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
    CommandPaths(*s, path.empty() ? s->get_name() : path + " " + s->get_name(), out);
}

// The names of the options that a --help text lists ("-D", "--data-directory").
std::set<std::string> OptionNames(const std::string& help) {
  std::set<std::string> out;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("  -")) continue;
    std::string names = line.substr(2, line.find(' ', 2) - 2);
    for (size_t at = 0, comma; at <= names.size(); at = comma + 1) {
      comma = names.find(',', at);
      if (comma == std::string::npos) comma = names.size();
      out.insert(names.substr(at, comma - at));
    }
  }
  return out;
}

// --help works for every command, and lists the option of exactly the configuration keys
// that the schema gives the command.
TEST_F(CliTest, HelpOnEveryCommand) {
  CLI::App app{cli::kProgramDescription, cli::kProgramName};
  cli::Runner runner;
  cli::BuildApp(app, runner, {});
  std::vector<std::string> paths;
  CommandPaths(app, "", paths);
  EXPECT_GE(paths.size(), 15u);
  for (const auto& k : conf::ConfigKeys()) {
    for (const auto& c : k.commands)
      EXPECT_NE(std::find(paths.begin(), paths.end(), c), paths.end())
          << "the schema gives " << k.key << " to \"" << c << "\", which is no command";
    EXPECT_TRUE(k.commands.empty() || !k.option.empty()) << k.key;
  }
  for (const auto& path : paths) {
    std::vector<std::string> args;
    std::istringstream words(path);
    for (std::string w; words >> w;) args.push_back(w);
    args.push_back("--help");
    auto o = Run(args);
    EXPECT_EQ(o.code, 0) << path << ": " << o.output;
    EXPECT_NE(o.output.find("Usage:"), std::string::npos) << path << ": " << o.output;
    std::set<std::string> listed = OptionNames(o.output);
    for (const auto& k : conf::ConfigKeys()) {
      bool takes = std::find(k.commands.begin(), k.commands.end(), path) != k.commands.end();
      bool described = o.output.find(" (" + k.key + ")\n") != std::string::npos;
      EXPECT_EQ(described, takes) << "pgreplica " << path << " --help, " << k.key << ":\n"
                                  << o.output;
      for (const auto& name : OptionNames("  " + k.option + " "))
        EXPECT_EQ(listed.count(name) > 0, takes)
            << "pgreplica " << path << " --help, " << name << " (" << k.key << "):\n"
            << o.output;
    }
  }
  auto v = Run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.output.rfind("pgreplica ", 0), 0u);
}

TEST_F(CliTest, UsageErrors) {
  ExpectError(Run({}), 2, "invalid command line");
  ExpectError(Run({"frobnicate"}), 2, "invalid command line");
  ExpectError(Run({"doctor", "--frobnicate"}), 2, "--frobnicate");
  ExpectError(Run({"doctor", "--output", "xml"}), 2, "xml");
  ExpectError(Run({"pgpass", "--config", Config(""), "--set", "noequals"}), 2,
              "invalid --set argument");
  ExpectError(Run({"pgpass", "--config", Config(""), "--set", "primary.hots=x"}), 2,
              "Did you mean \"primary.host\"?");
  ExpectError(Run({"pgpass", "--config", Config(""), "--port", "70000"}), 2,
              "invalid value for --port: \"70000\"");
  ExpectError(Run({"pgpass", "--config", Config(""), "--port", "0"}), 2, "from 1 to 65535");
  ExpectError(Run({"pgpass", "--config", Config(""), "--host", "db'1"}), 2,
              "invalid value for --host");
  ExpectError(Run({"pgpass", "--config", Config(""), "--host", "db 1"}), 2, "a space");
}

TEST_F(CliTest, ConfigFileErrors) {
  ExpectError(Run({"pgpass", "--config", dir_->path() + "/missing.yaml"}), 5,
              "could not read configuration file");
  ExpectError(Run({"pgpass", "--config", dir_->path()}), 5, "could not read configuration file");
  ExpectError(Run({"pgpass", "--config", Config("primary: [unclosed\n")}), 3,
              "could not parse configuration file");
  ExpectError(Run({"pgpass", "--config", Config("primary:\n\thost: x\n")}), 3, "could not parse");
  ExpectError(Run({"pgpass", "--config", Config("primary:\n  hots: x\n")}), 4, "line 2");
  ExpectError(Run({"pgpass", "--config", Config("secondary:\n  host: x\n")}), 4, "\"secondary\"");
  ExpectError(Run({"pgpass", "--config", Config("primary:\n  port: abc\n")}), 4,
              "\"primary.port\"");
  ExpectError(Run({"pgpass", "--config", Config("primary:\n  port: 70000\n")}), 4, "line 2");
  ExpectError(Run({"pgpass", "--config", Config("primary:\n  host: \"a b\"\n")}), 4,
              "\"primary.host\"");
  ExpectError(Run({"pgpass", "--config", Config("local:\n  bindir: /nonexistent/bin\n")}), 4,
              "\"local.bindir\"");
  ExpectError(Run({"pgpass", "--config", Config("- a\n- b\n")}), 4, "Expected a mapping");
  ExpectError(Run({"pgpass", "--config", Config("connect_timeout: 1\nconnect_timeout: 2\n")}), 4,
              "duplicate");
  ExpectError(Run({"pgpass", "--config", Config("replication:\n  slot: Node-A\n")}), 4,
              "\"replication.slot\"");
}

TEST_F(CliTest, SecretErrors) {
  std::string base = "primary:\n  host: db1\nlocal:\n  os_user: " + user_ +
                     "\n  pgpass_file: " + dir_->path() + "/pgpass\n";
  std::string open = Write("open.secret", "pw\n", 0640);
  ExpectError(Run({"pgpass", "--config", Config(base), "--password-file", open}), 6,
              "is not private");
  std::string empty = Write("empty.secret", "\n", 0600);
  ExpectError(Run({"pgpass", "--config", Config(base), "--password-file", empty}), 4,
              "empty password");
  ExpectError(Run({"pgpass", "--config", Config(base), "--password-file", dir_->path() + "/none"}),
              5, "could not open secrets file");
  ExpectError(Run({"pgpass", "--config", Config(base), "--password-stdin"}, ""), 2,
              "no password on standard input");
  ExpectError(Run({"pgpass", "--config", Config(base)}), 4, "no replication password given");
  ExpectError(
      Run({"pgpass", "--config", Config("local:\n  os_user: " + user_ + "\n"), "--password-stdin"},
          "x\n"),
      4, "no primary host given");
  ExpectError(
      Run({"pgpass", "--config", Config(base), "--os-user", "no_such_user_pgr", "--password-stdin"},
          "x\n"),
      10, "OS user \"no_such_user_pgr\" does not exist");
  for (const char* text : {"abc\ndef", "abc\ndef\n", "abc\n\n", "abc\r\nx"}) {
    std::string multi = Write("multi.secret", text, 0600);
    ExpectError(Run({"pgpass", "--config", Config(base), "--password-file", multi}), 4,
                "holds more than one line");
    ExpectError(Run({"pgpass", "--config", Config(base), "--password-stdin"}, text), 2,
                "standard input holds more than one line");
  }
  // None of these runs wrote the password file.
  EXPECT_FALSE(*StatPath(dir_->path() + "/pgpass"));
}

TEST_F(CliTest, UnreachablePrimaryIsAConnectionError) {
  int port = FreePort();  // nothing listens there
  auto o = Run({"primary", "check", "--config", Config(""), "--host", "127.0.0.1", "--port",
                std::to_string(port), "--connect-timeout", "3"});
  ExpectError(o, 7, "could not connect to primary \"127.0.0.1\" port " + std::to_string(port));
  EXPECT_NE(o.output.find("pgreplica: detail: "), std::string::npos);
  EXPECT_NE(o.output.find("pgreplica: hint: "), std::string::npos);
}

TEST_F(CliTest, CheckReportsEveryProblemAsUnknown) {
  auto o = Run({"check", "--config", Config("primary:\n  port: abc\n")});
  EXPECT_EQ(o.code, 3) << o.output;
  EXPECT_EQ(
      o.output.rfind("PGREPLICA UNKNOWN - invalid value for configuration key \"primary.port\"", 0),
      0u)
      << o.output;
  auto none = Run({"check", "--config", Config("")});
  EXPECT_EQ(none.code, 3) << none.output;
}

TEST_F(CliTest, CheckUsageErrorIsUnknownNotCritical) {
  for (std::vector<std::string> args : {std::vector<std::string>{"check", "--frobnicate"},
                                        {"check", "--output", "xml"},
                                        {"check", "--lag-warn-mb"},
                                        {"check", "--inventory"}}) {
    auto o = Run(args);
    EXPECT_EQ(o.code, 3) << o.output;
    EXPECT_EQ(o.output.rfind("PGREPLICA UNKNOWN - invalid command line: ", 0), 0u) << o.output;
    EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
  }
}

TEST_F(CliTest, CommandsThatNeedAPrimaryOrDataDirectorySaySo) {
  ExpectError(Run({"clone", "--config", Config(""), "--state-directory", dir_->path() + "/state"}),
              4, "no data directory given");
  EXPECT_FALSE(*StatPath(dir_->path() + "/state")) << "a refused clone records nothing";
  ExpectError(Run({"clone", "--config", Config(""), "-D", "/tmp/x"}), 4, "no primary host given");
  ExpectError(Run({"status", "--config", Config("")}), 4, "configuration names no primary");
  ExpectError(Run({"decommission", "--config", Config("")}), 4, "no primary host given");
  ExpectError(Run({"decommission", "--config", Config(""), "--slot", "Bad-Name"}), 2,
              "invalid value for --slot");
  ExpectError(
      Run({"jobs", "show", "../etc", "--config", Config(""), "--state-directory", dir_->path()}), 2,
      "invalid job id");
  ExpectError(Run({"clone", "--config", Config(""), "--output", "prometheus"}), 2, "prometheus");
}

TEST_F(CliTest, ErrorsAsJson) {
  auto o = Run({"pgpass", "--config", Config("primary:\n  port: abc\n"), "--output", "json"});
  EXPECT_EQ(o.code, 4);
  EXPECT_NE(o.output.find("\"kind\": \"config_invalid\""), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("\"exit_code\": 4"), std::string::npos) << o.output;
  EXPECT_EQ(o.output.find("pgreplica: error"), std::string::npos) << o.output;
}

// --output json was ignored for errors of the command line: text on stderr, nothing on stdout.
TEST_F(CliTest, ParseErrorsHonourOutputJson) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status", "--bogus", "-o", "json"},
        {"status", "--output=json", "--port"},
        {"pgpass", "--output", "json", "--port", "1", "--port", "2"}}) {
    auto o = Run(args);
    EXPECT_EQ(o.code, 2) << o.output;
    auto j = nlohmann::json::parse(o.output, nullptr, false);
    ASSERT_TRUE(j.is_object()) << o.output;
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["error"]["kind"], "usage");
    EXPECT_EQ(j["error"]["exit_code"], 2);
    EXPECT_EQ(j["error"]["message"], "invalid command line");
  }
  // check: JSON when asked, else the Nagios line.
  auto json = Run({"check", "--bogus", "-o", "json"});
  EXPECT_EQ(json.code, 3) << json.output;
  auto j = nlohmann::json::parse(json.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << json.output;
  EXPECT_EQ(j["state"], "UNKNOWN");
  EXPECT_NE(j["problems"][0].get<std::string>().find("--bogus"), std::string::npos);
  auto nagios = Run({"check", "--bogus"});
  EXPECT_EQ(nagios.code, 3);
  EXPECT_EQ(nagios.output.rfind("PGREPLICA UNKNOWN - invalid command line: ", 0), 0u);
}

// A reader that goes away (pgreplica ... | head) killed pgreplica with SIGPIPE (exit 141).
TEST_F(CliTest, AClosedStandardOutputIsNoReasonToDie) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);  // nothing listens there now
  const char* other = std::getenv("PGREPLICA_TEST_BINARY");
  // The reader (true) is gone before pgreplica writes its report to the pipe.
  std::vector<std::string> argv = {
      "bash", "-c", "{ sleep 0.5; \"$0\" \"$@\"; } | true; echo \"rc=${PIPESTATUS[0]}\"",
      other && *other ? other : PGREPLICA_BINARY};
  for (std::string a :
       std::vector<std::string>{"status", "--config", Config(""), "--host", "127.0.0.1", "--port",
                                std::to_string(ntohs(addr.sin_port)), "--connect-timeout", "3"})
    argv.push_back(a);
  auto r = proc::Run({.argv = argv, .env = {{"NO_COLOR", "1"}}});
  ASSERT_TRUE(r);
  EXPECT_NE(r->output.find("rc=7\n"), std::string::npos) << r->output;
}

TEST_F(CliTest, PgpassWritesTheEntry) {
  std::string pgpass = dir_->path() + "/pgpass";
  std::string base =
      "primary:\n  host: db-1.example.com\n  port: 5433\nreplication:\n  user: rep\nlocal:\n"
      "  os_user: " +
      user_ + "\n  pgpass_file: " + pgpass + "\n";
  auto o = Run({"pgpass", "--config", Config(base), "--password-stdin"}, "p:w\\d\n");
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_EQ(*ReadFile(pgpass), "db-1.example.com:5433:replication:rep:p\\:w\\\\d\n");
  EXPECT_EQ(o.output.find("p:w"), std::string::npos) << "the password was printed";
  auto again =
      Run({"pgpass", "--config", Config(base), "--password-stdin", "--output", "json"}, "p:w\\d\n");
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("\"changed\": false"), std::string::npos) << again.output;
}

// The success message printed the path from --file as it was, escape sequences and all. (C0
// controls are refused in paths; U+009B, a one-byte CSI on some terminals, is not.)
TEST_F(CliTest, PgpassMessageEscapesThePath) {
  std::string base = "primary:\n  host: db1\nlocal:\n  os_user: " + user_ + "\n";
  std::string path = dir_->path() + "/odd\xc2\x9b" + "31m.pgpass";
  auto o = Run({"pgpass", "--config", Config(base), "--file", path, "--password-stdin"}, "pw\n");
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_EQ(o.output.find("\xc2\x9b"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("odd\\xc2\\x9b31m.pgpass"), std::string::npos) << o.output;
}

// "--set primary.port=" is documented to clear the key, but failed with "is not an integer".
TEST_F(CliTest, SetWithoutAValueResetsATypedKeyToItsDefault) {
  std::string pgpass = dir_->path() + "/pgpass";
  std::string base = "primary:\n  host: db1\n  port: 5433\nlocal:\n  os_user: " + user_ +
                     "\n  pgpass_file: " + pgpass + "\n";
  auto o = Run({"pgpass", "--config", Config(base), "--set", "primary.port=", "--set",
                "clone.verify=", "--password-stdin"},
               "pw\n");
  ASSERT_EQ(o.code, 0) << o.output;
  EXPECT_EQ(ReadFile(pgpass).value_or(""), "db1:5432:replication:replicator:pw\n");
}

// jobs show --follow used to re-read the whole log every 500 ms and print nothing past 64 MiB.
TEST_F(CliTest, JobsFollowPrintsALogLargerThan64MiB) {
  std::string jobs = dir_->path() + "/state/jobs";
  ASSERT_TRUE(MakeDirs(jobs, 0750));
  std::string id = "20260101T000000Z-clone-0001";
  std::string log = jobs + "/" + id + ".log";
  std::string chunk;
  for (int i = 0; i < 16384; ++i)
    chunk += "pg_basebackup: a line of progress that is 63 bytes long\n";
  std::string text;
  while (text.size() <= (64u << 20)) text += chunk;
  text += "the last line\n";
  ASSERT_TRUE(WriteFileAtomic(log, text, 0640));
  Write("state/jobs/" + id + ".json", R"({"id":")" + id +
                                          R"(","command":"clone","arguments":[],"state":"succeeded",
            "started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:01:00Z",
            "exit_code":0,"pid":1,"log_file":")" +
                                          log + R"(","steps":[],"error":null,"result":null})");
  auto o = Run({"jobs", "show", id, "--follow", "--config", Config(""), "--state-directory",
                dir_->path() + "/state"});
  EXPECT_EQ(o.code, 0) << o.output.substr(0, 300);
  EXPECT_GT(o.output.size(), 64u << 20);
  EXPECT_NE(o.output.find("the last line\n"), std::string::npos) << o.output.substr(0, 300);
}

// jobs show of a failed clone said only its message; the DETAIL and HINT the run printed (what
// failed, what to do) were in the record but not shown (new-user trial).
TEST_F(CliTest, JobsShowOfAFailedRunShowsItsDetailAndHint) {
  std::string jobs = dir_->path() + "/state/jobs";
  ASSERT_TRUE(MakeDirs(jobs, 0750));
  std::string id = "20260101T000000Z-clone-0002";
  Write("state/jobs/" + id + ".json",
        R"({"id":")" + id + R"(","command":"clone","arguments":[],"state":"failed",
            "started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:01:00Z",
            "exit_code":11,"pid":1,"log_file":"","steps":[],
            "error":{"message":"pg_basebackup lost the primary","detail":"line one\nline two",
                     "hint":"Check the link."},"result":null})");
  auto o = Run(
      {"jobs", "show", id, "--config", Config(""), "--state-directory", dir_->path() + "/state"});
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("error: pg_basebackup lost the primary"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("detail: line one\nline two"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("hint: Check the link."), std::string::npos) << o.output;
}

// doctor said ok for a service whose commands clone (as root) then refused to run.
TEST_F(CliTest, DoctorRefusesCustomCommandsThatRootWouldRefuse) {
  if (geteuid() != 0) GTEST_SKIP() << "root's refusal";
  std::string home = dir_->path() + "/home";
  ASSERT_TRUE(MakeDirs(home, 0755));
  ASSERT_EQ(chown(home.c_str(), 65534, 65534), 0);
  std::string path = home + "/pgreplica.yaml";
  ASSERT_TRUE(WriteFileAtomic(
      path,
      "local:\n  os_user: " + user_ + "\n  data_directory: " + dir_->path() +
          "/data\n  service:\n    type: custom\n" +
          "    start: [touch, x]\n    stop: [touch, x]\n" + "    status: [touch, x]\n",
      0600));
  auto o = Run({"doctor", "--config", path});
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL  service"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("refusing to run the custom service commands of \"" + path + "\""),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("make the directory \"" + home + "\" belong to root"), std::string::npos)
      << o.output;
}

TEST_F(CliTest, DoctorReportsAMissingBindirProgram) {
  std::string bindir = dir_->path() + "/bin";
  ASSERT_TRUE(MakeDirs(bindir, 0755));
  auto o = Run({"doctor", "--config", Config(""), "--bindir", bindir, "--os-user", user_});
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL  pg_basebackup"), std::string::npos) << o.output;
}

}  // namespace
}  // namespace pgreplica
