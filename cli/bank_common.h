// What the two paths of `hashwatch bank` share — directly on the database
// (--db) and through a server's BankService (--server): reading a list file
// and every line of output, so both print the same.
#ifndef HASHWATCH_CLI_BANK_COMMON_H_
#define HASHWATCH_CLI_BANK_COMMON_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/bank_command.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "matcher/evidence.h"
#include "matcher/list_import.h"

namespace hashwatch::cli {

// What StreamList read.
struct StreamedList {
  matcher::ParsedList::Format format = matcher::ParsedList::Format::kPlain;
  size_t entries = 0;    // given to the sink
  size_t bad_lines = 0;  // malformed lines (skipped with --skip-invalid)
};

// Streams `o.file` ("-" = stdin) through the list parser with `o.signal`,
// giving each entry to `sink` as it is read, so a list of any size takes
// constant memory here. Prints each bad line (the first 20, then a count)
// on `err`; the messages speak of importing or, for o.action "remove", of
// removing. Returns nullopt, with the exit code in `*exit_code`, when what
// the sink received must not be used: the file is unreadable, holds more
// than `max_entries` entries or bad lines without `o.skip_invalid`, or the
// sink failed (its error is printed).
std::optional<StreamedList> StreamList(
    const BankCommandOptions& o, size_t max_entries, std::ostream& err,
    int* exit_code,
    const std::function<absl::Status(const matcher::NewEntry&)>& sink);

// --signal: nullopt when empty (infer), InvalidArgument for a bad name.
absl::StatusOr<std::optional<matcher::SignalType>> SignalOption(
    const std::string& name);

// The signal types `bank disable HASH` tries in order: the given one, else
// the ones a hash of this many digits can be (pdq before sha256 for 64).
// Empty when the length fits none.
std::vector<matcher::SignalType> DisableCandidates(
    std::optional<matcher::SignalType> signal, const std::string& hash);

// --until of `bank disable`: InfiniteFuture when empty.
absl::StatusOr<absl::Time> DisableUntil(const std::string& until);

// The policy `bank create` asks for: `policy` with --no-auto-report applied.
matcher::BankPolicy CreatePolicy(const BankCommandOptions& options);

// One function per line (or block) of output; `json` selects one JSON
// object per line instead of text.
void PrintBankCreated(const matcher::Bank& bank, bool json, std::ostream& out);
void PrintBankListHeader(bool json, std::ostream& out);
void PrintBankListRow(const matcher::Bank& bank, int64_t entries, bool json,
                      std::ostream& out);
void PrintBankStats(const matcher::BankStats& stats, bool json,
                    std::ostream& out);
// import: "imported FILE into BANK (FORMAT): N added, …" or, with `json`,
// {"bank", "file", "format", "added", "updated", "unchanged", "bad_lines"}.
void PrintImported(const std::string& file, const std::string& bank,
                   const std::string& format,
                   const matcher::WriteResult& result, size_t bad_lines,
                   bool json, std::ostream& out);
// remove: "removed N from BANK; M not in the bank" or, with `json`,
// {"bank", "file", "format", "removed", "not_found", "bad_lines"}.
void PrintRemoved(const std::string& file, const std::string& bank,
                  const std::string& format, const matcher::WriteResult& result,
                  size_t bad_lines, bool json, std::ostream& out);
// Export: a CSV header (text only), then one line per entry with every
// field (disabled_until as matcher::FormatDisabledUntil writes it); the CSV
// reads back with `bank import` into the same entries.
void PrintExportHeader(bool json, std::ostream& out);
void PrintExportEntry(const matcher::BankEntry& entry, bool json,
                      std::ostream& out);
// disable: "disabled SIGNAL HASH in BANK until TIME" (or "… indefinitely")
// or, with `json`, the entry as export prints it, after "bank".
void PrintDisabled(const matcher::BankEntry& entry, bool json,
                   std::ostream& out);
// add-images: one file's outcome.
struct AddedImage {
  std::string file;
  std::string error;   // empty: banked
  bool added = false;  // new to the bank (else it held the picture)
  matcher::ContentHashes hashes;
  std::string no_signature;  // why it has none (hashes only); empty: it has
};
// add-images: per file "added FILE to BANK (sha256 …, pdq quality Q)"
// (with "; no signature: why" for a picture banked by its hashes only),
// "FILE: already in BANK" or, with `json`, {"bank", "file", "added",
// "sha256", "pdq", "pdq_quality", "signature", and "no_signature" when
// false}; a failed file is one line on `err`
// ("hashwatch: FILE: why; nothing of it was added"). Then (text) a summary
// line. Returns the exit code: 1 when any file failed.
int PrintAddedImages(const std::string& bank,
                     const std::vector<AddedImage>& images, bool json,
                     std::ostream& out, std::ostream& err);
// delete: "deleted bank BANK" or {"bank", "deleted": true}.
void PrintDeleted(const std::string& bank, bool json, std::ostream& out);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_BANK_COMMON_H_
