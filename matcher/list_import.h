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

#include <map>
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
  // Malformed lines kept with their messages; the rest are only counted
  // (error_count). Default 1000.
  size_t max_errors_kept = 1000;
};

struct ListLineError {
  int line = 0;  // 1-based line number in the file
  std::string message;
};

struct ParsedList {
  enum class Format { kPlain, kCsv, kThreatExchangePdq };
  Format format = Format::kPlain;
  std::vector<NewEntry> entries;   // valid lines, in file order
  std::vector<ListLineError> errors;  // malformed lines, in file order (the
                                      // first max_errors_kept)
  size_t error_count = 0;         // malformed lines in all
  bool too_many_entries = false;  // stopped at max_entries
};

absl::string_view ListFormatName(ParsedList::Format format);

// Parses a list line by line, so that a list of any size streams through in
// constant memory (BankImport stages what it yields on disk):
//
//   ListParser parser(options);
//   NewEntry entry;
//   while (ReadNextLine(&line)) {
//     if (parser.ParseLine(line, &entry))
//     HW_RETURN_IF_ERROR(import->Add(entry));
//   }
//   if (parser.error_count() > 0) ...   // parser.errors() has the first ones
//
// The format is detected from the first line that is not blank or a
// comment, as ParseHashList does.
class ListParser {
 public:
  explicit ListParser(const ListParseOptions& options);

  // Parses one line (without its '\n'). Returns true and sets *entry when
  // the line is an entry; false for blank, comment and header lines, for
  // malformed lines (recorded in errors()) and for every line once
  // too_many_entries() is set.
  bool ParseLine(absl::string_view line, NewEntry* entry);

  ParsedList::Format format() const { return format_; }
  const std::vector<ListLineError>& errors() const { return errors_; }
  size_t error_count() const { return error_count_; }
  size_t entries() const { return entries_; }
  // A line past max_entries was seen: the list must be refused as a whole.
  bool too_many_entries() const { return too_many_entries_; }

 private:
  void Fail(absl::string_view message);

  ListParseOptions options_;
  ParsedList::Format format_ = ParsedList::Format::kPlain;
  bool format_known_ = false;
  std::map<std::string, size_t> columns_;  // CSV header: column name -> index
  int line_no_ = 0;
  size_t entries_ = 0;
  std::vector<ListLineError> errors_;
  size_t error_count_ = 0;
  bool too_many_entries_ = false;
};

// Parses a whole list file. Never fails as a whole: malformed lines are
// reported in `errors` with their line numbers, and the caller decides
// (BankStore imports nothing when any line is bad unless told to skip them).
ParsedList ParseHashList(absl::string_view content,
                         const ListParseOptions& options);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_LIST_IMPORT_H_
