#include "bench/eval/internal/chromium_shot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "bench/eval/internal/benign_draw.h"
#include "bench/eval/io.h"
#include "common/status_macros.h"

extern char** environ;

namespace hashwatch::bench::internal {
namespace {

constexpr const char* kNouns[] = {
    "Garden",  "Recipes", "Weather", "Library", "Cycling", "Concerts",
    "Markets", "Hiking",  "Science", "Cinema",  "Travel",  "Football",
    "Music",   "Museums", "Housing", "Schools", "Transit", "Podcasts"};
constexpr const char* kWords[] = {
    "local",   "news",     "update", "guide",   "open",   "today",
    "weekend", "new",      "free",   "service", "season", "event",
    "members", "schedule", "photos", "notes",   "shop",   "help"};

std::string Pick(std::mt19937& rng, absl::Span<const char* const> list) {
  return list[Below(rng, static_cast<uint32_t>(list.size()))];
}

std::string Sentence(std::mt19937& rng, int words) {
  std::string s = Pick(rng, kNouns);
  for (int i = 1; i < words; ++i) absl::StrAppend(&s, " ", Pick(rng, kWords));
  return s;
}

std::string Colour(std::mt19937& rng, int lo, int hi) {
  return absl::StrFormat("#%02x%02x%02x", Between(rng, lo, hi),
                         Between(rng, lo, hi), Between(rng, lo, hi));
}

std::string WebPage(std::mt19937& rng, const std::string& fg,
                    const std::string& accent) {
  std::string body = absl::StrCat(
      "<header style='background:", accent,
      ";color:#fff;padding:14px 24px;font-size:26px;font-weight:bold'>",
      Pick(rng, kNouns), " ", Pick(rng, kWords),
      "</header><nav style='padding:8px 24px;border-bottom:1px solid ", fg,
      "'>");
  for (int i = 0, n = Between(rng, 3, 7); i < n; ++i) {
    absl::StrAppend(&body, "<a style='margin-right:18px;color:", accent, "'>",
                    Pick(rng, kNouns), "</a>");
  }
  absl::StrAppend(&body,
                  "</nav><div style='display:flex'><main "
                  "style='flex:3;padding:16px 24px'>");
  for (int i = 0, n = Between(rng, 2, 5); i < n; ++i) {
    absl::StrAppend(&body, "<h2>", Sentence(rng, Between(rng, 2, 5)), "</h2>");
    if (Below(rng, 3) == 0) {
      absl::StrAppend(&body, "<div style='height:", Between(rng, 60, 160),
                      "px;background:", Colour(rng, 60, 220),
                      ";margin:8px 0'></div>");
    }
    for (int p = 0, m = Between(rng, 1, 3); p < m; ++p) {
      absl::StrAppend(&body, "<p>", Sentence(rng, Between(rng, 12, 40)),
                      ".</p>");
    }
  }
  absl::StrAppend(&body, "</main>");
  if (Below(rng, 2) == 0) {
    absl::StrAppend(&body, "<aside style='flex:1;padding:16px;background:",
                    Colour(rng, 200, 250), "'><h3>", Pick(rng, kNouns),
                    "</h3><ul>");
    for (int i = 0, n = Between(rng, 3, 9); i < n; ++i) {
      absl::StrAppend(&body, "<li>", Sentence(rng, 3), "</li>");
    }
    absl::StrAppend(&body, "</ul></aside>");
  }
  absl::StrAppend(&body, "</div>");
  return body;
}

std::string AppUi(std::mt19937& rng, const std::string& fg,
                  const std::string& accent) {
  std::string body =
      absl::StrCat("<div style='background:", Colour(rng, 220, 245),
                   ";padding:6px;border-bottom:1px solid #999'>");
  for (int i = 0, n = Between(rng, 4, 9); i < n; ++i) {
    absl::StrAppend(&body, "<button style='margin:2px 4px'>", Pick(rng, kWords),
                    "</button>");
  }
  absl::StrAppend(&body, "</div><div style='display:flex'><div style='width:",
                  Between(rng, 120, 260), "px;background:", Colour(rng, 30, 90),
                  ";color:#eee;padding:8px;min-height:900px'>");
  for (int i = 0, n = Between(rng, 5, 14); i < n; ++i) {
    absl::StrAppend(&body, "<div style='padding:5px'>", Pick(rng, kNouns),
                    "</div>");
  }
  absl::StrAppend(
      &body, "</div><div style='flex:1;padding:16px'><h2 style='color:", accent,
      "'>", Sentence(rng, 3), "</h2><form>");
  for (int i = 0, n = Between(rng, 2, 5); i < n; ++i) {
    absl::StrAppend(&body, "<label>", Pick(rng, kNouns),
                    "</label><br><input value='", Pick(rng, kWords),
                    "' style='width:60%;margin-bottom:8px'><br>");
  }
  absl::StrAppend(
      &body,
      "</form><table border=1 style='border-collapse:collapse;color:", fg,
      "'>");
  const int cols = Between(rng, 3, 6);
  for (int r = 0, n = Between(rng, 4, 14); r < n; ++r) {
    absl::StrAppend(&body, "<tr>");
    for (int c = 0; c < cols; ++c) {
      absl::StrAppend(
          &body, r == 0 ? "<th" : "<td", " style='padding:4px 10px'>",
          r == 0 ? Pick(rng, kNouns) : absl::StrCat(Below(rng, 10000)),
          r == 0 ? "</th>" : "</td>");
    }
    absl::StrAppend(&body, "</tr>");
  }
  absl::StrAppend(&body, "</table></div></div>");
  return body;
}

// Runs argv; waits for it. Unavailable unless it exits with 0.
absl::Status Run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                   O_WRONLY, 0);
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("benign: cannot start ", args[0], ": ", strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "benign: ", args[2], " failed (",
        WIFEXITED(status) ? absl::StrCat("exit ", WEXITSTATUS(status))
                          : absl::StrCat("signal ", WTERMSIG(status)),
        ")"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? name : "";
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string RandomPageHtml(std::mt19937& rng, std::string* how) {
  const bool dark = Below(rng, 4) == 0;
  const std::string bg = dark ? Colour(rng, 10, 50) : Colour(rng, 235, 255);
  const std::string fg = dark ? Colour(rng, 200, 240) : Colour(rng, 10, 60);
  const std::string accent = Colour(rng, 30, 200);
  static constexpr const char* kFonts[] = {"DejaVu Sans", "DejaVu Serif",
                                           "DejaVu Sans Mono"};
  const std::string font = kFonts[Below(rng, 3)];
  const bool app = Below(rng, 2) == 0;
  *how = absl::StrCat(app ? "application UI" : "web page", ", ",
                      dark ? "dark" : "light", ", ", font);
  return absl::StrCat(
      "<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0;"
      "background:",
      bg, ";color:", fg, ";font-family:'", font,
      "';font-size:", Between(rng, 13, 18), "px}</style></head><body>",
      app ? AppUi(rng, fg, accent) : WebPage(rng, fg, accent),
      "</body></html>");
}

absl::StatusOr<std::string> ChromiumScreenshot(const std::string& chromium,
                                               absl::string_view html,
                                               int width, int height) {
  HW_ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> dir,
                      ScratchDir::Create("hashwatch-benign-chromium"));
  const std::string page = dir->path() + "/page.html";
  const std::string shot = dir->path() + "/shot.png";
  HW_RETURN_IF_ERROR(WriteWholeFile(page, html));
  const std::string timeout = FindExecutable("timeout");
  if (timeout.empty()) {
    return absl::UnavailableError("benign: coreutils timeout not found");
  }
  HW_RETURN_IF_ERROR(Run(
      {timeout, "60", chromium, "--headless", "--no-sandbox", "--disable-gpu",
       "--disable-quic", "--no-first-run", "--disable-background-networking",
       "--disable-component-update", "--disable-sync", "--hide-scrollbars",
       "--user-data-dir=" + dir->path() + "/profile",
       absl::StrCat("--window-size=", width, ",", height),
       "--screenshot=" + shot, "file://" + page}));
  absl::StatusOr<std::string> png = ReadWholeFile(shot);
  if (!png.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "benign: chromium wrote no screenshot: ", png.status().message()));
  }
  return png;
}

}  // namespace hashwatch::bench::internal
