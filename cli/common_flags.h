// Small helpers shared by the `hashwatch` subcommands.
#ifndef HASHWATCH_CLI_COMMON_FLAGS_H_
#define HASHWATCH_CLI_COMMON_FLAGS_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {

// Default database directory of every command that takes --db.
inline constexpr char kDefaultDbDir[] = "./var/hashwatch";

// OK when `db_dir` holds a hashwatch database (any of banks/, queue/,
// reports/, scans/, tokens.json: what `bank create`, `serve` and `token
// create` make). Otherwise NotFound, one line: "no database at DIR", and
// how to create one. Commands that only read or change a database check
// this first, so that a mistyped --db is an error, not a new empty database.
absl::Status CheckDatabaseExists(const std::string& db_dir);

// Prints "hashwatch: <message>" on `err` and returns exit code 1.
int Fail(std::ostream& err, const absl::Status& status);

// Parses an RFC 3339 time ("2026-12-01T00:00:00Z") or a duration from now
// ("72h", "30m"); InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseTimeOrDuration(const std::string& text,
                                               absl::Time now);

// RFC 3339 in UTC, "never" for the infinite future, "" for the past.
std::string FormatTimestamp(absl::Time t);

// One line of JSON output (no newline); invalid UTF-8 is replaced.
std::string JsonLine(const nlohmann::ordered_json& j);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_COMMON_FLAGS_H_
