#include "bench/eval/templates.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
namespace internal {
// Generated from bench/eval/templates/*.html (bench/CMakeLists.txt).
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;
}  // namespace internal

absl::string_view Template(absl::string_view file) {
  for (size_t i = 0; i < internal::kEmbeddedFileCount; ++i) {
    const internal::EmbeddedFile& f = internal::kEmbeddedFiles[i];
    if (f.name == file) return absl::string_view(f.data, f.size);
  }
  HW_CHECK(false, absl::StrCat("templates: no template ", file).c_str());
  return {};
}

std::string RenderTemplate(
    absl::string_view file,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        values) {
  const absl::string_view text = Template(file);
  std::set<std::string> wanted;
  for (size_t at = text.find("{{"); at != absl::string_view::npos;
       at = text.find("{{", at + 2)) {
    const size_t end = text.find("}}", at);
    HW_CHECK(end != absl::string_view::npos,
             absl::StrCat("templates: ", file, ": unclosed {{").c_str());
    wanted.insert(std::string(text.substr(at + 2, end - at - 2)));
  }
  std::vector<std::pair<std::string, absl::string_view>> replacements;
  for (const auto& [name, value] : values) {
    HW_CHECK(
        wanted.erase(std::string(name)) == 1,
        absl::StrCat("templates: ", file, " has no {{", name, "}}").c_str());
    replacements.emplace_back(absl::StrCat("{{", name, "}}"), value);
  }
  HW_CHECK(wanted.empty(),
           absl::StrCat("templates: ", file, ": no value for {{",
                        wanted.empty() ? "" : *wanted.begin(), "}}")
               .c_str());
  return absl::StrReplaceAll(text, replacements);
}

}  // namespace hashwatch::bench
