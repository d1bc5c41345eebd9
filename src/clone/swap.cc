#include "clone/swap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "local/datadir.h"

namespace pgreplica::replica {

namespace {

std::string Staging(const Location& l) { return l.Sibling(kStagingSuffix); }

// The locations moved aside before the copy comes in: the old standby's tablespace
// directories, and whatever is at a new tablespace's location (once each).
std::vector<const Location*> AsideLocations(const LocalLayout& layout) {
  std::vector<const Location*> out;
  auto add = [&](const Location& l) {
    if (!l.exists()) return;
    for (const Location* o : out)
      if (o->real == l.real) return;
    out.push_back(&l);
  };
  for (const auto& t : layout.tablespaces) add(t.local);
  for (const auto& o : layout.old_tablespaces) add(o.location);
  return out;
}

// Writes the journal before the first rename.
Status WriteJournal(const SwapInputs& in, const std::vector<const Location*>& aside) {
  if (in.journal == nullptr) return {};
  const LocalLayout& layout = in.layout;
  SwapJournal j{layout.data.real, layout.stamp, {}, {}, {}};
  for (const Location* l : aside) j.tablespaces.push_back(l->real);
  for (const auto& t : layout.tablespaces) {
    if (std::ranges::find(j.tablespaces, t.local.real) == j.tablespaces.end())
      j.tablespaces.push_back(t.local.real);
    j.new_tablespaces.push_back({t.oid, t.local.real});
  }
  if (layout.data.exists()) {
    auto dir = layout.data.Open();
    if (!dir) return std::unexpected(dir.error());
    auto links = ReadTablespaceLinks(*dir);
    if (!links) return std::unexpected(links.error());
    j.old_links = std::move(*links);
  }
  return in.journal->Write(j);
}

void RemoveJournal(const SwapInputs& in) {
  if (in.journal != nullptr) (void)in.journal->Remove();
}

Status CheckIdentity(const Location& data, const std::string& name, const FileId& want) {
  auto st = data.parent.Stat(name);
  if (!st) return std::unexpected(st.error());
  if (!*st || !S_ISDIR((*st)->st_mode) || FileId{(*st)->st_dev, (*st)->st_ino} != want) {
    return Fail(
        ErrorKind::kInsecureFile,
        fmt::format("\"{}\" is not the directory the copy was made in", data.parent.PathOf(name)),
        "It was replaced while the copy ran.",
        "Find out who changed it; no other process may write beside the data directory.");
  }
  return {};
}

// Gives the copy now in place to the OS user with mode 0700, through one fd whose identity is
// checked first: whatever another user may have swapped in under the name is never chowned.
Status OwnTheCopy(const Location& data, const FileId& staged, Owner owner) {
  auto dir = data.parent.OpenDir(data.name);
  if (!dir) return std::unexpected(dir.error());
  if (FileId::Of(dir->status()) != staged) {
    return Fail(ErrorKind::kInsecureFile,
                fmt::format("\"{}\" is not the directory the copy was made in", dir->path()),
                "It was replaced while the copy was moved into place.",
                "Find out who changed it; no other process may write beside the data directory.");
  }
  if (fchown(dir->fd(), owner.uid, owner.gid) != 0 && geteuid() == 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not change the owner of \"{}\"", dir->path())));
  if (fchmod(dir->fd(), 0700) != 0)
    return std::unexpected(
        ErrnoError(errno, fmt::format("could not change the mode of \"{}\"", dir->path())));
  return {};
}

// Moves the new copies (tablespaces, then the data directory) to <name><suffix>.
Status MoveNewAside(const LocalLayout& layout, const std::string& suffix, Owner owner) {
  Status first;
  for (const auto& t : layout.tablespaces) {
    auto ok = t.local.parent.Rename(t.local.name, t.local.Sibling(suffix));
    if (!ok && first) first = ok;
  }
  auto ok = layout.data.parent.Rename(layout.data.name, layout.data.Sibling(suffix));
  if (!ok && first) first = ok;
  if (!layout.tablespaces.empty()) {
    // The failed copy's links pointed at the final locations; point them at its own.
    std::vector<TablespaceLink> links;
    for (const auto& t : layout.tablespaces) links.push_back({t.oid, t.local.SiblingPath(suffix)});
    if (auto dir = layout.data.parent.OpenDir(layout.data.Sibling(suffix)))
      (void)Relink(*dir, links, owner);
  }
  return first;
}

// Puts the old directories back after a failed start of the new copy.
Error RollBack(const SwapInputs& in, Service& service, const SwapOutcome& out, const Error& why) {
  const LocalLayout& layout = in.layout;
  const Location& data = layout.data;
  Owner owner{in.os_user.uid, in.os_user.gid};
  // Not StopServer: the new copy may be half up whatever the service's status says, so it is
  // asked to stop in any case, and a failing stop must not skip the check that none runs.
  (void)service.Stop();
  Error e = why;
  if (int pid = WaitForNoPostmaster(data.real, in.stop_grace); pid != 0) {
    // The start reported failure, yet the new copy runs: moving it would leave it serving from
    // a renamed directory, and the old server could not take its port.
    e.detail += fmt::format(
        " Yet a server (pid {}) runs in \"{}\" and the service did not stop it, so the new copy "
        "was left in place{}.",
        pid, data.real,
        out.old_directory.empty() ? ""
                                  : fmt::format("; the old data is in \"{}\"", out.old_directory));
    e.hint = "Find out what started that server; stop it before moving any directory by hand.";
    RemoveJournal(in);
    return e;
  }
  std::string failed_suffix = std::string(kFailedInfix) + layout.stamp;
  std::string failed = data.SiblingPath(failed_suffix);
  if (auto ok = MoveNewAside(layout, failed_suffix, owner); !ok) {
    e.detail += fmt::format(
        " The new copy could not be moved aside ({}), and the old data is still in \"{}\".",
        ok.error().message, out.old_directory);
    e.hint = fmt::format("Move \"{}\" away and rename \"{}\" to \"{}\" by hand.", data.real,
                         out.old_directory, data.real);
    return e;
  }
  if (!out.moved.data_moved && out.moved.tablespaces.empty()) {
    e.detail += fmt::format(
        " There was no previous data directory; the new copy is kept in \"{}\".", failed);
    RemoveJournal(in);
    return e;
  }
  if (auto ok = MoveBack(data, out.moved, owner); !ok) {
    e.detail +=
        fmt::format(" The old data directory could not be put back: {}", ok.error().message);
    e.hint = fmt::format(
        "The next clone of this data directory puts it back from its journal; or rename \"{}\" "
        "to \"{}\" (and each tablespace's {} directory) by hand.",
        out.old_directory, data.real, out.moved.suffix);
    return e;
  }
  RemoveJournal(in);
  std::string restarted;
  if (out.was_running) {
    auto started = service.Start();
    restarted =
        started ? " and started again" : " but did not start again: " + started.error().message;
  }
  e.detail += fmt::format(" The old data directory was put back{}; the new copy is kept in \"{}\".",
                          restarted, failed);
  return e;
}

// Brings the staged copies into place: tablespaces first, the data directory last.
Status BringIn(const SwapInputs& in) {
  const LocalLayout& layout = in.layout;
  std::vector<const Location*> done;
  auto undo = [&](const Error& why) -> Status {
    for (auto it = done.rbegin(); it != done.rend(); ++it)
      (void)(*it)->parent.Rename((*it)->name, Staging(**it));
    return std::unexpected(why);
  };
  for (const auto& t : layout.tablespaces) {
    if (auto ok = t.local.parent.Rename(Staging(t.local), t.local.name); !ok)
      return undo(ok.error());
    done.push_back(&t.local);
  }
  const Location& data = layout.data;
  if (auto ok = CheckIdentity(data, Staging(data), in.staged_data); !ok) return undo(ok.error());
  if (auto ok = data.parent.Rename(Staging(data), data.name); !ok) return undo(ok.error());
  done.push_back(&data);
  for (const Location* l : done) {
    if (auto ok = l->parent.Sync(); !ok) return undo(ok.error());
  }
  return {};
}

}  // namespace

Result<SwapOutcome> SwapIn(const SwapInputs& in, Service& service) {
  const Location& data = in.layout.data;
  Owner owner{in.os_user.uid, in.os_user.gid};
  SwapOutcome out;
  auto t0 = std::chrono::steady_clock::now();
  if (data.exists()) {
    auto running = service.IsRunning();
    if (!running) return std::unexpected(running.error());
    out.was_running = *running;
    // Whatever the service says, no server may run in the directory that is moved away.
    auto pid = StopServer(service, out.was_running, data.real, in.stop_grace);
    if (!pid) return std::unexpected(pid.error().Context("could not stop the old standby"));
    if (*pid != 0) {
      return Fail(ErrorKind::kChildFailed, "could not stop the old standby",
                  fmt::format("A server (pid {}) still runs in \"{}\" after {} {}. Nothing was "
                              "moved.",
                              *pid, data.real, service.Describe(),
                              out.was_running ? "stopped it" : "said it was not running"),
                  "Set local.service to what starts and stops this server.");
    }
  }
  auto restart_old = [&] {
    if (out.was_running) (void)service.Start();
  };
  auto aside = AsideLocations(in.layout);
  if (auto ok = WriteJournal(in, aside); !ok) {
    restart_old();
    return std::unexpected(ok.error().Context("could not write the swap journal"));
  }
  auto moved = MoveTogether(data, aside, std::string(kOldInfix) + in.layout.stamp, owner);
  if (!moved) {
    RemoveJournal(in);
    restart_old();
    return std::unexpected(moved.error().Context("could not move the old data directory aside"));
  }
  out.moved = *moved;
  if (moved->data_moved) out.old_directory = moved->DataPath(data);
  if (auto ok = BringIn(in); !ok) {
    Error e = ok.error().Context("could not move the copy into place");
    if (auto back = MoveBack(data, out.moved, owner); !back) {
      e.detail +=
          fmt::format(" The old data directory could not be put back: {}.", back.error().message);
      e.hint = fmt::format("Rename \"{}\" to \"{}\" by hand.", out.old_directory, data.real);
    } else {
      RemoveJournal(in);
      restart_old();
      e.detail +=
          " The old data directory was put back; the copy stays in staging until the "
          "clone removes it.";
    }
    return std::unexpected(e);
  }
  auto fixed = OwnTheCopy(data, in.staged_data, owner);
  if (!fixed) {
    return std::unexpected(
        RollBack(in, service, out, fixed.error().Context("could not prepare the new copy")));
  }
  auto start = std::chrono::steady_clock::now();
  if (auto ok = service.Start(); !ok) {
    return std::unexpected(
        RollBack(in, service, out, ok.error().Context("the new standby did not start")));
  }
  out.start_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RemoveJournal(in);  // the new standby runs: nothing is left to put back
  out.downtime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace pgreplica::replica
