// What the two paths of `hashwatch bank` share — directly on the database
// (--db) and through a server's BankService (--server): reading a list file
// and every line of output, so both print the same.
#ifndef HASHWATCH_CLI_BANK_COMMON_H_
#define HASHWATCH_CLI_BANK_COMMON_H_

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/bank_command.h"
#include "matcher/bank.h"
#include "matcher/bank_store.h"
#include "matcher/list_import.h"

namespace hashwatch::cli {

// A list file as read by `bank import` and `bank remove`.
struct LoadedList {
  std::string content;  // the file's bytes
  matcher::ParsedList parsed;
};

// Reads and parses `o.file` with `o.signal`, printing each bad line (the
// first 20, then a count) on `err`. Returns nullopt, with the exit code in
// `*exit_code`, when the list must not be used: unreadable, over the entry
// limit, or bad lines without `o.skip_invalid`.
std::optional<LoadedList> LoadList(const BankCommandOptions& o, std::ostream& err,
                                   int* exit_code);

// --signal: nullopt when empty (infer), InvalidArgument for a bad name.
absl::StatusOr<std::optional<matcher::SignalType>> SignalOption(const std::string& name);

// The signal types `bank disable HASH` tries in order: the given one, else
// the ones a hash of this many digits can be (pdq before sha256 for 64).
// Empty when the length fits none.
std::vector<matcher::SignalType> DisableCandidates(std::optional<matcher::SignalType> signal,
                                                   const std::string& hash);

// --until of `bank disable`: InfiniteFuture when empty.
absl::StatusOr<absl::Time> DisableUntil(const std::string& until);

// One function per line (or block) of output; `json` selects one JSON
// object per line instead of text.
void PrintBankCreated(const matcher::Bank& bank, bool json, std::ostream& out);
void PrintBankListHeader(bool json, std::ostream& out);
void PrintBankListRow(const matcher::Bank& bank, int64_t entries, bool json,
                      std::ostream& out);
void PrintBankStats(const matcher::BankStats& stats, bool json, std::ostream& out);
void PrintImported(const std::string& file, const std::string& bank,
                   const std::string& format, const matcher::WriteResult& result,
                   size_t bad_lines, std::ostream& out);
void PrintRemoved(const std::string& bank, const matcher::WriteResult& result,
                  std::ostream& out);
// Export: a CSV header (text only), then one line per entry; the CSV reads
// back with `bank import`.
void PrintExportHeader(bool json, std::ostream& out);
void PrintExportEntry(const matcher::BankEntry& entry, bool json, std::ostream& out);
void PrintDisabled(const std::string& bank, matcher::SignalType signal,
                   const std::string& value, absl::Time until, std::ostream& out);
void PrintDeleted(const std::string& bank, std::ostream& out);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_BANK_COMMON_H_
