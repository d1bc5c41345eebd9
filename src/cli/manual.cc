#include "cli/manual.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "cli/manual_text.h"
#include "common/error.h"
#include "conf/config.h"
#include "monitor/check.h"

namespace pgreplica::cli {

namespace {

// Text for roff: backslashes escaped, every '-' a minus sign (so that options render and
// copy as ASCII), and a line never starting with a control character.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  return out;
}

// A paragraph of --help text: its line breaks are only wrapping.
std::string Flow(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return Roff(out);
}

// "FORMAT:{text,json}" -> "FORMAT"; the choices are returned separately.
std::string TypeLabel(const CLI::Option& opt) {
  std::string t = opt.get_type_name();
  return t.substr(0, t.find(':'));
}

std::vector<std::string> Choices(const CLI::Option& opt) {
  std::string t = opt.get_type_name();
  auto open = t.find(":{");
  if (open == std::string::npos || t.back() != '}') return {};
  std::vector<std::string> out;
  std::istringstream in(t.substr(open + 2, t.size() - open - 3));
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

bool Visible(const CLI::Option& opt) { return !opt.get_group().empty(); }

// The option's names as --help shows them ("-c,--config"), in roff.
std::string OptionHeader(const CLI::Option& opt) {
  std::string names;
  if (opt.get_positional()) return fmt::format("\\fI{}\\fR", Roff(opt.get_name(true, false)));
  std::string joined = opt.get_name(false, true);
  std::istringstream in(joined);
  for (std::string n; std::getline(in, n, ',');)
    names += (names.empty() ? "" : ", ") + fmt::format("\\fB{}\\fR", Roff(n));
  if (TakesValue(opt)) names += fmt::format(" \\fI{}\\fR", Roff(TypeLabel(opt)));
  if (opt.get_expected_max() >= CLI::detail::expected_max_vector_size) names += " ...";
  return names;
}

std::string OptionEntry(const CLI::Option& o) {
  std::string out = ".TP\n" + OptionHeader(o) + "\n" + Flow(o.get_description());
  auto choices = Choices(o);
  if (!choices.empty()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    out += fmt::format("\n.br\nOne of: {}.", Roff(list));
  }
  if (o.get_required()) out += "\n.br\nRequired.";
  return out + "\n";
}

// The options in --help's order: positional arguments, then each group.
std::string OptionList(const CLI::App& cmd) {
  std::string out;
  std::string positionals;
  for (const CLI::Option* o : cmd.get_options())
    if (Visible(*o) && o->get_positional()) positionals += OptionEntry(*o);
  if (!positionals.empty()) out += ".SS Arguments\n" + positionals;
  std::vector<std::string> groups;
  for (const CLI::Option* o : cmd.get_options())
    if (Visible(*o) && !o->get_positional() &&
        std::find(groups.begin(), groups.end(), o->get_group()) == groups.end())
      groups.push_back(o->get_group());
  for (const auto& group : groups) {
    out += fmt::format(".SS \"{}\"\n", Roff(group));
    for (const CLI::Option* o : cmd.get_options())
      if (Visible(*o) && !o->get_positional() && o->get_group() == group) out += OptionEntry(*o);
  }
  return out;
}

std::string Synopsis(const CLI::App& cmd, const std::string& words) {
  std::string out = fmt::format(".B pgreplica {}\n", Roff(words));
  std::string args = "[\\fIOPTIONS\\fR]";
  for (const CLI::Option* o : cmd.get_options())
    if (o->get_positional() && Visible(*o)) {
      // An optional argument in brackets, as --help shows it.
      std::string arg = fmt::format("\\fI{}\\fR", Roff(o->get_name()));
      args += o->get_required() ? " " + arg : " [" + arg + "]";
    }
  return out + args + "\n";
}

std::string Paragraphs(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string_view::npos) end = text.size();
    out += ".PP\n" + Roff(text.substr(pos, end - pos)) + "\n";
    pos = end + 2;
  }
  return out;
}

std::string Examples(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view block = text.substr(pos, end - pos);
    size_t nl = block.find('\n');
    out += ".PP\n" + Roff(block.substr(0, nl)) + "\n";
    if (nl != std::string_view::npos)
      out += ".PP\n.RS 4\n.nf\n" + Roff(block.substr(nl + 1)) + "\n.fi\n.RE\n";
    pos = end + 2;
  }
  return out;
}

std::string ExitStatus(bool nagios) {
  std::string out = ".SH \"EXIT STATUS\"\n";
  if (nagios) {
    out +=
        ".PP\nThe monitoring-plugins codes. Every error, a bad command line or configuration "
        "included, is UNKNOWN with one status line on standard output.\n";
    for (auto s : {monitor::State::kOk, monitor::State::kWarning, monitor::State::kCritical,
                   monitor::State::kUnknown})
      out += fmt::format(".TP\n.B {}\n{}\n", static_cast<int>(s), monitor::StateName(s));
    return out;
  }
  out += ".PP\nThe same codes for every command (docs/exit-codes.md explains each).\n.PD 0\n";
  out += fmt::format(".TP\n.B {}\nsuccess\n", kExitOk);
  for (const auto& k : ErrorKinds())
    out += fmt::format(".TP\n.B {}\n{} ({})\n", k.exit_code, Roff(k.meaning), Roff(k.name));
  return out + ".PD\n";
}

std::string Environment() {
  return ".SH ENVIRONMENT\n"
         ".TP\n.B PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE, PGSSLMODE\n"
         "and libpq's other variables fill in what the configuration leaves empty. "
         "PGPASSWORD is never passed on to the programs pgreplica runs.\n"
         ".TP\n.B NO_COLOR\n"
         "when set, no colour (as \\-\\-no\\-color).\n"
         ".TP\n.B TERM\n"
         "a terminal that is \\(lqdumb\\(rq gets plain progress lines instead of one redrawn "
         "line.\n"
         ".TP\n.B PATH\n"
         "where pg_ctl is looked for when local.bindir is not set and "
         "/usr/lib/postgresql/VERSION/bin does not exist; empty and relative elements are "
         "skipped.\n";
}

std::string Files(const InstallPaths& paths) {
  conf::Config defaults;
  return fmt::format(
      ".SH FILES\n"
      ".TP\n.I {}\n"
      "the configuration, read when \\-\\-config is not given and the file exists.\n"
      ".TP\n.I {}\n"
      "the state directory (state_directory): job records and logs, the locks of data "
      "directories, the journals of swaps in progress. It must belong to the user running "
      "pgreplica and be writable by nobody else.\n"
      ".TP\n.I ~postgres/.pgpass\n"
      "the PostgreSQL OS user's password file (local.pgpass_file), written by pgreplica "
      "pgpass.\n"
      ".TP\n.I {}\n"
      "the documentation: configuration keys, exit codes, monitoring and metrics.\n"
      ".TP\n.I {}\n"
      "the Salt formula, Prometheus alert rules, a Grafana dashboard and systemd drop-in "
      "examples.\n",
      Roff(conf::kDefaultConfigPath), Roff(defaults.state_directory), Roff(paths.docdir),
      Roff(paths.datadir));
}

std::string Header(const std::string& name, std::string_view version, std::string_view date) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  // No hyphenation and no justification: options must never be split across lines.
  return fmt::format(".TH \"{}\" 1 \"{}\" \"pgreplica {}\" \"pgreplica manual\"\n.nh\n.ad l\n",
                     Roff(upper), date, version);
}

// "primary check" -> "pgreplica-primary"; the page that documents the command.
std::string PageFor(std::string_view words) {
  return "pgreplica-" + std::string(words.substr(0, words.find(' ')));
}

std::string SeeAlso(const CLI::App& app, const std::string& self) {
  std::string out = ".SH \"SEE ALSO\"\n";
  std::vector<std::string> refs;
  if (self != "pgreplica") refs.push_back("\\fBpgreplica\\fR(1)");
  for (const CLI::App* c : VisibleSubcommands(app)) {
    std::string page = "pgreplica-" + c->get_name();
    if (page != self) refs.push_back(fmt::format("\\fB{}\\fR(1)", Roff(page)));
  }
  refs.push_back("\\fBpg_basebackup\\fR(1)");
  for (size_t i = 0; i < refs.size(); ++i) out += refs[i] + (i + 1 < refs.size() ? ",\n" : "\n");
  return out;
}

// The page of one top-level command; a command with subcommands describes each.
ManPage CommandPage(const CLI::App& app, const CLI::App& cmd, std::string_view version,
                    std::string_view date, const InstallPaths& paths) {
  std::string name = "pgreplica-" + cmd.get_name();
  std::string words = cmd.get_name();
  std::string page = Header(name, version, date);
  page += fmt::format(".SH NAME\n{} \\- {}\n", Roff(name), Flow(cmd.get_description()));
  auto subs = VisibleSubcommands(cmd);
  page += ".SH SYNOPSIS\n";
  if (subs.empty()) {
    page += Synopsis(cmd, words);
  } else {
    for (size_t i = 0; i < subs.size(); ++i)
      page += (i ? ".br\n" : "") + Synopsis(*subs[i], words + " " + subs[i]->get_name());
  }
  page += ".SH DESCRIPTION\n";
  const CommandProse* prose = FindProse(words);
  if (prose)
    page += Paragraphs(prose->description);
  else
    page += fmt::format(".PP\n{}.\n", Flow(cmd.get_description()));
  std::string root_footer = app.get_footer();
  if (!cmd.get_footer().empty() && cmd.get_footer() != root_footer)
    page += ".PP\n" + Flow(cmd.get_footer()) + "\n";
  if (subs.empty()) {
    page += ".SH OPTIONS\n" + OptionList(cmd);
  } else {
    page += ".SH COMMANDS\n";
    for (const CLI::App* s : subs) {
      std::string sub_words = words + " " + s->get_name();
      page += fmt::format(".SS \"pgreplica {}\"\n.PP\n{}.\n", Roff(sub_words),
                          Flow(s->get_description()));
      if (const CommandProse* p = FindProse(sub_words)) page += Paragraphs(p->description);
      if (!s->get_footer().empty() && s->get_footer() != root_footer)
        page += ".PP\n" + Flow(s->get_footer()) + "\n";
      page += ".PP\nOptions of \\fBpgreplica " + Roff(sub_words) + "\\fR:\n" + OptionList(*s);
    }
  }
  page += ExitStatus(cmd.get_name() == "check");
  page += Environment();
  page += Files(paths);
  page += ".SH EXAMPLES\n";
  if (prose && !prose->examples.empty()) {
    page += Examples(prose->examples);
  } else {
    page += Examples(fmt::format("The options of {0}:\npgreplica {0} --help", words));
  }
  page += SeeAlso(app, name);
  return {name, page};
}

ManPage MainPage(const CLI::App& app, std::string_view version, std::string_view date,
                 const InstallPaths& paths) {
  std::string page = Header("pgreplica", version, date);
  std::string description = app.get_description();
  if (auto colon = description.find(": "); colon != std::string::npos)
    description = description.substr(colon + 2);
  page += fmt::format(".SH NAME\npgreplica \\- {}\n", Flow(description));
  page +=
      ".SH SYNOPSIS\n.B pgreplica\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n"
      ".B pgreplica\n\\fICOMMAND\\fR \\fB\\-\\-help\\fR\n.br\n"
      ".B pgreplica \\-\\-version\n";
  page += ".SH DESCRIPTION\n";
  if (const CommandProse* p = FindProse("")) page += Paragraphs(p->description);
  page += ".SH COMMANDS\n";
  for (const CLI::App* c : VisibleSubcommands(app)) {
    auto subs = VisibleSubcommands(*c);
    if (subs.empty()) subs.push_back(c);
    for (const CLI::App* s : subs) {
      std::string words = s == c ? c->get_name() : c->get_name() + " " + s->get_name();
      page += fmt::format(".TP\n.B pgreplica {}\n{}; see \\fB{}\\fR(1).\n", Roff(words),
                          Flow(s->get_description()), Roff(PageFor(words)));
    }
  }
  page += ".SH OPTIONS\n" + OptionList(app);
  page += ExitStatus(false);
  page +=
      ".PP\n\\fBpgreplica check\\fR, a Nagios plugin, exits 0 OK, 1 WARNING, 2 CRITICAL or 3 "
      "UNKNOWN instead.\n";
  page += Environment();
  page += Files(paths);
  page += ".SH EXAMPLES\n";
  if (const CommandProse* p = FindProse("")) page += Examples(p->examples);
  page += SeeAlso(app, "pgreplica");
  return {"pgreplica", page};
}

}  // namespace

std::vector<const CLI::App*> VisibleSubcommands(const CLI::App& app) {
  return app.get_subcommands(
      [](const CLI::App* s) { return !s->get_name().empty() && !s->get_group().empty(); });
}

std::vector<ManPage> ManPages(const CLI::App& app, std::string_view version, std::string_view date,
                              const InstallPaths& paths) {
  std::vector<ManPage> pages = {MainPage(app, version, date, paths)};
  for (const CLI::App* c : VisibleSubcommands(app))
    pages.push_back(CommandPage(app, *c, version, date, paths));
  return pages;
}

}  // namespace pgreplica::cli
