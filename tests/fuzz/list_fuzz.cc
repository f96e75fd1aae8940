// libFuzzer target for hash-list import: ListParser (the parser behind
// `hashwatch bank import`, AddEntries and ImportList) on untrusted bytes,
// and ParseDisabledUntil on a fragment of them.
//
// Malformed lines are expected; what fails the run is a crash, a sanitizer
// report, a hang, or one of the invariants below (HW_CHECK aborts, so
// libFuzzer saves the input). Run briefly by CTest as fuzz.list_import_short.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "matcher/bank.h"
#include "matcher/list_import.h"

namespace hashwatch::matcher {
namespace {

// Small limits, so that the fuzzer reaches them.
ListParseOptions FuzzOptions(std::optional<SignalType> signal) {
  ListParseOptions options;
  options.signal = signal;
  options.max_line_bytes = 256;
  options.max_entries = 50;
  options.max_errors_kept = 4;
  return options;
}

void ParseList(absl::string_view text, std::optional<SignalType> signal) {
  ListParser parser(FuzzOptions(signal));
  size_t yielded = 0;
  NewEntry entry;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const absl::string_view line = text.substr(0, end);
    text = end == absl::string_view::npos ? absl::string_view()
                                          : text.substr(end + 1);
    if (!parser.ParseLine(line, &entry)) continue;
    ++yielded;
    // Every entry the parser yields must be one the store accepts as is.
    absl::StatusOr<std::string> canonical =
        CanonicalHashValue(entry.signal, entry.value);
    HW_CHECK(canonical.ok(), "parser yielded a value the store refuses");
    HW_CHECK(entry.metadata_json.empty() || entry.metadata_json[0] == '{',
             "metadata is neither empty nor a JSON object");
  }
  parser.Finish();
  HW_CHECK(yielded == parser.entries(), "entries() disagrees with yields");
  HW_CHECK(yielded <= 50, "yielded more than max_entries");
  HW_CHECK(parser.errors().size() <= 4, "kept more than max_errors_kept");
  HW_CHECK(parser.errors().size() <= parser.error_count(),
           "kept more errors than were counted");
  for (const ListLineError& error : parser.errors()) {
    HW_CHECK(error.line >= 1, "an error names no line");
    HW_CHECK(!error.message.empty(), "an error has no message");
  }
  if (parser.format_refused()) {
    HW_CHECK(yielded == 0, "a refused format yielded entries");
  }
}

// What ParseDisabledUntil accepts, FormatDisabledUntil writes back to a
// text that parses to the same time (bank export, then import).
void RoundTripDisabledUntil(absl::string_view text) {
  absl::StatusOr<absl::Time> parsed = ParseDisabledUntil(text);
  if (!parsed.ok()) return;
  absl::StatusOr<absl::Time> again =
      ParseDisabledUntil(FormatDisabledUntil(*parsed));
  HW_CHECK(again.ok() && *again == *parsed,
           "disabled_until does not round-trip through export");
}

}  // namespace
}  // namespace hashwatch::matcher

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hashwatch::matcher;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  ParseList(text, std::nullopt);
  ParseList(text, SignalType::kPdq);
  ParseList(text, SignalType::kMd5);
  RoundTripDisabledUntil(text.substr(0, text.find('\n')));
  return 0;
}
