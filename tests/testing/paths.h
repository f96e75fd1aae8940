// Where tests find their read-only data: testdata/ in the repository
// (always there), and the optional, larger data of ../shared beside it.
#ifndef HASHWATCH_TESTS_TESTING_PATHS_H_
#define HASHWATCH_TESTS_TESTING_PATHS_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hashwatch::testing {

// The repository's testdata/ (HW_TESTDATA_DIR is set by CMake): the PDQ
// reference vectors (pdq/) and the benign demo pictures (pictures/).
inline std::string TestDataDir() { return HW_TESTDATA_DIR; }

// ../shared relative to the source tree (HW_SHARED_DIR is set by CMake); the
// HASHWATCH_SHARED environment variable overrides it. Optional: a clone of
// the repository alone has no such folder, so a test that reads it checks
// SharedFileOrEmpty first and skips without it.
inline std::string SharedDir() {
  if (const char* env = std::getenv("HASHWATCH_SHARED")) return env;
  return HW_SHARED_DIR;
}

// SharedDir() + "/" + relative when that file exists, else "" (the caller
// then skips with GTEST_SKIP, naming what it missed).
inline std::string SharedFileOrEmpty(const std::string& relative) {
  const std::string path = SharedDir() + "/" + relative;
  return std::filesystem::exists(path) ? path : "";
}

// The source tree (README.md, scripts/), for tests of what it documents.
inline std::string SourceDir() { return HW_SOURCE_DIR; }

// One of the PDQ reference images in testdata/pdq/images.
inline std::string PdqTestImage(const std::string& name) {
  return TestDataDir() + "/pdq/images/" + name;
}

// One of the benign demo pictures in testdata/pictures (b001.jpg, ...; the
// list is testdata/pictures/manifest.csv).
inline std::string DemoPicture(const std::string& name) {
  return TestDataDir() + "/pictures/" + name;
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "test: cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TESTING_PATHS_H_
