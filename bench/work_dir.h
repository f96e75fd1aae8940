// The scratch directory a benchmark writes its data into.
#ifndef HASHWATCH_BENCH_WORK_DIR_H_
#define HASHWATCH_BENCH_WORK_DIR_H_

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace hashwatch::bench {

// `flag` when given (it must not exist yet; it is created), else a fresh
// directory "<temp dir>/<prefix>_XXXXXX". Exits with one line on stderr,
// naming `program`, when neither can be made.
inline std::filesystem::path MakeWorkDir(const std::string& program,
                                         const std::string& flag,
                                         const std::string& prefix) {
  namespace fs = std::filesystem;
  auto die = [&](const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), what.c_str());
    std::exit(1);
  };
  if (flag.empty()) {
    std::string tmpl =
        (fs::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) die("mkdtemp " + tmpl);
    return tmpl;
  }
  std::error_code ec;
  if (fs::exists(flag, ec)) die("--dir " + flag + " exists; give a new path");
  if (!fs::create_directories(flag, ec)) die("cannot create " + flag);
  return flag;
}

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_WORK_DIR_H_
