// Reading records that the stores wrote as JSON objects before they used
// the record codec (common/record_codec.h), without exceptions: a damaged
// disk or a bad restore can hand back anything, and nlohmann's value()
// throws on a field of the wrong type.
//
//   HW_ASSIGN_OR_RETURN(nlohmann::json j,
//                       ParseJsonRecord(data, "bank_store: bank record"));
//   JsonFieldReader r(j);
//   r.Get("name", &bank.name);
//   HW_RETURN_IF_ERROR(r.status("bank_store: bank \"b\" record"));
//
// Thread-safety: ParseJsonRecord is a pure function; a JsonFieldReader is
// used by one thread.
#ifndef HASHWATCH_COMMON_LEGACY_JSON_H_
#define HASHWATCH_COMMON_LEGACY_JSON_H_

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hashwatch {

// The JSON object in `data`; DataLoss "<what> is corrupt: not a known
// format version and not valid JSON" otherwise.
absl::StatusOr<nlohmann::json> ParseJsonRecord(absl::string_view data,
                                               absl::string_view what);

// Reads a JSON record's fields: an absent field keeps its default; a field
// of another type, or out of the C++ type's range, marks the record corrupt
// and the reader reads nothing more.
class JsonFieldReader {
 public:
  explicit JsonFieldReader(const nlohmann::json& j) : j_(j) {}

  // T: std::string, bool, or an integral type.
  template <typename T>
  void Get(const char* key, T* out) {
    const auto it = j_.find(key);
    if (it == j_.end() || !bad_.empty()) return;
    if (Convert(*it, out)) return;
    bad_ = key;
  }

  // OK, or DataLoss "<what> is corrupt: field "<name>" has the wrong type
  // or range", naming the first bad field.
  absl::Status status(absl::string_view what) const;

 private:
  static bool Convert(const nlohmann::json& v, std::string* out) {
    if (!v.is_string()) return false;
    *out = v.get<std::string>();
    return true;
  }
  static bool Convert(const nlohmann::json& v, bool* out) {
    if (!v.is_boolean()) return false;
    *out = v.get<bool>();
    return true;
  }
  template <typename T>
  static bool Convert(const nlohmann::json& v, T* out) {
    static_assert(std::is_integral_v<T>);
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        return false;
      *out = static_cast<T>(u);
      return true;
    }
    if (!v.is_number_integer()) return false;
    const int64_t s = v.get<int64_t>();
    if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (s > 0 && static_cast<uint64_t>(s) >
                      static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
      return false;
    }
    *out = static_cast<T>(s);
    return true;
  }

  const nlohmann::json& j_;
  std::string bad_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_LEGACY_JSON_H_
