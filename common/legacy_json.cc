#include "common/legacy_json.h"

namespace hashwatch {

absl::StatusOr<nlohmann::json> ParseJsonRecord(absl::string_view data,
                                               absl::string_view what) {
  nlohmann::json j = nlohmann::json::parse(data.begin(), data.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat(
        what, " is corrupt: not a known format version and not valid JSON"));
  }
  return j;
}

absl::Status JsonFieldReader::status(absl::string_view what) const {
  if (bad_.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(what, " is corrupt: field \"", bad_,
                                          "\" has the wrong type or range"));
}

}  // namespace hashwatch
