#pragma once
// What every command shares: the common options (--config, --set, --output,
// --quiet, --no-color and per-command overrides of configuration keys), the
// effective configuration, and the printer that renders results and errors.

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/terminal.h"
#include "common/error.h"
#include "common/report.h"
#include "conf/config.h"
#include "monitor/collector.h"

namespace pgreplica::cli {

// The command chosen on the command line, run by main after parsing; returns
// the process exit code.
using Runner = std::function<int()>;

struct CommonOptions {
  std::string config_path;
  std::vector<std::string> sets;
  std::string output = "text";
  bool quiet = false;
  bool no_color = false;
  // Options that override one configuration key each (--host -> primary.host).
  std::map<std::string, std::string> values;
  std::vector<std::pair<CLI::Option*, std::string>> overrides;  // option, key
};

// A validator for options whose empty value would silently mean "the default"
// (--config "$UNSET" would read /etc/pgreplica/pgreplica.yaml): a usage error.
const CLI::Validator& NonEmpty();

// Makes `option` and each option of `cmd` named in `others` (those that exist)
// exclude each other: a command line with both is a usage error.
void ExcludeEachOther(CLI::App* cmd, CLI::Option* option, const std::vector<std::string>& others);

// Adds the common options to `cmd`, `outputs` being the accepted --output
// formats, and the option of each configuration key that the schema gives the
// command (conf::ConfigKeys; `cmd` must be in the command table already, its
// path from the program is what the schema names: "clone", "primary setup").
void AddCommonOptions(CLI::App* cmd, CommonOptions& options,
                      const std::vector<std::string>& outputs = {"text", "json"});

// The configuration file (or defaults), then --set, then override options.
// An override option given an empty value is a usage error: it is almost
// always an unset shell variable, and leaving the option out says "default".
Result<conf::Config> LoadEffectiveConfig(const CommonOptions& options);

// Whether the command line sets `key` (through its override option or --set).
bool SetsKey(const CommonOptions& options, std::string_view key);
// Whether the command line sets `key` to the empty string with --set.
bool SetsEmpty(const CommonOptions& options, std::string_view key);

// The nodes of the configuration for status and check: the primary (unless
// `local_only`) and the local standby (unless `primary_only`), the latter
// marked as expected to be in recovery.
std::vector<monitor::NodeSpec> ConfiguredNodes(const conf::Config& config, bool primary_only,
                                               bool local_only);

// Reads the replication password: --password-stdin, else replication.password_file
// (owned by root or the OS user, mode 0600). Empty when neither is configured.
Result<std::string> ReadReplicationPassword(const conf::Config& config, bool from_stdin);

class Printer {
 public:
  explicit Printer(const CommonOptions& options);
  bool json() const { return json_; }
  bool quiet() const { return quiet_; }
  const Terminal& out() const { return out_; }
  const Terminal& err() const { return err_; }

  // A line on standard output (text mode only; ignored in JSON mode).
  void Line(std::string_view text) const;
  // A line on standard error for progress and notices; silenced by --quiet and in JSON mode.
  void Notice(std::string_view text) const;
  void Json(const nlohmann::json& doc) const;
  // An error the way PostgreSQL prints them, or as a JSON document.
  void PrintError(const Error& error) const;
  // A check report as a table of marks, or JSON (with `extra` merged in).
  void Report(const CheckReport& report, std::string_view title,
              const nlohmann::json& extra = nlohmann::json::object()) const;

 private:
  bool json_;
  bool quiet_;
  Terminal out_;
  Terminal err_;
};

// The exit code of a command's outcome; prints the error, if any, in the
// printer's format.
int Finish(const Printer& printer, const Result<int>& outcome);

// Makes `run` the runner when `cmd` is chosen. Options must have a `common` member.
template <typename Options>
void BindRunner(CLI::App* cmd, std::shared_ptr<Options> options, Runner& runner,
                Result<int> (*run)(const Options&, const Printer&)) {
  cmd->callback([options, &runner, run] {
    runner = [options, run] {
      Printer printer(options->common);
      return Finish(printer, run(*options, printer));
    };
  });
}

// Prints an error to stderr for failures that happen before options are known.
void PrintPlainError(const Error& error);

}  // namespace pgreplica::cli
