// A self-contained HTML report: headings, paragraphs, tables and PNG plots
// inlined as base64 data: URIs, with a small inline style sheet and no
// network references, so the file opens anywhere (and offline). The page
// around them is bench/eval/templates/page.html (bench/eval/templates.h).
//
// The page ends with a one-line script that records, on <body>, how many
// of its images decoded (data-images-loaded="loaded/total"); the report
// test reads it back from headless Chromium's DOM dump.
//
// Thread-safety: HtmlReport is not thread-safe; Escape is.
#ifndef HASHWATCH_BENCH_EVAL_HTML_H_
#define HASHWATCH_BENCH_EVAL_HTML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench {

// `text` with & < > " ' escaped.
std::string HtmlEscape(absl::string_view text);

// One table cell: trusted markup and an optional background colour.
struct HtmlCell {
  HtmlCell(std::string h) : html(std::move(h)) {}  // NOLINT: implicit by design
  HtmlCell(const char* h) : html(h) {}             // NOLINT
  HtmlCell(std::string h, std::string bg)
      : html(std::move(h)), background(std::move(bg)) {}
  std::string html;
  std::string background;  // e.g. "#ffd0a0"; empty for none
};

class HtmlReport final {
 public:
  explicit HtmlReport(absl::string_view title);

  void Heading(int level, absl::string_view text);  // <h2>, <h3>
  void Paragraph(absl::string_view html);           // trusted markup
  void Raw(absl::string_view html);                 // trusted markup
  // One table; cells are trusted markup (escape text with HtmlEscape).
  // `numeric` right-aligns every column but the first.
  void Table(const std::vector<std::string>& header,
             const std::vector<std::vector<HtmlCell>>& rows,
             bool numeric = true);
  // Inlines the PNG at `path` with a caption. NotFound etc. as ReadWholeFile.
  absl::Status Image(const std::string& path, absl::string_view alt,
                     absl::string_view caption_html);

  // The finished document.
  std::string Finish() const;

 private:
  std::string title_;
  std::string body_;
};

// A background colour for a 0..1 ratio (red through yellow to green), for
// table cells; "" for NaN.
std::string RatioColour(double ratio);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_HTML_H_
