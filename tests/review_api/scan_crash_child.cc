// scan_crash_child: the process the crash tests kill. It opens the engine
// on a database, arms a named crash point (common/crash_point.h), makes one
// call, and when the call returns writes one line to standard output:
//
//   scan <db> <image file> <content id> <point>
//     OK <verdict> <report id or -> <item id> <replayed 0|1>
//   import <db> <list file> <bank> <point>     (ImportList, signal sha256)
//     OK <added>
//
// <point> "none" arms nothing. Any error: "X <status>" on stdout and exit
// code 2.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/crash_point.h"
#include "review_api/engine.h"

namespace {

using hashwatch::review_api::Engine;

[[noreturn]] void Fail(const absl::Status& s) {
  std::printf("X %s\n", s.ToString().c_str());
  std::fflush(stdout);
  std::_Exit(2);
}

void Scan(Engine& engine, std::string image, const char* content_id) {
  hashwatch::v1::ScanRequest request;
  request.set_content_id(content_id);
  request.set_image(std::move(image));
  auto r = engine.Scan(request);
  if (!r.ok()) Fail(r.status());
  std::printf(
      "OK %s %s %llu %d\n", hashwatch::v1::Verdict_Name(r->verdict()).c_str(),
      r->report_id().empty() ? "-" : r->report_id().c_str(),
      static_cast<unsigned long long>(r->item_id()), r->replayed() ? 1 : 0);
}

void Import(Engine& engine, std::string list, const char* bank) {
  hashwatch::v1::ImportListRequest request;
  request.set_bank(bank);
  request.set_signal(hashwatch::v1::SIGNAL_TYPE_SHA256);
  request.set_content(std::move(list));
  auto r = engine.ImportList("admin", request);
  if (!r.ok()) Fail(r.status());
  std::printf("OK %lld\n", static_cast<long long>(r->result().added()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 6 ? argv[1] : "";
  if (mode != "scan" && mode != "import") {
    std::fprintf(stderr,
                 "usage: %s scan|import <db> <file> <content id|bank> "
                 "<crash point|none>\n",
                 argv[0]);
    return 1;
  }
  if (std::string(argv[5]) != "none")
    setenv(hashwatch::kCrashAtEnv, argv[5], /*overwrite=*/1);
  std::ifstream in(argv[3], std::ios::binary);
  std::stringstream file;
  file << in.rdbuf();

  hashwatch::review_api::ServerConfig config;
  config.db = argv[2];
  auto engine = Engine::Open(config, hashwatch::Clock::Real());
  if (!engine.ok()) Fail(engine.status());
  if (mode == "scan") {
    Scan(**engine, file.str(), argv[4]);
  } else {
    Import(**engine, file.str(), argv[4]);
  }
  std::fflush(stdout);
  return 0;
}
