// `hashwatch review next|decide|stats --server HOST:PORT`: a moderator's
// queue from the command line, through a server's ReviewService. Every
// command prints one JSON object on stdout.
//
//   review next [--lane L] [--preview FILE]
//     leases the best waiting item: {"item_id", "lease_id", "expires",
//     "lane", "kind", "state", "content_id", "category", "priority",
//     "priority_class", "overdue", "enqueue_time", "sla_deadline",
//     "matches": [...], "hashes", "context", "summary", "preview"}; the
//     blurred preview JPEG is written to FILE (default preview-<item>.jpg)
//     and "preview" names it, only when the item has one. An empty queue
//     prints nothing on stdout and "no items waiting" on stderr (exit 0).
//   review decide ITEM LEASE confirm|reject|escalate|skip [--category C]
//                 [--allow] [--note TEXT]
//     {"item_id", "decision", "moderator", "category", "add_to_allow_list",
//      "note", "time", "report_id", "banked": ["bank:signal", ...]}
//   review stats
//     the QueueStats: {"waiting", "overdue", "leases_outstanding",
//     "decided", "items", "lanes": [...], "flagged_entries": [...]}
//
// Enum values print as lowercase words without their prefix
// ("hash_match", "high", "confirm").
#ifndef HASHWATCH_CLI_REVIEW_COMMAND_H_
#define HASHWATCH_CLI_REVIEW_COMMAND_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/client.h"

namespace hashwatch::cli {

struct ReviewCommandOptions {
  ClientOptions client;
  std::string action;  // "next", "decide", "stats" (set by the callbacks)
  // next
  std::string lane;     // empty: any lane
  std::string preview;  // empty: preview-<item_id>.jpg
  // decide
  uint64_t item_id = 0;
  uint64_t lease_id = 0;
  std::string decision;  // confirm, reject, escalate, skip
  std::string category;  // required with confirm
  bool allow = false;    // reject only: allow-list the item's hashes
  std::string note;
};

// Registers `review` and its subcommands on `app`, bound to `options`.
CLI::App* AddReviewCommand(CLI::App& app, ReviewCommandOptions& options);

// Runs the parsed subcommand. Exit code: 0 success (also for an empty
// queue), 1 a failed call or preview write, 2 usage.
int RunReviewCommand(const ReviewCommandOptions& options, std::ostream& out,
                     std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_REVIEW_COMMAND_H_
