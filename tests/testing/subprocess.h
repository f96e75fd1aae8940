// Runs a program to completion with optional standard input and captures its
// exit code, standard output and standard error (for CLI tests).
#ifndef HASHWATCH_TESTS_TESTING_SUBPROCESS_H_
#define HASHWATCH_TESTS_TESTING_SUBPROCESS_H_

#include <string>
#include <vector>

namespace hashwatch::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with `argv`, feeding `input` on standard input.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& input = "");

// Path of a hashwatch binary: $HASHWATCH_BIN/<name>.
std::string BinaryPath(const std::string& name);

// The non-empty lines of a program's output.
std::vector<std::string> Lines(const std::string& text);

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TESTING_SUBPROCESS_H_
