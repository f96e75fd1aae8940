// `hashwatch review next|decide|stats --server HOST:PORT`: a moderator's
// queue from the command line, through a server's ReviewService. Every
// command prints one JSON object on stdout.
//
//   review next [--lane L] [--preview FILE | --preview-dir DIR]
//     leases the best waiting item: {"item_id", "lease_id", "expires",
//     "lane", "kind", "state", "content_id", "category", "priority",
//     "priority_class", "overdue", "enqueue_time", "sla_deadline",
//     "matches": [...], "hashes", "context", "summary", "preview"}; the
//     blurred greyscale preview JPEG is written with mode 0600 to FILE, or
//     as DIR/preview-<item>.jpg, and "preview" holds its absolute path,
//     only when the item has one. DIR (default DefaultPreviewDir()) is
//     created with mode 0700 and must be a folder of this user's closed to
//     everyone else, or nothing is leased (exit 1). An empty lease prints
//     nothing on stdout and one line on stderr (exit 0): "no items
//     waiting", or, when Stats counts waiting items, that they are hidden
//     from this moderator (items they skipped, for 2 hours; escalated
//     items, for leads).
//   review decide ITEM LEASE confirm|reject|escalate|skip [--category C]
//                 [--allow] [--note TEXT] [--preview-dir DIR]
//     {"item_id", "decision", "moderator", "category", "add_to_allow_list",
//      "note", "time", "report_id", "banked": ["bank:signal", ...]}; then
//     removes DIR/preview-<item>.jpg if there is one.
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
  std::string lane;         // empty: any lane
  std::string preview;      // the preview file; empty: in the preview folder
  std::string preview_dir;  // next, decide: empty means DefaultPreviewDir()
  // decide
  uint64_t item_id = 0;
  uint64_t lease_id = 0;
  std::string decision;  // confirm, reject, escalate, skip
  std::string category;  // required with confirm
  bool allow = false;    // reject only: allow-list the item's hashes
  std::string note;
};

// Where previews go without --preview-dir: $XDG_RUNTIME_DIR/hashwatch-previews
// (a per-user tmpfs, emptied at logout) when XDG_RUNTIME_DIR is an absolute
// path, else ${TMPDIR:-/tmp}/hashwatch-previews-<uid>. The same folder on
// every call, so `review decide` finds and removes what `review next` wrote.
std::string DefaultPreviewDir();

// Registers the flags and subcommands of `review` on `command`, the
// subcommand itself (its name and help are in cli/commands.cc), bound to
// `options`.
void SetupReviewCommand(CLI::App& command, ReviewCommandOptions& options);

// Runs the parsed subcommand. Exit code: 0 success (also for an empty
// queue), 1 a failed call or preview write, 2 usage.
int RunReviewCommand(const ReviewCommandOptions& options, std::ostream& out,
                     std::ostream& err);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_REVIEW_COMMAND_H_
