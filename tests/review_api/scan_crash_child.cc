// scan_crash_child: the process the scan crash test kills. It opens the
// engine on a database, arms a named crash point (common/crash_point.h),
// scans one image under one content id, and when the scan returns writes
// one line to standard output:
//
//   OK <verdict> <report id or -> <item id> <replayed 0|1>
//
// Usage: scan_crash_child <db dir> <image file> <content id> <crash point>
// ("none" arms nothing). Any error: "X <status>" on stdout and exit code 2.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/crash_point.h"
#include "review_api/engine.h"

namespace {

[[noreturn]] void Fail(const absl::Status& s) {
  std::printf("X %s\n", s.ToString().c_str());
  std::fflush(stdout);
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <db> <image> <content id> <crash point>\n",
                 argv[0]);
    return 1;
  }
  if (std::string(argv[4]) != "none")
    setenv(hashwatch::kCrashAtEnv, argv[4], /*overwrite=*/1);
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream image;
  image << in.rdbuf();

  hashwatch::review_api::ServerConfig config;
  config.db = argv[1];
  auto engine =
      hashwatch::review_api::Engine::Open(config, hashwatch::Clock::Real());
  if (!engine.ok()) Fail(engine.status());
  hashwatch::v1::ScanRequest request;
  request.set_content_id(argv[3]);
  request.set_image(image.str());
  auto r = (*engine)->Scan(request);
  if (!r.ok()) Fail(r.status());
  std::printf(
      "OK %s %s %llu %d\n", hashwatch::v1::Verdict_Name(r->verdict()).c_str(),
      r->report_id().empty() ? "-" : r->report_id().c_str(),
      static_cast<unsigned long long>(r->item_id()), r->replayed() ? 1 : 0);
  std::fflush(stdout);
  return 0;
}
