#include "cli/review_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/common_flags.h"
#include "cli/proto_convert.h"
#include "common/errno_status.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using v1::ReviewService;

nlohmann::ordered_json ContextJson(const v1::ScanContext& c) {
  nlohmann::ordered_json j;
  j["lane"] = c.lane();
  j["uploader_id"] = c.uploader_id();
  j["uploader_ip"] = c.uploader_ip();
  j["upload_time"] = FormatProtoTime(c.upload_time());
  if (c.has_classifier_score()) j["classifier_score"] = c.classifier_score();
  j["user_report"] = c.user_report();
  j["signals"] = nlohmann::ordered_json::array();
  for (const std::string& s : c.signals()) j["signals"].push_back(s);
  return j;
}

nlohmann::ordered_json LeasedJson(const v1::LeasedItem& l) {
  const v1::ReviewItem& item = l.item();
  nlohmann::ordered_json j;
  j["item_id"] = item.id();
  j["lease_id"] = l.lease_id();
  j["expires"] = FormatProtoTime(l.expires());
  j["lane"] = item.lane();
  j["kind"] = EnumWord(v1::ItemKind_Name(item.kind()), "ITEM_KIND_");
  j["state"] = EnumWord(v1::ItemState_Name(item.state()), "ITEM_STATE_");
  j["content_id"] = item.content_id();
  j["category"] = item.category();
  j["priority"] = l.effective_priority();
  j["priority_class"] = EnumWord(v1::PriorityClass_Name(item.priority_class()),
                                 "PRIORITY_CLASS_");
  j["overdue"] = l.overdue();
  j["enqueue_time"] = FormatProtoTime(item.enqueue_time());
  j["sla_deadline"] = FormatProtoTime(item.sla_deadline());
  j["matches"] = nlohmann::ordered_json::array();
  for (const v1::ReviewMatch& m : item.matches()) {
    nlohmann::ordered_json mj;
    mj["bank"] = m.bank();
    mj["signal"] = SignalName(m.signal());
    mj["hash"] = m.hash();
    mj["distance"] = m.distance();
    mj["auto_report_distance"] = m.auto_report_distance();
    mj["review_distance"] = m.review_distance();
    mj["category"] = m.category();
    mj["source"] = m.source();
    mj["path"] = m.path();
    j["matches"].push_back(std::move(mj));
  }
  j["hashes"] = HashesJson(item.hashes());
  j["context"] = ContextJson(item.context());
  j["summary"] = item.summary();
  return j;
}

v1::DecisionKind DecisionKindOf(const std::string& word) {
  if (word == "confirm") return v1::DECISION_KIND_CONFIRM;
  if (word == "reject") return v1::DECISION_KIND_REJECT;
  if (word == "escalate") return v1::DECISION_KIND_ESCALATE;
  if (word == "skip") return v1::DECISION_KIND_SKIP;
  return v1::DECISION_KIND_UNSPECIFIED;
}

// The folder previews go to: --preview-dir, else DefaultPreviewDir().
std::string PreviewDir(const ReviewCommandOptions& o) {
  return o.preview_dir.empty() ? DefaultPreviewDir() : o.preview_dir;
}

std::string PreviewPath(const std::string& dir, uint64_t item_id) {
  return (std::filesystem::path(dir) /
          absl::StrCat("preview-", item_id, ".jpg"))
      .string();
}

// Creates `dir` with mode 0700 when absent (not its parents: a typo should
// not grow a tree); then it must be a folder (not a symbolic link) of this
// user's that nobody else may enter or list.
absl::Status PreparePrivateDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno,
                       absl::StrCat("cannot create the preview folder ", dir));
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno,
                       absl::StrCat("cannot use the preview folder ", dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the preview folder ", dir,
                     " is not a folder (a symbolic link or a file)"));
  }
  if (st.st_uid != geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the preview folder ", dir, " belongs to another user (uid ", st.st_uid,
        "); previews go only to a folder of yours"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("the preview folder %s is open to other users (mode "
                        "%04o); previews are sensitive: chmod 700 it or pass "
                        "another --preview-dir",
                        dir, st.st_mode & 07777));
  }
  return absl::OkStatus();
}

// Writes `bytes` to `path` readable and writable by this user only (mode
// 0600 even when the file existed with another mode), never through a
// symbolic link at `path`.
absl::Status WritePrivateFile(const std::string& path,
                              absl::string_view bytes) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
           0600);
  if (fd < 0) {
    return ErrnoStatus(errno,
                       absl::StrCat("cannot write the preview to ", path));
  }
  int err = fchmod(fd, 0600) == 0 ? 0 : errno;
  for (size_t done = 0; err == 0 && done < bytes.size();) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    unlink(path.c_str());
    return ErrnoStatus(err, absl::StrCat("cannot write the preview to ", path));
  }
  return absl::OkStatus();
}

// What an empty lease means. Lease answers nothing both when the queue is
// empty and when every waiting item is hidden from the caller (items they
// skipped, for the queue's skip exclusion of 2 hours; the escalation lane,
// for leads and admins only); the queue does not say which, so the waiting
// counts from Stats (same roles as Lease) are shown beside it.
std::string EmptyQueueMessage(const ReviewCommandOptions& o,
                              const Connection& conn,
                              ReviewService::Stub& stub) {
  v1::QueueStats stats;
  if (!stub.Stats(conn.NewContext().get(), v1::QueueStatsRequest(), &stats)
           .ok()) {
    return "no items waiting";
  }
  int64_t waiting = 0;
  std::vector<std::string> lanes;
  for (const v1::LaneStats& l : stats.lanes()) {
    if (l.waiting() == 0 || (!o.lane.empty() && l.lane() != o.lane)) continue;
    waiting += l.waiting();
    lanes.push_back(absl::StrCat(l.lane(), " ", l.waiting()));
  }
  if (waiting == 0) return "no items waiting";
  return absl::StrCat(
      "no items for you now: ", waiting, " waiting (",
      absl::StrJoin(lanes, ", "), ") ", waiting == 1 ? "is" : "are",
      " hidden from you: an item you skip stays hidden from you for 2 hours, "
      "and escalated items are for leads and admins");
}

int Next(const ReviewCommandOptions& o, const Connection& conn,
         ReviewService::Stub& stub, std::ostream& out, std::ostream& err) {
  // The preview folder is checked before leasing: a lease held for an item
  // whose preview cannot be written privately helps nobody.
  const std::string dir = o.preview.empty() ? PreviewDir(o) : "";
  if (!dir.empty()) {
    if (absl::Status s = PreparePrivateDir(dir); !s.ok()) {
      err << "hashwatch: review next: " << s.message() << "\n";
      return 1;
    }
  }
  v1::LeaseRequest req;
  req.set_max_items(1);
  if (!o.lane.empty()) req.add_lanes(o.lane);
  v1::LeaseResponse resp;
  grpc::Status s = stub.Lease(conn.NewContext().get(), req, &resp);
  if (!s.ok()) return conn.FailCall(err, "review next", s);
  if (resp.items_size() == 0) {
    err << EmptyQueueMessage(o, conn, stub) << "\n";
    return 0;
  }
  const v1::LeasedItem& leased = resp.items(0);
  nlohmann::ordered_json j = LeasedJson(leased);
  int rc = 0;
  if (!leased.preview_jpeg().empty()) {
    std::error_code ec;
    std::string path =
        o.preview.empty() ? PreviewPath(dir, leased.item().id()) : o.preview;
    if (std::filesystem::path abs = std::filesystem::absolute(path, ec); !ec) {
      path = abs.string();
    }
    if (absl::Status w = WritePrivateFile(path, leased.preview_jpeg());
        w.ok()) {
      j["preview"] = path;
    } else {
      // The lease is held all the same: print it so it can be decided or
      // released.
      err << "hashwatch: review next: " << w.message() << "\n";
      rc = 1;
    }
  }
  out << JsonLine(j) << "\n";
  return rc;
}

int Decide(const ReviewCommandOptions& o, const Connection& conn,
           ReviewService::Stub& stub, std::ostream& out, std::ostream& err) {
  v1::DecideRequest req;
  req.set_item_id(o.item_id);
  req.set_lease_id(o.lease_id);
  req.set_kind(DecisionKindOf(o.decision));
  req.set_category(o.category);
  req.set_add_to_allow_list(o.allow);
  req.set_note(o.note);
  v1::DecideResponse resp;
  grpc::Status s = stub.Decide(conn.NewContext().get(), req, &resp);
  if (!s.ok()) {
    return conn.FailCall(err, absl::StrCat("review decide ", o.item_id), s);
  }
  // The item is no longer this moderator's: its preview, if `review next`
  // wrote it to the preview folder, goes (best effort; an explicit
  // --preview FILE is the user's to remove).
  unlink(PreviewPath(PreviewDir(o), o.item_id).c_str());
  const v1::Decision& d = resp.decision();
  nlohmann::ordered_json j;
  j["item_id"] = o.item_id;
  j["decision"] = EnumWord(v1::DecisionKind_Name(d.kind()), "DECISION_KIND_");
  j["moderator"] = d.moderator();
  j["category"] = d.category();
  j["add_to_allow_list"] = d.add_to_allow_list();
  j["note"] = d.note();
  j["time"] = FormatProtoTime(d.time());
  j["report_id"] = resp.report_id();
  j["banked"] = nlohmann::ordered_json::array();
  for (const std::string& b : resp.banked()) j["banked"].push_back(b);
  out << JsonLine(j) << "\n";
  return 0;
}

int Stats(const Connection& conn, ReviewService::Stub& stub, std::ostream& out,
          std::ostream& err) {
  v1::QueueStats stats;
  grpc::Status s =
      stub.Stats(conn.NewContext().get(), v1::QueueStatsRequest(), &stats);
  if (!s.ok()) return conn.FailCall(err, "review stats", s);
  nlohmann::ordered_json j;
  j["waiting"] = stats.waiting();
  j["overdue"] = stats.overdue();
  j["leases_outstanding"] = stats.leases_outstanding();
  j["decided"] = stats.decided();
  j["items"] = stats.items();
  j["lanes"] = nlohmann::ordered_json::array();
  for (const v1::LaneStats& l : stats.lanes()) {
    nlohmann::ordered_json lj;
    lj["lane"] = l.lane();
    lj["waiting"] = l.waiting();
    lj["overdue"] = l.overdue();
    lj["oldest_age_seconds"] = l.oldest_age_seconds();
    j["lanes"].push_back(std::move(lj));
  }
  j["flagged_entries"] = nlohmann::ordered_json::array();
  for (uint64_t id : stats.flagged_entries())
    j["flagged_entries"].push_back(id);
  out << JsonLine(j) << "\n";
  return 0;
}

}  // namespace

std::string DefaultPreviewDir() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] == '/') {
    return absl::StrCat(runtime, "/hashwatch-previews");
  }
  const char* tmp = std::getenv("TMPDIR");
  return absl::StrCat(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp",
                      "/hashwatch-previews-", geteuid());
}

void SetupReviewCommand(CLI::App& command, ReviewCommandOptions& o) {
  CLI::App* review = &command;
  review->require_subcommand(1);
  AddClientFlags(*review, o.client, /*server_required=*/true);
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // the connection flags may follow the subcommand
    return sub;
  };

  CLI::App* next =
      action(review->add_subcommand(
                 "next", "Lease the best waiting item; print it as JSON"),
             "next");
  next->add_option("--lane", o.lane, "Only this lane");
  CLI::Option* file =
      next->add_option("--preview", o.preview,
                       "Write the blurred preview to this file (mode 0600)");
  CLI::Option* dir = next->add_option(
      "--preview-dir", o.preview_dir,
      "Write the blurred preview as preview-<item>.jpg (mode 0600) into this "
      "private folder "
      "(created 0700; default $XDG_RUNTIME_DIR/hashwatch-previews, else "
      "${TMPDIR:-/tmp}/hashwatch-previews-<uid>)");
  file->excludes(dir);

  CLI::App* decide = action(
      review->add_subcommand("decide", "Decide a leased item"), "decide");
  decide->add_option("item", o.item_id, "Item id (from review next)")
      ->required();
  decide->add_option("lease", o.lease_id, "Lease id (from review next)")
      ->required();
  decide
      ->add_option("decision", o.decision, "confirm, reject, escalate or skip")
      ->required()
      ->check(CLI::IsMember({"confirm", "reject", "escalate", "skip"}));
  decide->add_option("--category", o.category,
                     "The confirmed category (required with confirm)");
  decide->add_flag("--allow", o.allow,
                   "With reject: allow-list the item's hashes");
  decide->add_option("--note", o.note, "Free text kept with the decision");
  decide->add_option(
      "--preview-dir", o.preview_dir,
      "The preview folder `review next` used: the item's preview is removed "
      "from it once decided (default as for review next)");

  action(review->add_subcommand("stats", "Queue statistics as JSON"), "stats");
}

int RunReviewCommand(const ReviewCommandOptions& o, std::ostream& out,
                     std::ostream& err) {
  if (o.action == "decide") {
    if (o.decision == "confirm" && o.category.empty()) {
      err << "hashwatch: review decide: confirm needs --category\n";
      return 2;
    }
    if (o.allow && o.decision != "reject") {
      err << "hashwatch: review decide: --allow goes with reject\n";
      return 2;
    }
  }
  std::unique_ptr<Connection> conn;
  if (int rc = Connect(o.client, err, &conn); rc != 0) return rc;
  std::unique_ptr<ReviewService::Stub> stub =
      ReviewService::NewStub(conn->channel());
  if (o.action == "next") return Next(o, *conn, *stub, out, err);
  if (o.action == "decide") return Decide(o, *conn, *stub, out, err);
  if (o.action == "stats") return Stats(*conn, *stub, out, err);
  err << "hashwatch: no review subcommand ran\n";
  return 1;
}

}  // namespace hashwatch::cli
