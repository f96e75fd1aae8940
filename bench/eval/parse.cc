#include "bench/eval/parse.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hashwatch::bench {

absl::StatusOr<std::map<std::string, double>> ParseKeyValues(
    absl::string_view text, absl::string_view what) {
  std::map<std::string, double> out;
  for (absl::string_view item :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    const size_t eq = item.find('=');
    double v = 0;
    if (eq == absl::string_view::npos || eq == 0 ||
        !absl::SimpleAtod(absl::StripAsciiWhitespace(item.substr(eq + 1)),
                          &v) ||
        !std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": '", item, "' is not name=number"));
    }
    std::string key(absl::StripAsciiWhitespace(item.substr(0, eq)));
    if (!out.emplace(key, v).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": '", key, "' is given twice"));
    }
  }
  return out;
}

absl::StatusOr<std::vector<ShiftSpec>> ParseShifts(absl::string_view text) {
  std::vector<ShiftSpec> out;
  for (absl::string_view item :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    const size_t dash = item.find('-'), colon = item.find(':');
    double start = 0, end = 0;
    int n = 0;
    if (dash == absl::string_view::npos || colon == absl::string_view::npos ||
        colon < dash || !absl::SimpleAtod(item.substr(0, dash), &start) ||
        !absl::SimpleAtod(item.substr(dash + 1, colon - dash - 1), &end) ||
        !absl::SimpleAtoi(item.substr(colon + 1), &n) ||
        !(start >= 0 && start < 24) || !(end >= 0 && end <= 24) || n < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shifts: '", item,
          "' is not START-END:MODERATORS (hours 0..24, e.g. 9-17:4)"));
    }
    double hours = end - start;
    if (hours <= 0) hours += 24;
    out.push_back({start, hours, n});
  }
  if (out.empty()) return absl::InvalidArgumentError("shifts: no shift given");
  return out;
}

std::vector<std::string> ParseList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

}  // namespace hashwatch::bench
