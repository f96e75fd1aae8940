// import_bench: a hash list of millions of entries through the real
// binaries: `hashwatch bank import` into a fresh database, the same list
// imported again (every entry unchanged), then `hashwatch serve` started
// twice on that database until it logs "serving on".
//
// The list is --entries PDQ-like hashes (256 bits, 128 ones; random, so
// all distinct), one CSV line each with a category. Each import is timed
// from spawn to exit, with its peak RSS (ru_maxrss) and CPU time, and each
// of its progress lines on stderr is stamped with the time it arrived.
// Each serve is timed from spawn to its "serving on" line; its resident
// memory (VmRSS) and peak (VmHWM) are read then, before it is told to stop.
// The first serve follows the imports (the database files are in the page
// cache, as after an import on the same machine); nothing is dropped from
// the cache between runs.
//
//   build/bin/import_bench [--entries 10000000] [--dir DIR] [--keep]
//                          [--hashwatch build/bin/hashwatch]
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/synthetic.h"
#include "bench/work_dir.h"
#include "tests/testing/child_process.h"

namespace {

namespace fs = std::filesystem;
using hashwatch::bench::PdqLike;
using hashwatch::bench::Rng;
using hashwatch::testing::ChildProcess;
using Clock = std::chrono::steady_clock;

void Die(const std::string& what) {
  std::fprintf(stderr, "import_bench: %s\n", what.c_str());
  std::exit(1);
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double CpuSeconds(const rusage& u) {
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// The value in kB of `field` ("VmRSS", "VmHWM") in /proc/PID/status.
long ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field + ":")) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t DirBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// `argv` run with its standard output to `out_file` (through /bin/sh, which
// execs it: the measured process is the command itself).
std::vector<std::string> ShellWithStdoutTo(const std::vector<std::string>& argv,
                                           const fs::path& out_file) {
  std::string cmd = "exec";
  for (const std::string& a : argv) absl::StrAppend(&cmd, " '", a, "'");
  absl::StrAppend(&cmd, " > '", out_file.string(), "'");
  return {"/bin/sh", "-c", cmd};
}

struct ImportRun {
  double wall_s = 0;
  double cpu_s = 0;
  double peak_rss_mb = 0;
  std::string summary;  // its standard output's counts ("N added, ...")
};

// Runs `hashwatch bank import`, echoing each progress line with the seconds
// since the start.
ImportRun Import(const std::string& hashwatch, const fs::path& list,
                 const fs::path& db, const fs::path& out_file) {
  const auto start = Clock::now();
  ChildProcess child(
      ShellWithStdoutTo({hashwatch, "bank", "import", "big", list.string(),
                         "--signal", "pdq", "--db", db.string()},
                        out_file),
      ChildProcess::Stream::kStderr);
  if (!child.started()) Die("could not start " + hashwatch);
  std::string line;
  while (child.ReadLine(&line)) {
    std::printf("  %7.2f s  %s\n", Since(start), line.c_str());
    std::fflush(stdout);
  }
  rusage usage{};
  const int code = child.Wait(&usage);
  ImportRun run;
  run.wall_s = Since(start);
  if (code != 0) Die(absl::StrCat("bank import exited with ", code));
  run.cpu_s = CpuSeconds(usage);
  run.peak_rss_mb = usage.ru_maxrss / 1024.0;
  run.summary = ReadFile(out_file);
  while (!run.summary.empty() && run.summary.back() == '\n')
    run.summary.pop_back();
  const size_t counts = run.summary.rfind(": ");
  if (counts != std::string::npos) run.summary.erase(0, counts + 2);
  return run;
}

struct ServeRun {
  double ready_s = 0;  // spawn to "serving on"
  double rss_mb = 0;   // VmRSS then
  double hwm_mb = 0;   // VmHWM then
  std::string indexed_line;
};

ServeRun Serve(const std::string& hashwatch, const fs::path& db) {
  const auto start = Clock::now();
  ChildProcess child({hashwatch, "serve", "--plaintext", "--db", db.string(),
                      "--listen", "127.0.0.1:0"},
                     ChildProcess::Stream::kStderr);
  if (!child.started()) Die("could not start " + hashwatch);
  ServeRun run;
  std::string line;
  bool serving = false;
  while (child.ReadLine(&line)) {
    if (absl::StrContains(line, "indexed")) run.indexed_line = line;
    if (absl::StrContains(line, "serving on")) {
      serving = true;
      break;
    }
  }
  run.ready_s = Since(start);
  if (!serving) Die("serve ended before it logged \"serving on\"");
  run.rss_mb = ProcStatusKb(child.pid(), "VmRSS") / 1024.0;
  run.hwm_mb = ProcStatusKb(child.pid(), "VmHWM") / 1024.0;
  child.Kill(SIGTERM);
  while (child.ReadLine(&line)) {
  }
  const int code = child.Wait();
  if (code != 0) Die(absl::StrCat("serve exited with ", code, " on SIGTERM"));
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"import_bench: importing and serving a hash list of millions"};
  int64_t n = 10'000'000;
  std::string dir_flag;
  std::string hashwatch =
      (fs::canonical("/proc/self/exe").parent_path() / "hashwatch").string();
  bool keep = false;
  app.add_option("--entries", n, "Entries in the list");
  app.add_option("--dir", dir_flag,
                 "Working directory, must not exist yet (default: a fresh "
                 "directory under the system temp directory)");
  app.add_option("--hashwatch", hashwatch, "The hashwatch binary");
  app.add_flag("--keep", keep, "Keep the list and database afterwards");
  CLI11_PARSE(app, argc, argv);
  if (n < 1) Die("need --entries >= 1");

  const fs::path dir = hashwatch::bench::MakeWorkDir("import_bench", dir_flag,
                                                     "hw_import_bench");
  const fs::path list = dir / "list.csv";
  const fs::path db = dir / "db";
  const fs::path out_file = dir / "import.out";

  std::printf("import_bench: %lld entries, in %s\n", static_cast<long long>(n),
              dir.c_str());
  {
    std::ofstream out(list);
    out << "hash,category\n";
    Rng rng{2026};
    for (int64_t i = 0; i < n; ++i) {
      out << PdqLike(rng).ToHex() << (i % 2 ? ",A1\n" : ",B2\n");
    }
    if (!out) Die("could not write " + list.string());
  }
  std::printf("list: %.0f MB\n\nfirst import:\n", fs::file_size(list) / 1e6);
  std::fflush(stdout);
  {
    ChildProcess create(ShellWithStdoutTo(
        {hashwatch, "bank", "create", "big", "--db", db.string()}, out_file));
    if (create.Wait() != 0) Die("bank create failed");
  }
  const ImportRun first = Import(hashwatch, list, db, out_file);
  const uint64_t db_bytes = DirBytes(db);
  std::printf("\nsame list again:\n");
  std::fflush(stdout);
  const ImportRun again = Import(hashwatch, list, db, out_file);
  const ServeRun serve1 = Serve(hashwatch, db);
  const ServeRun serve2 = Serve(hashwatch, db);

  std::printf("\n| step | wall | entries/s | CPU | peak RSS |\n");
  std::printf("|---|---|---|---|---|\n");
  auto import_row = [n](const char* what, const ImportRun& r) {
    std::printf("| %s (%s) | %.1f s | %.0f | %.1f s | %.0f MB |\n", what,
                r.summary.c_str(), r.wall_s, n / r.wall_s, r.cpu_s,
                r.peak_rss_mb);
  };
  import_row("bank import, fresh", first);
  import_row("bank import, same list again", again);
  std::printf("\n| serve start | to \"serving on\" | RSS then | peak RSS |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| first, after the imports | %.1f s | %.0f MB | %.0f MB |\n",
              serve1.ready_s, serve1.rss_mb, serve1.hwm_mb);
  std::printf("| second | %.1f s | %.0f MB | %.0f MB |\n", serve2.ready_s,
              serve2.rss_mb, serve2.hwm_mb);
  std::printf("\ndatabase on disk after the first import: %.0f MB\n",
              db_bytes / 1e6);
  std::printf("serve log: %s\n", serve2.indexed_line.c_str());
  if (!keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}
