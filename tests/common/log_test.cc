#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// What LogLine writes to stderr (fd 2, redirected to a file meanwhile).
std::string Logged(LogLevel level, absl::string_view message) {
  testing::TempDir dir;
  const std::string path = dir.Sub("stderr");
  const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(file, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(file, STDERR_FILENO);
  LogLine(level, message);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LogTest, OneLineWithTimeAndLevel) {
  EXPECT_THAT(Logged(LogLevel::kWarning, "disk nearly full"),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z WARN "
                           "disk nearly full\n"));
}

// A client's content id with a newline cannot forge a second log line, and
// terminal escapes and NULs are written as \xNN.
TEST(LogTest, ControlCharactersCannotStartALineOfTheirOwn) {
  const std::string forged =
      "scan a\n2026-12-07T00:00:00.000Z INFO report r-1 submitted";
  const std::string line = Logged(LogLevel::kInfo, "scan " + forged);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_THAT(line, HasSubstr("scan a\\x0a2026-12-07T00:00:00.000Z INFO"));
  constexpr char kControls[] = "ip 1.2.3.4\0evil\x1b[2J\r\x7f\t";
  const std::string controls =
      Logged(LogLevel::kInfo, std::string(kControls, sizeof(kControls) - 1));
  EXPECT_THAT(controls,
              EndsWith("ip 1.2.3.4\\x00evil\\x1b[2J\\x0d\\x7f\\x09\n"));
  // Printable text, UTF-8 included, is left as it is.
  EXPECT_THAT(Logged(LogLevel::kInfo, "file café – 1.jpg"),
              EndsWith(" INFO file café – 1.jpg\n"));
}

// Nor can an id pass for an escape it is not, or break a line in a viewer
// that honours Unicode line breaks.
TEST(LogTest, BackslashesAndUnicodeLineBreaksAreEscaped) {
  EXPECT_THAT(Logged(LogLevel::kInfo, "id a\\x0aINFO forged"),
              EndsWith(" INFO id a\\\\x0aINFO forged\n"));
  EXPECT_THAT(Logged(LogLevel::kInfo,
                     "id a\xc2\x85"
                     "b\xe2\x80\xa8"
                     "c\xe2\x80\xa9"
                     "d"),
              EndsWith(" INFO id a\\u0085b\\u2028c\\u2029d\n"));
  // Other characters of those lead bytes are kept.
  EXPECT_THAT(Logged(LogLevel::kInfo, "\xc2\xa9 \xe2\x80\x94"),
              EndsWith(" INFO \xc2\xa9 \xe2\x80\x94\n"));
}

}  // namespace
}  // namespace hashwatch
