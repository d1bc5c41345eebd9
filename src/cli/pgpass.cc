// pgreplica pgpass: write the replication credentials into the OS user's password file.

#include <memory>

#include <fmt/format.h>

#include <sys/stat.h>

#include "cli/commands.h"
#include "common/fs.h"
#include "common/text.h"
#include "conf/pgpass.h"
#include "conf/validate.h"
#include "primary/target.h"
#include "proc/user.h"

namespace pgreplica::cli {

namespace {

struct PgpassOptions {
  CommonOptions common;
  std::string file;
  bool password_stdin = false;
  bool verify = false;
  bool dry_run = false;
};

Result<int> RunPgpass(const PgpassOptions& o, const Printer& printer) {
  // Like every path option (--pgpass-file): relative to nothing in particular is a usage error.
  if (auto p = conf::CheckOptionalAbsolutePath(o.file)) {
    return Fail(ErrorKind::kUsage, fmt::format("invalid value for --file: \"{}\"", o.file), *p,
                "Give the absolute path of the password file.");
  }
  auto config = LoadEffectiveConfig(o.common);
  if (!config) return std::unexpected(config.error());
  if (auto ok = conf::RequirePrimaryHost(*config, "The entry is written for"); !ok)
    return std::unexpected(ok.error());
  auto user = proc::LookupUser(config->local.os_user);
  if (!user) return std::unexpected(user.error());
  if (auto ok = proc::CanActAs(*user); !ok) return std::unexpected(ok.error());
  auto password = ReadReplicationPassword(*config, o.password_stdin);
  if (!password) return std::unexpected(password.error());
  if (password->empty()) {
    return Fail(ErrorKind::kConfigInvalid, "no replication password given",
                "Neither replication.password_file nor --password-stdin was given.",
                "Set replication.password_file (a file with mode 0600), or pass --password-stdin.");
  }
  std::string path = o.file.empty() ? conf::PgpassPath(*config, user->home) : o.file;
  if (auto st = StatPath(path); st && *st && S_ISDIR((*st)->st_mode)) {
    return Fail(ErrorKind::kFileAccess, fmt::format("password file \"{}\" is a directory", path),
                "A password file is a regular file; nothing was written.",
                fmt::format("Give the path of a file in it, such as \"{}/.pgpass\".",
                            path == "/" ? "" : path));
  }
  // --verify: the new credentials are proven against the primary before the file that holds
  // the working ones is touched.
  if (o.verify) {
    if (auto ok = replica::VerifyReplicationLogin(*config, *password); !ok) {
      Error e = ok.error();
      e.detail += fmt::format("{}The password file \"{}\" was not changed.",
                              e.detail.empty() ? "" : " ", path);
      return std::unexpected(e);
    }
  }
  conf::PgpassEntry entry{config->primary.host, std::to_string(config->primary.port), "replication",
                          config->replication.user, *password};
  auto changed = conf::WritePgpassEntry(path, entry, {user->uid, user->gid}, o.dry_run);
  if (!changed)
    return std::unexpected(changed.error().Context("could not write the password file"));
  std::string what = fmt::format("{}:{}:replication:{}", entry.host, entry.port, entry.user);
  if (printer.json()) {
    printer.Json({{"ok", true},
                  {"changed", *changed},
                  {"dry_run", o.dry_run},
                  {"verified", o.verify},
                  {"file", path},
                  {"entry", what},
                  {"owner", user->name}});
  } else {
    // The path and host come from the command line: no control character reaches the terminal.
    std::string verified = o.verify ? "; the primary accepted the login" : "";
    std::string text =
        !*changed   ? fmt::format("no change: \"{}\" already has the entry for {}", path, what)
        : o.dry_run ? fmt::format(
                          "would write the entry for {} to \"{}\" (dry run: nothing was "
                          "changed)",
                          what, path)
                    : fmt::format("wrote the entry for {} to \"{}\" (owner {}, mode 0600)", what,
                                  path, user->name);
    printer.Line(Printable(text + verified));
  }
  return kExitOk;
}

}  // namespace

void AddPgpassCommand(CLI::App& app, Runner& runner) {
  auto o = std::make_shared<PgpassOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pgpass", "write the replication credentials into the PostgreSQL OS user's password file");
  AddCommonOptions(cmd, o->common);
  cmd->add_option("--file", o->file,
                  "password file to write (default: local.pgpass_file, else ~OS_USER/.pgpass)")
      ->type_name("FILE")
      ->check(NonEmpty());
  ExcludeEachOther(
      cmd,
      cmd->add_flag("--password-stdin", o->password_stdin, "read the password from standard input"),
      {"--password-file"});
  cmd->add_flag("--verify", o->verify,
                "make a replication connection to the primary with the password first; write "
                "nothing if the primary refuses it");
  cmd->add_flag("--dry-run", o->dry_run, "say whether the file would change, change nothing");
  BindRunner(cmd, o, runner, &RunPgpass);
}

}  // namespace pgreplica::cli
