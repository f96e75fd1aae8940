// Where tests find the shared, read-only data beside the project.
#ifndef HASHWATCH_TESTS_TESTING_PATHS_H_
#define HASHWATCH_TESTS_TESTING_PATHS_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace hashwatch::testing {

// ../shared relative to the source tree (HW_SHARED_DIR is set by CMake); the
// HASHWATCH_SHARED environment variable overrides it.
inline std::string SharedDir() {
  if (const char* env = std::getenv("HASHWATCH_SHARED")) return env;
  return HW_SHARED_DIR;
}

// The source tree (README.md, scripts/), for tests of what it documents.
inline std::string SourceDir() { return HW_SOURCE_DIR; }

// One of the PDQ reference images in ../shared/testdata/pdq/images.
inline std::string PdqTestImage(const std::string& name) {
  return SharedDir() + "/testdata/pdq/images/" + name;
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
