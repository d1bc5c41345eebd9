#pragma once
// Text that comes from outside (server messages, names that clients set,
// file contents) made safe to show on a terminal, in a Nagios line or a log:
// no control character reaches the output.

#include <string>
#include <string_view>

namespace pgreplica {

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates, at
// most U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with each byte that is not part of well-formed UTF-8 replaced by
// U+FFFD, as JSON output does; everything else unchanged.
std::string ReplaceInvalidUtf8(std::string_view text);

// `text` with every byte that would not print as itself written as \xNN: C0
// controls (newline and tab included), DEL, the C1 controls U+0080..U+009F
// (ESC-free terminal escapes) and bytes that are not valid UTF-8. Letters,
// spaces and well-formed multi-byte characters pass through unchanged.
// With `keep_newlines`, '\n' and '\t' stay (for multi-line details such as libpq's).
std::string Printable(std::string_view text, bool keep_newlines = false);

// `text` on one line: each run of line breaks and tabs, with the spaces
// around it, becomes one space; leading and trailing white space is dropped;
// the rest as Printable.
std::string OneLine(std::string_view text);

// `word` as one word for a POSIX shell: as it is when it holds only characters no shell
// treats specially, else in single quotes (a ' inside as '\''). For commands shown to be
// copied, such as clone --dry-run's pg_basebackup command line.
std::string ShellWord(std::string_view word);

// A message as a sentence inside another message's DETAIL: the first letter upper-case, a
// full stop at the end ("could not open X: No such file" -> "Could not open X: No such file.").
std::string AsSentence(std::string_view message);

}  // namespace pgreplica
