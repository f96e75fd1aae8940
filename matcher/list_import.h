// Parsing of hash list files as hotlines and tools share them, into entries
// ready for BankStore::AddEntries. Pure functions; no storage.
//
// Formats, detected per file from its first line that is not blank or a
// comment:
//  - plain: one hash per line. Blank lines and lines starting with '#' are
//    skipped; surrounding whitespace is trimmed.
//  - CSV with a header: the first line names the columns, at least `hash`;
//    optional `signal_type`, `category`, `source`, `note`, `metadata` (a
//    JSON object), `quality` (PDQ quality, a whole number 0..100, kept in
//    metadata as a number) and `disabled_until` (the entry's state, as
//    `hashwatch bank export` writes it: empty = enabled, an RFC 3339 time,
//    or "indefinitely"). Column names are case-insensitive; other columns
//    are kept in the entry's metadata JSON under their names, as strings.
//    Fields may be quoted as RFC 4180 ("a,b", "" for a quote, line breaks
//    inside quotes; spaces inside quotes are kept, outside trimmed).
//  - hash,quality (ThreatExchange-style PDQ export): lines of a hash and
//    optionally its PDQ quality, with or without the header line
//    `hash,quality`. PDQ by definition; the quality is kept in metadata as
//    {"quality": N}.
// A first line of several fields that is neither a header naming a `hash`
// column nor `hash,quality` is refused, and so is every line after it:
// which column is a category and which a source is not guessed.
//
// The signal type comes from the `signal_type` column, else the caller's
// `signal`, else the format (hash,quality is PDQ), else the hash length: 32
// hex digits = md5, 40 = sha1; 64 is PDQ or SHA-256 and is refused, naming
// the options, rather than guessed.
#ifndef HASHWATCH_MATCHER_LIST_IMPORT_H_
#define HASHWATCH_MATCHER_LIST_IMPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "matcher/bank.h"

namespace hashwatch::matcher {

struct ListParseOptions {
  // Signal type for lines that do not say; nullopt = infer from length.
  std::optional<SignalType> signal;
  // Lines (and quoted records spanning lines) longer than this are
  // malformed (bytes). Default 64 KiB.
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
  std::vector<NewEntry> entries;      // valid lines, in file order
  std::vector<ListLineError> errors;  // malformed lines, in file order (the
                                      // first max_errors_kept)
  size_t error_count = 0;             // malformed lines in all
  bool too_many_entries = false;      // stopped at max_entries
};

absl::string_view ListFormatName(ParsedList::Format format);

// The `disabled_until` field of a list (what `bank export` writes): "" for
// an enabled entry (InfinitePast), "indefinitely" for one disabled with no
// end (InfiniteFuture), else RFC 3339 in UTC with the fraction of a second
// when there is one, so that it reads back exactly.
std::string FormatDisabledUntil(absl::Time until);
// The inverse; also any RFC 3339 time with an offset. InvalidArgument
// otherwise.
absl::StatusOr<absl::Time> ParseDisabledUntil(absl::string_view text);

// Parses a list line by line, so that a list of any size streams through in
// constant memory (BankImport stages what it yields on disk):
//
//   ListParser parser(options);
//   NewEntry entry;
//   while (ReadNextLine(&line)) {
//     if (parser.ParseLine(line, &entry))
//     HW_RETURN_IF_ERROR(import->Add(entry));
//   }
//   parser.Finish();
//   if (parser.error_count() > 0) ...   // parser.errors() has the first ones
//
// Errors name the line a record starts on. Lines after a refused first line
// are counted in error_count but not kept in errors(): the first says why.
class ListParser {
 public:
  explicit ListParser(const ListParseOptions& options);

  // Parses one line (without its '\n'). Returns true and sets *entry when
  // the line completes an entry; false for blank, comment and header lines,
  // for lines inside a quoted field that goes on, for malformed lines
  // (recorded in errors()) and for every line once too_many_entries() is
  // set.
  bool ParseLine(absl::string_view line, NewEntry* entry);
  // Ends the file: a quoted field still open is an error. Call once, after
  // the last line; errors are complete only then.
  void Finish();

  ParsedList::Format format() const { return format_; }
  const std::vector<ListLineError>& errors() const { return errors_; }
  size_t error_count() const { return error_count_; }
  size_t entries() const { return entries_; }
  // A line past max_entries was seen: the list must be refused as a whole.
  bool too_many_entries() const { return too_many_entries_; }
  // The first line was refused (several fields, no header naming them), so
  // no line of the file can be read: skipping bad lines leaves nothing, and
  // the list should be refused as a whole.
  bool format_refused() const { return refused_at_ > 0; }

 private:
  void Fail(absl::string_view message);
  // The first data line: sets format_ (and columns_ for a header). Returns
  // true when the line is a header.
  bool DetectFormat(absl::string_view line);
  // A record split into its fields, as the format reads them.
  bool ParseFields(const std::vector<std::string>& fields, NewEntry* entry);
  bool ParseCsvFields(const std::vector<std::string>& fields, NewEntry* entry,
                      std::optional<SignalType>* signal);
  // Gives up on the quoted record being collected: one error, every line
  // of it counted.
  void FailPending(absl::string_view message);

  ListParseOptions options_;
  ParsedList::Format format_ = ParsedList::Format::kPlain;
  bool format_known_ = false;
  int refused_at_ = 0;  // line of a refused first line; 0 if none
  std::map<std::string, size_t> columns_;  // header: column name -> index
  size_t header_size_ = 0;                 // columns the header names
  int line_no_ = 0;
  int record_line_ = 0;  // where the record being parsed starts
  std::string pending_;  // a CSV record whose quoted field goes on
  int pending_lines_ = 0;
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
