// The report pages' text: bench/eval/templates/*.html, compiled into the
// binary at build time (cmake/embed_files.cmake; nothing is read at run
// time). A template holds {{name}} placeholders that RenderTemplate fills;
// a file's final newline is not part of its text.
//
//   html.Raw(RenderTemplate("sweep_guide.html",
//                           {{"auto_threshold", absl::StrCat(10)}, ...}));
//
// Thread-safety: both functions are thread-safe.
#ifndef HASHWATCH_BENCH_EVAL_TEMPLATES_H_
#define HASHWATCH_BENCH_EVAL_TEMPLATES_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace hashwatch::bench {

// The text of template `file` ("page.html"). A name that is not a template
// is a programmer error: HW_CHECK aborts.
absl::string_view Template(absl::string_view file);

// Template(file) with every {{name}} replaced by its value, verbatim (escape
// text with HtmlEscape first). Each placeholder needs a value and each value
// a placeholder, or HW_CHECK aborts: a template and its caller cannot drift.
std::string RenderTemplate(
    absl::string_view file,
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        values);

namespace internal {
// One embedded file (defined by the generated templates_data.cc).
struct EmbeddedFile {
  const char* name;
  const char* data;
  size_t size;
};
}  // namespace internal

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_TEMPLATES_H_
