// A per-test temporary directory, removed with its contents at destruction.
#ifndef HASHWATCH_TESTS_TESTING_TEMP_DIR_H_
#define HASHWATCH_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace hashwatch::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "hashwatch-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }
  // Writes `bytes` to a file in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string p = Sub(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  std::string path_;
};

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TESTING_TEMP_DIR_H_
