// Minimal RFC 4180 CSV for bench/eval's outputs and inputs: quoting on
// write, a line splitter that understands quotes on read, and fixed number
// formatting so that equal results give byte-identical files.
//
// Thread-safety: pure functions.
#ifndef HASHWATCH_BENCH_EVAL_CSV_H_
#define HASHWATCH_BENCH_EVAL_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hashwatch::bench {

// `field` quoted when it holds a comma, quote, CR or LF.
std::string CsvField(absl::string_view field);

// One CSV line of `fields` (each through CsvField), ending in "\n".
std::string CsvLine(absl::Span<const std::string> fields);

// `value` with exactly `decimals` digits after the point ("%.*f"; "-0"
// printed as "0"); "" for NaN (an undefined ratio).
std::string Fixed(double value, int decimals);

// Splits `text` into records of fields. Quoted fields may hold commas,
// doubled quotes and newlines; CRLF and LF both end a record; a final
// empty line is ignored. InvalidArgument (with the line number) for an
// unterminated quote or a stray quote inside an unquoted field.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(
    absl::string_view text);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_CSV_H_
