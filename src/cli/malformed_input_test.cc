// A table of malformed and hostile inputs, each run through the real binary:
// every one is answered with one clear error in PostgreSQL's style and its
// documented exit code (UNKNOWN, 3, for the Nagios plugin `check`), never a
// crash, and never by doing something. Each row is a test named after what
// it feeds in; PGREPLICA_TEST_BINARY runs the table against another build.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include "common/fs.h"
#include "proc/child.h"
#include "proc/user.h"

namespace pgreplica {
namespace {

struct Row {
  const char* name;
  std::vector<std::string> args;  // {config} {inventory} {dir} {user} {closed} are replaced
  int code;
  std::vector<std::string> words;  // each must be in the output
  std::string config;              // written to the file {config}
  std::string inventory;           // written to the file {inventory}
  std::string stdin_text;
};

// gtest prints a failing row by its name.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

// A configuration for commands that need a primary and an OS user; nothing listens on it.
const std::string kPrimary =
    "primary:\n  host: 127.0.0.1\n  port: {closed}\nstate_directory: {dir}/state\n";
const std::string kPgpass =
    "primary:\n  host: db1\nlocal:\n  os_user: {user}\n  pgpass_file: {dir}/pgpass\n";

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      // The command line.
      {"NoCommand", {}, 2, {"invalid command line"}},
      {"UnknownCommand", {"frobnicate"}, 2, {"invalid command line"}},
      {"UnknownOption", {"doctor", "--frobnicate"}, 2, {"--frobnicate"}},
      {"PasswordOnTheCommandLine", {"pgpass", "--password", "secret"}, 2, {"--password"}},
      {"OutputFormatXml", {"status", "--output", "xml"}, 2, {"xml"}},
      {"ConfigPathEmpty", {"pgpass", "--config", ""}, 2, {"--config", "must not be empty"}},
      {"SetWithoutEquals",
       {"pgpass", "--config", "{config}", "--set", "noequals"},
       2,
       {"invalid --set argument"}},
      {"SetEmpty", {"pgpass", "--config", "{config}", "--set", ""}, 2, {"must not be empty"}},
      {"SetUnknownKey",
       {"pgpass", "--config", "{config}", "--set", "primary.hots=x"},
       2,
       {"Did you mean \"primary.host\"?"}},
      {"SetListNotAList",
       {"clone", "--config", "{config}", "--set", "local.service.start=x"},
       2,
       {"Expected a list"}},
      {"PortTooHigh",
       {"pgpass", "--config", "{config}", "--port", "70000"},
       2,
       {"invalid value for --port: \"70000\"", "from 1 to 65535"}},
      {"PortZero", {"pgpass", "--config", "{config}", "--port", "0"}, 2, {"from 1 to 65535"}},
      {"PortNotANumber",
       {"pgpass", "--config", "{config}", "--port", "abc"},
       2,
       {"is not an integer"}},
      {"PortWithSpace",
       {"pgpass", "--config", "{config}", "--port", " 5432"},
       2,
       {"is not an integer"}},
      {"PortHuge",
       {"pgpass", "--config", "{config}", "--port", "99999999999999999999"},
       2,
       {"from 1 to 65535"}},
      {"HostWithSpace", {"pgpass", "--config", "{config}", "--host", "db 1"}, 2, {"a space"}},
      {"HostWithQuote",
       {"pgpass", "--config", "{config}", "--host", "db'1"},
       2,
       {"invalid value for --host"}},
      {"HostWithEscape", {"pgpass", "--config", "{config}", "--host", "a\x1b[31mb"}, 2, {"\\x1b"}},
      {"HostEmpty",
       {"pgpass", "--config", "{config}", "--host", ""},
       2,
       {"invalid value for --host: \"\"", "must not be empty"}},
      {"UserEmpty", {"pgpass", "--config", "{config}", "--user", ""}, 2, {"--user"}},
      {"OsUserWithSpace",
       {"pgpass", "--config", "{config}", "--os-user", "bad user"},
       2,
       {"--os-user"}},
      {"DataDirectoryRelative",
       {"clone", "--config", "{config}", "-D", "relative/dir"},
       2,
       {"is not an absolute path"}},
      {"LogFileWithNewline",
       {"clone", "--config", "{config}", "--log-file", "/tmp/a\nb"},
       2,
       {"control characters"}},
      {"ServiceTypeUnknown",
       {"clone", "--config", "{config}", "--service", "launchd"},
       2,
       {"is not a service type"}},
      {"ServiceUnitLikeAnOption",
       {"clone", "--config", "{config}", "--service-unit=-H"},
       2,
       {"would be taken for an option"}},
      {"MaxRateAboveLimit",
       {"clone", "--config", "{config}", "--max-rate", "2048M"},
       2,
       {"outside pg_basebackup's range"}},
      {"MaxRateOverflowing",
       {"clone", "--config", "{config}", "--max-rate", "999999999M"},
       2,
       {"outside pg_basebackup's range"}},
      {"MaxRateWord",
       {"clone", "--config", "{config}", "--max-rate", "fast"},
       2,
       {"is not a rate"}},
      {"KeepOldNegative", {"clone", "--config", "{config}", "--keep-old", "-5"}, 2, {"--keep-old"}},
      {"AllowedAddressInvalid",
       {"primary", "setup", "--config", "{config}", "--allowed-address", "10.0.0.300"},
       2,
       {"is not an IP address"}},
      {"AllowedAddressPrefixTooLong",
       {"primary", "setup", "--config", "{config}", "--allowed-address", "10.0.0.0/99"},
       2,
       {"invalid prefix length"}},
      {"OptionGivenTwice",
       {"status", "--config", "{config}", "--port", "1", "--port", "2"},
       2,
       {"--port was given more than once"}},
      {"OptionWithoutValue", {"status", "--host"}, 2, {"--host needs a value."}},
      {"OutputEmpty",
       {"status", "--output", ""},
       2,
       {"\"\" is not an output format of this command; use text, json or prometheus"}},
      {"JobsShowWithoutId", {"jobs", "show"}, 2, {"The argument id is missing."}},
      {"CheckOptionGivenTwice",
       {"check", "--lag-warn-mb", "1", "--lag-warn-mb", "2"},
       3,
       {"PGREPLICA UNKNOWN - invalid command line: --lag-warn-mb was given more than once"}},
      {"AllowedAddressWithNewline",
       {"primary", "setup", "--config", "{config}", "--allowed-address", "10.0.0.1\nx"},
       2,
       {"DETAIL:  \"10.0.0.1\\x0ax\" is not an IP address"}},
      {"CompressUnknownMethod",
       {"clone", "--config", "{config}", "--compress", "lz5"},
       2,
       {"invalid value for --compress: \"lz5\"", "is not a pg_basebackup compression method"}},
      {"CompressOnTheClient",
       {"clone", "--config", "{config}", "--compress", "gzip"},
       2,
       {"only for tar format"}},
      {"CompressLevelOutOfRange",
       {"clone", "--config", "{config}", "--compress", "server-lz4:13"},
       2,
       {"lz4 takes a compression level from 1 to 12"}},
      {"ThresholdsWarnAboveCrit",
       {"check", "--config", "{config}", "--lag-warn-mb", "500", "--lag-crit-mb", "10"},
       3,
       {"PGREPLICA UNKNOWN - inconsistent thresholds on the command line"}},
      {"ThresholdsWarnAboveCritInTheFile",
       {"status", "--config", "{config}"},
       4,
       {"inconsistent thresholds in configuration file",
        "check.lag_warn_seconds (600) is above check.lag_crit_seconds (300)"},
       "check:\n  lag_warn_seconds: 600\n"},
      {"ThresholdNotANumber",
       {"check", "--config", "{config}", "--lag-warn-mb", "lots"},
       3,
       {"PGREPLICA UNKNOWN - invalid value for --lag-warn-mb"}},

      // decommission: which slot goes must be exactly what the user said.
      {"DecommissionNodeEmpty",
       {"decommission", "--config", "{config}", "--node", ""},
       2,
       {"invalid node name \"\""},
       kPrimary},
      {"DecommissionNodeDot",
       {"decommission", "--config", "{config}", "--node", "."},
       2,
       {"invalid node name \".\""},
       kPrimary},
      {"DecommissionNodeThreeDots",
       {"decommission", "--config", "{config}", "--node", "..."},
       2,
       {"invalid node name"},
       kPrimary},
      {"DecommissionNodePath",
       {"decommission", "--config", "{config}", "--node", "../../x"},
       2,
       {"invalid node name \"../../x\""},
       kPrimary},
      {"DecommissionNodeWithSpace",
       {"decommission", "--config", "{config}", "--node", "a b"},
       2,
       {"invalid node name \"a b\""},
       kPrimary},
      {"DecommissionNodeAddress",
       {"decommission", "--config", "{config}", "--node", "10.0.0.5"},
       2,
       {"is an address"},
       kPrimary},
      {"DecommissionNodeOption",
       {"decommission", "--config", "{config}", "--node=-rf"},
       2,
       {"invalid node name"},
       kPrimary},
      {"DecommissionNodeAndSlot",
       {"decommission", "--config", "{config}", "--node", "a", "--slot", "node_b_slot"},
       2,
       {"--node and --slot cannot be used together"},
       kPrimary},
      {"DecommissionSlotEmpty",
       {"decommission", "--config", "{config}", "--slot", ""},
       2,
       {"invalid value for --slot: \"\""},
       kPrimary},
      {"DecommissionSetSlotEmpty",
       {"decommission", "--config", "{config}", "--set", "replication.slot="},
       2,
       {"replication.slot"},
       kPrimary},
      {"DecommissionSlotInvalid",
       {"decommission", "--config", "{config}", "--slot", "Bad-Name"},
       2,
       {"invalid value for --slot"},
       kPrimary},
      {"DecommissionRemoveDataWithoutStop",
       {"decommission", "--config", "{config}", "--remove-data"},
       2,
       {"--remove-data needs --stop"},
       kPrimary},

      // Configuration files.
      {"ConfigMissing",
       {"pgpass", "--config", "{dir}/missing.yaml"},
       5,
       {"could not read configuration file"}},
      {"ConfigIsADirectory",
       {"pgpass", "--config", "{dir}"},
       5,
       {"could not read configuration file"}},
      {"ConfigUnclosedBracket",
       {"pgpass", "--config", "{config}"},
       3,
       {"could not parse configuration file"},
       "primary: [unclosed\n"},
      {"ConfigTabIndentation",
       {"pgpass", "--config", "{config}"},
       3,
       {"could not parse"},
       "primary:\n\thost: x\n"},
      {"ConfigTopLevelTransposition",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primray\"", "Did you mean \"primary\"?"},
       "primray:\n  host: x\n"},
      {"ConfigTopLevelUnderscore",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primary_hots\"", "Did you mean \"primary.host\"?"},
       "primary_hots: x\n"},
      {"ConfigNestedTypo",
       {"pgpass", "--config", "{config}"},
       4,
       {"line 2", "Did you mean \"primary.host\"?"},
       "primary:\n  hots: x\n"},
      {"ConfigDeepTypo",
       {"pgpass", "--config", "{config}"},
       4,
       {"Did you mean \"local.service.unit\"?"},
       "local:\n  service:\n    unti: x\n"},
      {"ConfigKeyInTheWrongSection",
       {"pgpass", "--config", "{config}"},
       4,
       {"Did you mean \"primary.port\"?"},
       "port: 5433\n"},
      {"ConfigUnknownKeyFarFromAll",
       {"pgpass", "--config", "{config}"},
       4,
       {"The valid keys at the top level are"},
       "zzzzzz: 1\n"},
      {"ConfigUnknownKeyNotUtf8",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"caf\\xe9\""},
       "caf\xe9: 1\n"},
      {"ConfigPortText",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primary.port\""},
       "primary:\n  port: abc\n"},
      {"ConfigPortOutOfRange",
       {"pgpass", "--config", "{config}"},
       4,
       {"line 2"},
       "primary:\n  port: 70000\n"},
      {"ConfigPortFraction",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primary.port\""},
       "primary:\n  port: 5432.5\n"},
      {"ConfigHostWithSpace",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primary.host\""},
       "primary:\n  host: \"a b\"\n"},
      {"ConfigBindirMissing",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"local.bindir\""},
       "local:\n  bindir: /nonexistent/bin\n"},
      {"ConfigIsAList",
       {"pgpass", "--config", "{config}"},
       4,
       {"Expected a mapping"},
       "- a\n- b\n"},
      {"ConfigSectionIsAScalar",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"primary\"", "Expected a mapping"},
       "primary: db1\n"},
      {"ConfigDuplicateKey",
       {"pgpass", "--config", "{config}"},
       4,
       {"duplicate"},
       "connect_timeout: 1\nconnect_timeout: 2\n"},
      {"ConfigSlotUpperCase",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"replication.slot\""},
       "replication:\n  slot: Node-A\n"},
      {"ConfigUserWithNewline",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"replication.user\""},
       "replication:\n  user: \"a\\nb\"\n"},
      {"ConfigUnitLikeAnOption",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"local.service.unit\"", "option"},
       "local:\n  service:\n    unit: --host=x\n"},
      {"ConfigMaxRateOutOfRange",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"clone.max_rate\""},
       "clone:\n  max_rate: 0\n"},
      {"ConfigBooleanMaybe",
       {"pgpass", "--config", "{config}"},
       4,
       {"is not a boolean"},
       "clone:\n  verify: maybe\n"},
      {"ConfigTwoDocuments",
       {"pgpass", "--config", "{config}"},
       4,
       {"holds 2 YAML documents"},
       "primary:\n  host: db1\n---\nprimary:\n  host: db2\n"},
      {"ConfigNulByte",
       {"pgpass", "--config", "{config}"},
       3,
       {"Line 3, column 1: a NUL byte"},
       std::string("primary:\n  host: db1\n\0\nlocal:\n  os_user: x\n", 43)},
      {"ConfigExpectedStandbyEmpty",
       {"check", "--config", "{config}"},
       3,
       {"PGREPLICA UNKNOWN - invalid value for configuration key \"check.expected_standbys\""},
       "check:\n  expected_standbys: [\"\"]\n"},
      {"ConfigOsUserRoot",
       {"pgpass", "--config", "{config}"},
       4,
       {"\"local.os_user\"", "PostgreSQL refuses to run as root"},
       "local:\n  os_user: root\n"},
      {"ConfigStateDirectoryEmpty",
       {"pgpass", "--config", "{config}"},
       4,
       {"is not an absolute path"},
       "state_directory: ''\n"},

      // Secrets: never a silently truncated password, never a file written.
      {"SecretFileTwoLines",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/multi"},
       4,
       {"holds more than one line"},
       kPgpass},
      {"SecretFileBlankSecondLine",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/blank2"},
       4,
       {"holds more than one line"},
       kPgpass},
      {"SecretFileCrlfTwice",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/crlf2"},
       4,
       {"holds more than one line"},
       kPgpass},
      {"SecretFileNulByte",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/nul"},
       4,
       {"NUL byte"},
       kPgpass},
      {"SecretFileEmpty",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/empty"},
       4,
       {"empty password"},
       kPgpass},
      {"SecretFileReadableByGroup",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/open"},
       6,
       {"is not private"},
       kPgpass},
      {"SecretFileMissing",
       {"pgpass", "--config", "{config}", "--password-file", "{dir}/none"},
       5,
       {"could not open secrets file"},
       kPgpass},
      {"SecretStdinTwoLines",
       {"pgpass", "--config", "{config}", "--password-stdin"},
       2,
       {"standard input holds more than one line"},
       kPgpass,
       "",
       "abc\ndef\n"},
      {"SecretStdinEmpty",
       {"pgpass", "--config", "{config}", "--password-stdin"},
       2,
       {"no password on standard input"},
       kPgpass},
      {"SecretStdinTooLong",
       {"pgpass", "--config", "{config}", "--password-stdin"},
       2,
       {"standard input is too long"},
       kPgpass,
       "",
       std::string(70000, 'x')},
      {"PgpassWithoutPassword",
       {"pgpass", "--config", "{config}"},
       4,
       {"no replication password given"},
       kPgpass},
      {"PgpassWithoutHost",
       {"pgpass", "--config", "{config}", "--password-stdin"},
       4,
       {"no primary host given"},
       "local:\n  os_user: {user}\n",
       "",
       "pw\n"},
      {"PgpassFileEmpty",
       {"pgpass", "--config", "{config}", "--file", ""},
       2,
       {"--file", "must not be empty"},
       kPgpass},
      {"PgpassFileRelative",
       {"pgpass", "--config", "{config}", "--file", "./x.pgpass", "--password-stdin"},
       2,
       {"invalid value for --file: \"./x.pgpass\"", "is not an absolute path"},
       kPgpass,
       "",
       "pw\n"},
      {"PgpassFileIsADirectory",
       {"pgpass", "--config", "{config}", "--file", "{dir}", "--password-stdin"},
       5,
       {"password file \"{dir}\" is a directory"},
       kPgpass,
       "",
       "pw\n"},
      {"PgpassPasswordStdinAndFile",
       {"pgpass", "--config", "{config}", "--password-stdin", "--password-file", "{dir}/multi"},
       2,
       {"--password-stdin", "--password-file", "cannot be used together"},
       kPgpass,
       "",
       "pw\n"},
      {"PgpassOsUserMissing",
       {"pgpass", "--config", "{config}", "--os-user", "no_such_user_pgr", "--password-stdin"},
       10,
       {"OS user \"no_such_user_pgr\" does not exist"},
       kPgpass,
       "",
       "pw\n"},

      // Inventories.
      {"InventoryTimeoutNan",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"invalid value for \"timeout\"", "line 2"},
       "",
       "nodes:\n  - {host: a, timeout: nan}\n"},
      {"InventoryTimeoutInfinite",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"invalid value for \"timeout\""},
       "",
       "nodes:\n  - {host: a, timeout: .inf}\n"},
      {"InventoryPortFraction",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"invalid value for \"port\""},
       "",
       "nodes:\n  - {host: a, port: 5432.5}\n"},
      {"InventoryPortHuge",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"invalid value for \"port\""},
       "",
       "nodes:\n  - {host: a, port: 1e400}\n"},
      {"InventoryUnknownKey",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"unrecognized key \"hots\"", "line 2"},
       "",
       "nodes:\n  - {name: x, hots: y}\n"},
      {"InventoryNoNodes",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"no nodes"},
       "",
       "nodes: []\n"},
      {"InventoryNameWithEscape",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       4,
       {"invalid value for \"name\""},
       "",
       "nodes:\n  - {host: a, name: \"x\\e[2J\"}\n"},
      {"InventoryNotYaml",
       {"status", "--config", "{config}", "--inventory", "{inventory}"},
       3,
       {"could not parse inventory"},
       "",
       "nodes: [\n"},
      {"InventoryMissing",
       {"status", "--config", "{config}", "--inventory", "{dir}/none.yaml"},
       5,
       {"could not read inventory"}},
      {"InventoryPathEmpty",
       {"status", "--config", "{config}", "--inventory", ""},
       2,
       {"--inventory", "must not be empty"}},

      // check stays a Nagios plugin: every problem is UNKNOWN on one line.
      {"CheckUnknownOption",
       {"check", "--frobnicate"},
       3,
       {"PGREPLICA UNKNOWN - invalid command line", "--frobnicate"}},
      {"CheckOutputFormatXml",
       {"check", "--output", "xml"},
       3,
       {"PGREPLICA UNKNOWN - invalid command line"}},
      {"CheckExpectEmpty",
       {"check", "--config", "{config}", "--expect", ""},
       3,
       {"PGREPLICA UNKNOWN - invalid command line"}},
      {"CheckConfigInvalid",
       {"check", "--config", "{config}"},
       3,
       {"PGREPLICA UNKNOWN - invalid value for configuration key \"primary.port\""},
       "primary:\n  port: abc\n"},
      {"CheckInventoryTimeoutNan",
       {"check", "--config", "{config}", "--inventory", "{inventory}"},
       3,
       {"PGREPLICA UNKNOWN - invalid value for \"timeout\""},
       "",
       "nodes:\n  - {host: a, timeout: nan}\n"},
      // A configuration without a primary: slot monitoring would stop without a word.
      {"CheckWithoutAPrimary",
       {"check", "--config", "{config}"},
       3,
       {"PGREPLICA UNKNOWN - configuration names no primary"}},
      {"CheckNothingToCheck",
       {"check", "--config", "{config}", "--local-only"},
       3,
       {"PGREPLICA UNKNOWN - no node to check"}},
      {"CheckPrimaryDown",
       {"check", "--config", "{config}", "--primary-only"},
       3,
       {"PGREPLICA UNKNOWN - primary: could not connect", " | primary_up=0"},
       kPrimary},

      // Jobs and the rest.
      {"JobIdWithPath",
       {"jobs", "show", "../etc", "--config", "{config}"},
       2,
       {"invalid job id"},
       kPrimary},
      {"JobUnknown",
       {"jobs", "show", "20000101T000000Z-clone-0000", "--config", "{config}"},
       15,
       {"does not exist"},
       kPrimary},
      {"JobRecordDamaged",
       {"jobs", "show", "damaged", "--config", "{config}"},
       5,
       {"damaged"},
       kPrimary},
      {"JobRecordOfAPathThatIsNotUtf8",
       {"decommission", "--config", "{config}", "--slot", "node_a_slot", "--set",
        "state_directory={dir}/st\xe9te"},
       7,
       {"could not connect to primary"},
       kPrimary},
      {"StatusPrimaryOnlyAndLocalOnly",
       {"status", "--config", "{config}", "--primary-only", "--local-only"},
       2,
       {"--primary-only and --local-only cannot be used together"},
       kPrimary},
      {"StatusInventoryAndHost",
       {"status", "--config", "{config}", "--inventory", "{inventory}", "--host", "db1"},
       2,
       {"--inventory", "--host", "cannot be used together"},
       "",
       "nodes:\n  - {host: a}\n"},
      {"StatusInventoryAndPrimaryOnly",
       {"status", "--config", "{config}", "--inventory", "{inventory}", "--primary-only"},
       2,
       {"cannot be used together"},
       "",
       "nodes:\n  - {host: a}\n"},
      {"CheckInventoryAndLocalOnly",
       {"check", "--config", "{config}", "--inventory", "{inventory}", "--local-only"},
       3,
       {"PGREPLICA UNKNOWN - invalid command line: ", "cannot be used together"},
       "",
       "nodes:\n  - {host: a}\n"},
      {"CheckPrimaryOnlyAndLocalOnly",
       {"check", "--config", "{config}", "--primary-only", "--local-only"},
       3,
       {"PGREPLICA UNKNOWN - invalid command line: --primary-only and --local-only cannot be used "
        "together"},
       kPrimary},
      {"CloneNoKeepOldAndKeepOld",
       {"clone", "--config", "{config}", "--no-keep-old", "--keep-old", "3"},
       2,
       {"--no-keep-old", "--keep-old", "cannot be used together"}},
      {"PrimarySetupPasswordStdinAndFile",
       {"primary", "setup", "--config", "{config}", "--password-stdin", "--password-file",
        "{dir}/multi"},
       2,
       {"--password-stdin", "--password-file", "cannot be used together"},
       kPrimary,
       "",
       "pw\n"},
      {"StatusWithoutAPrimary",
       {"status", "--config", "{config}"},
       4,
       {"configuration names no primary", "sets no key at all"}},
      {"StatusNothingToQuery",
       {"status", "--config", "{config}", "--local-only"},
       4,
       {"no node to query"}},
      {"CloneWithoutDataDirectory",
       {"clone", "--config", "{config}"},
       4,
       {"no data directory given"}},
      {"PrimaryUnreachable",
       {"primary", "check", "--config", "{config}", "--connect-timeout", "3"},
       7,
       {"could not connect to primary \"127.0.0.1\"", "DETAIL:  ", "HINT:  "},
       kPrimary},
  };
  return rows;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
    s.replace(p, from.size(), to);
  return s;
}

int ClosedPort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);  // nothing listens there now
  return ntohs(addr.sin_port);
}

class MalformedInput : public ::testing::TestWithParam<Row> {
 protected:
  void SetUp() override {
    auto d = TempDir::Create("/tmp", "pgreplica-malformed-");
    ASSERT_TRUE(d);
    dir_ = std::make_unique<TempDir>(std::move(*d));
    for (auto [name, text, mode] : {std::tuple{"multi", "abc\ndef", 0600},
                                    {"blank2", "abc\n\n", 0600},
                                    {"crlf2", "abc\r\n\r\n", 0600},
                                    {"empty", "\n", 0600},
                                    {"open", "abc\n", 0640}})
      ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/" + name, text, mode));
    ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/nul", std::string("ab\0c\n", 5), 0600));
    ASSERT_TRUE(MakeDirs(dir_->path() + "/state/jobs", 0750));
    ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/state/jobs/damaged.json", "{", 0640));
  }

  std::string Fill(const std::string& s) const {
    std::string out = Replace(s, "{dir}", dir_->path());
    out = Replace(out, "{config}", dir_->path() + "/config.yaml");
    out = Replace(out, "{inventory}", dir_->path() + "/inventory.yaml");
    // The PostgreSQL OS user is never root (LookupUser refuses it): as root, postgres.
    const char* os_user = std::getenv("PGREPLICA_TEST_OS_USER");
    out = Replace(out, "{user}",
                  !proc::RunningAsRoot()           ? proc::CurrentUser()->name
                  : os_user != nullptr && *os_user ? os_user
                                                   : "postgres");
    return Replace(out, "{closed}", std::to_string(closed_));
  }

  std::unique_ptr<TempDir> dir_;
  int closed_ = ClosedPort();
};

TEST_P(MalformedInput, Rejects) {
  const Row& row = GetParam();
  ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/config.yaml", Fill(row.config), 0600));
  if (!row.inventory.empty()) {
    ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/inventory.yaml", row.inventory, 0600));
  }
  ASSERT_TRUE(WriteFileAtomic(dir_->path() + "/stdin", row.stdin_text, 0600));
  const char* other = std::getenv("PGREPLICA_TEST_BINARY");
  // sh -c 'exec "$0" "$@" < "$PGREPLICA_TEST_STDIN"' BINARY ARGS...: standard input from a file.
  std::vector<std::string> argv = {"sh", "-c", "exec \"$0\" \"$@\" < \"$PGREPLICA_TEST_STDIN\"",
                                   other && *other ? other : PGREPLICA_BINARY};
  for (const auto& a : row.args) argv.push_back(Fill(a));
  auto r = proc::Run(
      {.argv = argv, .env = {{"NO_COLOR", "1"}, {"PGREPLICA_TEST_STDIN", dir_->path() + "/stdin"}}},
      {.timeout = std::chrono::seconds(60)});
  ASSERT_TRUE(r) << r.error().message;
  const std::string& out = r->output;
  EXPECT_EQ(r->status.code, row.code) << out;
  for (const auto& w : row.words)
    EXPECT_NE(out.find(Fill(w)), std::string::npos) << w << "\n" << out;
  for (const char* crash : {"terminate called", "what():", "Aborted", "Segmentation",
                            "runtime error", "internal error"})
    EXPECT_EQ(out.find(crash), std::string::npos) << out;
  bool nagios = !row.args.empty() && row.args[0] == "check";
  if (nagios) {
    EXPECT_EQ(out.rfind("PGREPLICA UNKNOWN - ", 0), 0u) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
  } else {
    EXPECT_EQ(out.rfind("pgreplica: error: ", 0), 0u) << out;
    size_t errors = 0;
    for (size_t p = 0; (p = out.find("error:", p)) != std::string::npos; ++p) ++errors;
    EXPECT_EQ(errors, 1u) << out;
    // The primary message: lower case (acronyms such as "OS" aside), no final period.
    std::string first = out.substr(0, out.find('\n'));
    EXPECT_FALSE(first.ends_with(".")) << first;
    EXPECT_FALSE(std::isupper(static_cast<unsigned char>(first[18])) &&
                 std::islower(static_cast<unsigned char>(first[19])))
        << first;
  }
  EXPECT_FALSE(*StatPath(dir_->path() + "/pgpass")) << "a rejected run wrote the password file";
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedInput, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           return std::string(info.param.name);
                         });

TEST(MalformedInputTable, HasAtLeastSixtyRowsWithDistinctNames) {
  EXPECT_GE(Rows().size(), 60u);
  std::set<std::string> names;
  for (const auto& r : Rows()) EXPECT_TRUE(names.insert(r.name).second) << r.name;
}

}  // namespace
}  // namespace pgreplica
