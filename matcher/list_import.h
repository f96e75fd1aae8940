// Parsing of hash list files as hotlines and tools share them, into entries
// ready for BankStore::AddEntries. Pure functions; no storage.
//
// Formats, detected per file:
//  - plain: one hash per line. Blank lines and lines starting with '#' are
//    skipped; surrounding whitespace is trimmed.
//  - CSV with a header: the first line names the columns, at least `hash`;
//    optional `signal_type`, `category`, `source`, `note` and `metadata` (a
//    JSON object); column names are case-insensitive, and other columns are
//    kept in the entry's metadata JSON under their names. Fields may be
//    quoted as RFC 4180 ("a,b" and "" for a quote).
//  - ThreatExchange-style PDQ export: headerless `hash,quality` or
//    `hash,...` lines; the first field is the hash, a numeric second field is
//    the PDQ quality (kept in metadata as {"quality": N}).
//
// The signal type comes from the `signal_type` column, else the caller's
// `signal`, else the hash length: 32 hex digits = md5, 40 = sha1; 64 is
// ambiguous (pdq or sha256) and needs `signal` — except in the
// ThreatExchange PDQ format, which is PDQ by definition.
#ifndef HASHWATCH_MATCHER_LIST_IMPORT_H_
#define HASHWATCH_MATCHER_LIST_IMPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "matcher/bank.h"

namespace hashwatch::matcher {

struct ListParseOptions {
  // Signal type for lines that do not say; nullopt = infer from length.
  std::optional<SignalType> signal;
  // Lines longer than this are malformed (bytes). Default 64 KiB.
  size_t max_line_bytes = 64 << 10;
  // Files with more entries than this are refused as a whole. Default 50M.
  size_t max_entries = 50'000'000;
};

struct ListLineError {
  int line = 0;  // 1-based line number in the file
  std::string message;
};

struct ParsedList {
  enum class Format { kPlain, kCsv, kThreatExchangePdq };
  Format format = Format::kPlain;
  std::vector<NewEntry> entries;   // valid lines, in file order
  std::vector<ListLineError> errors;  // malformed lines, in file order
  bool too_many_entries = false;   // stopped at max_entries
};

absl::string_view ListFormatName(ParsedList::Format format);

// Parses a whole list file. Never fails as a whole: malformed lines are
// reported in `errors` with their line numbers, and the caller decides
// (BankStore imports nothing when any line is bad unless told to skip them).
ParsedList ParseHashList(absl::string_view content,
                         const ListParseOptions& options);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_LIST_IMPORT_H_
