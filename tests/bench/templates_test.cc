// The report pages' embedded templates (bench/eval/templates.h) and the
// page HtmlReport builds from them.
#include "bench/eval/templates.h"

#include <string>

#include "absl/strings/match.h"
#include "bench/eval/html.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hashwatch::bench {
namespace {

using ::testing::HasSubstr;

TEST(TemplatesTest, EmbeddedFileIsTheTextWithoutItsFinalNewline) {
  const absl::string_view note = Template("sweep_routing_note.html");
  EXPECT_TRUE(absl::StartsWith(
      note, "A picture goes where its closest entry puts it."));
  EXPECT_TRUE(absl::EndsWith(note, "distractors are benign.")) << note;
}

TEST(TemplatesTest, RenderFillsEveryPlaceholderVerbatimOnce) {
  // A value holding a placeholder's spelling is not substituted again.
  const std::string html = RenderTemplate(
      "capacity_overload.html",
      {{"offered_hours", "{{moderator_hours}}"}, {"moderator_hours", "12"}});
  EXPECT_EQ(html,
            "<div class=\"warn\">More review work arrives ({{moderator_hours}} "
            "h) than the "
            "team has hours on shift (12 h): the backlog can only grow.</div>");
}

TEST(TemplatesTest, PageWrapsTitleAndBodyAndCountsItsImages) {
  HtmlReport report("sweep <1>");
  report.Paragraph("body text");
  const std::string page = report.Finish();
  EXPECT_TRUE(absl::StartsWith(page, "<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_THAT(page, HasSubstr("<title>sweep &lt;1&gt;</title>"));
  EXPECT_THAT(
      page, HasSubstr("<h1>sweep &lt;1&gt;</h1>\n<p>body text</p>\n<script>"));
  EXPECT_THAT(page, HasSubstr("data-images-loaded"));
  EXPECT_TRUE(absl::EndsWith(page, "</script>\n</body></html>\n"));
}

TEST(TemplatesDeathTest, AMissingOrUnknownValueOrTemplateIsAProgrammerError) {
  EXPECT_DEATH(
      RenderTemplate("capacity_overload.html", {{"offered_hours", "1"}}),
      "no value for \\{\\{moderator_hours\\}\\}");
  EXPECT_DEATH(RenderTemplate("sweep_routing_note.html", {{"x", "1"}}),
               "has no \\{\\{x\\}\\}");
  EXPECT_DEATH(Template("nosuch.html"), "no template nosuch.html");
}

}  // namespace
}  // namespace hashwatch::bench
