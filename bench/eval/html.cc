#include "bench/eval/html.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/eval/io.h"
#include "bench/eval/templates.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

HtmlReport::HtmlReport(absl::string_view title) : title_(title) {
  absl::StrAppend(&body_, "<h1>", HtmlEscape(title), "</h1>\n");
}

void HtmlReport::Heading(int level, absl::string_view text) {
  const int l = std::clamp(level, 2, 4);
  absl::StrAppend(&body_, "<h", l, ">", HtmlEscape(text), "</h", l, ">\n");
}

void HtmlReport::Paragraph(absl::string_view html) {
  absl::StrAppend(&body_, "<p>", html, "</p>\n");
}

void HtmlReport::Raw(absl::string_view html) {
  absl::StrAppend(&body_, html, "\n");
}

void HtmlReport::Table(const std::vector<std::string>& header,
                       const std::vector<std::vector<HtmlCell>>& rows,
                       bool numeric) {
  absl::StrAppend(&body_, "<table>\n<tr>");
  for (const std::string& h : header)
    absl::StrAppend(&body_, "<th>", h, "</th>");
  absl::StrAppend(&body_, "</tr>\n");
  for (const auto& row : rows) {
    absl::StrAppend(&body_, "<tr>");
    for (size_t i = 0; i < row.size(); ++i) {
      const bool num = numeric && i > 0;
      absl::StrAppend(&body_, "<td", num ? " class=\"num\"" : "");
      if (!row[i].background.empty()) {
        absl::StrAppend(&body_, " style=\"background:", row[i].background,
                        "\"");
      }
      absl::StrAppend(&body_, ">", row[i].html, "</td>");
    }
    absl::StrAppend(&body_, "</tr>\n");
  }
  absl::StrAppend(&body_, "</table>\n");
}

absl::Status HtmlReport::Image(const std::string& path, absl::string_view alt,
                               absl::string_view caption_html) {
  HW_ASSIGN_OR_RETURN(std::string png, ReadWholeFile(path));
  absl::StrAppend(&body_, "<figure><img alt=\"", HtmlEscape(alt),
                  "\" src=\"data:image/png;base64,", absl::Base64Escape(png),
                  "\"><figcaption>", caption_html, "</figcaption></figure>\n");
  return absl::OkStatus();
}

std::string HtmlReport::Finish() const {
  return RenderTemplate("page.html",
                        {{"title", HtmlEscape(title_)}, {"body", body_}});
}

std::string RatioColour(double ratio) {
  if (std::isnan(ratio)) return "";
  const double r = std::clamp(ratio, 0.0, 1.0);
  // Red (0) -> yellow (0.5) -> green (1), pale enough for black text.
  const int red = r < 0.5 ? 255 : static_cast<int>(255 - (r - 0.5) * 2 * 110);
  const int green = r < 0.5 ? static_cast<int>(150 + r * 2 * 95) : 245;
  return absl::StrFormat("#%02x%02x%02x", red, green, 150);
}

}  // namespace hashwatch::bench
