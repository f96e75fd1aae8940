// Renders the sweep's and the capacity planner's report.html with headless
// Chromium (Debian's `chromium`, installed by scripts/install-deps.sh) and
// checks that the page is not blank and that every inlined plot decoded.
// Skipped when Chromium or gnuplot is not installed.
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/eval/capacity.h"
#include "bench/eval/plot.h"
#include "bench/eval/sweep.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/pictures.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::bench {
namespace {

using ::hashwatch::testing::MakePicture;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::TempDir;

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Runs headless Chromium on `html` with a fresh profile; `mode` is
// "--screenshot=PATH" or "--dump-dom". The coreutils timeout bounds a hung
// browser, so the test never waits on a clock of its own.
ProcessResult Chromium(const std::string& html, const std::string& mode) {
  TempDir profile;
  return RunProcess({FindInPath("timeout"), "120", FindInPath("chromium"),
                     "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-quic", "--no-first-run",
                     "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", "--user-data-dir=" + profile.path(),
                     "--window-size=1200,1800", mode, "file://" + html});
}

struct Ink {
  double non_white = 0;  // share of pixels with a channel below 230
  double stddev = 0;     // over all bands
};

Ink Measure(const std::string& png) {
  VipsImage* image = vips_image_new_from_file(png.c_str(), "access",
                                              VIPS_ACCESS_SEQUENTIAL, nullptr);
  EXPECT_NE(image, nullptr) << vips_error_buffer();
  Ink ink;
  if (image == nullptr) return ink;
  VipsImage* flat = nullptr;
  VipsImage* rgb = nullptr;
  if (vips_image_hasalpha(image)) {
    vips_flatten(image, &flat, nullptr);
  } else {
    flat = image;
    g_object_ref(flat);
  }
  vips_extract_band(flat, &rgb, 0, "n", 3, nullptr);
  size_t size = 0;
  auto* px =
      static_cast<unsigned char*>(vips_image_write_to_memory(rgb, &size));
  double sum = 0, sum2 = 0;
  size_t dark = 0;
  for (size_t i = 0; i + 2 < size; i += 3) {
    dark += px[i] < 230 || px[i + 1] < 230 || px[i + 2] < 230;
    for (int b = 0; b < 3; ++b) {
      sum += px[i + b];
      sum2 += static_cast<double>(px[i + b]) * px[i + b];
    }
  }
  const double n = static_cast<double>(size);
  ink.non_white = dark / (n / 3);
  ink.stddev = std::sqrt(std::max(0.0, sum2 / n - (sum / n) * (sum / n)));
  g_free(px);
  g_object_unref(rgb);
  g_object_unref(flat);
  g_object_unref(image);
  return ink;
}

void ExpectRendered(const std::string& html, int images) {
  TempDir shots;
  const std::string png = shots.Sub("page.png");
  ProcessResult shot = Chromium(html, "--screenshot=" + png);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const Ink ink = Measure(png);
  EXPECT_GT(ink.non_white, 0.05) << "page looks blank";
  EXPECT_GT(ink.stddev, 15) << "page looks flat";
  ProcessResult dom = Chromium(html, "--dump-dom");
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_THAT(dom.out,
              ::testing::HasSubstr(absl::StrCat("data-images-loaded=\"", images,
                                                "/", images, "\"")));
  EXPECT_THAT(dom.out, ::testing::Not(::testing::HasSubstr("http://")));
  EXPECT_THAT(dom.out, ::testing::Not(::testing::HasSubstr("https://")));
}

class ReportRenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindInPath("chromium").empty())
      GTEST_SKIP() << "chromium is not installed";
    if (!GnuplotAvailable()) GTEST_SKIP() << "gnuplot is not installed";
  }
};

TEST_F(ReportRenderTest, SweepAndCapacityReportsShowEveryPlot) {
  TempDir images, out, capacity_out;
  for (int i = 0; i < 4; ++i) {
    images.Write("p" + std::to_string(i) + ".jpg",
                 MakePicture(50 + i, 160, 120));
  }
  SweepOptions o;
  o.images_dir = images.path();
  o.out_dir = out.path();
  for (absl::string_view name : {"jpeg_q50", "mirror", "crop_10"}) {
    ASSERT_OK_AND_ASSIGN(TransformSpec t, FindTransform(name));
    o.evalset.transforms.push_back(t);
  }
  ASSERT_OK_AND_ASSIGN(SweepResult r, RunSweep(o));
  ASSERT_OK(WriteSweepOutputs(o, r));
  ExpectRendered(out.Sub("report.html"), 6);  // recall per mode: 3 plots

  ASSERT_OK_AND_ASSIGN(SweepRates rates,
                       ReadSweepRates(out.Sub("sweep.csv"), "plain"));
  CapacityOptions co;
  co.days = 1;
  ASSERT_OK_AND_ASSIGN(SearchResult search, SearchThresholds(co, rates));
  ASSERT_OK_AND_ASSIGN(CapacityResult cr, SimulateCapacity(co, &rates));
  CapacityReportInput in{capacity_out.path(), true, "test",
                         out.Sub("sweep.csv"), &rates};
  ASSERT_OK(WriteCapacityOutputs(in, co, cr, &search));
  ExpectRendered(capacity_out.Sub("report.html"), 3);
}

}  // namespace
}  // namespace hashwatch::bench
