#include "cli/review_command.h"

#include <fstream>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/common_flags.h"
#include "cli/proto_convert.h"
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
  j["priority_class"] = EnumWord(v1::PriorityClass_Name(item.priority_class()), "PRIORITY_CLASS_");
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

int Next(const ReviewCommandOptions& o, const Connection& conn, ReviewService::Stub& stub,
         std::ostream& out, std::ostream& err) {
  v1::LeaseRequest req;
  req.set_max_items(1);
  if (!o.lane.empty()) req.add_lanes(o.lane);
  v1::LeaseResponse resp;
  grpc::Status s = stub.Lease(conn.NewContext().get(), req, &resp);
  if (!s.ok()) return conn.FailCall(err, "review next", s);
  if (resp.items_size() == 0) {
    err << "no items waiting\n";
    return 0;
  }
  const v1::LeasedItem& leased = resp.items(0);
  nlohmann::ordered_json j = LeasedJson(leased);
  int rc = 0;
  if (!leased.preview_jpeg().empty()) {
    const std::string path =
        o.preview.empty() ? absl::StrCat("preview-", leased.item().id(), ".jpg") : o.preview;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(leased.preview_jpeg().data(),
               static_cast<std::streamsize>(leased.preview_jpeg().size()));
    file.close();
    if (file) {
      j["preview"] = path;
    } else {
      // The lease is held all the same: print it so it can be decided or
      // released.
      err << "hashwatch: review next: cannot write the preview to " << path << "\n";
      rc = 1;
    }
  }
  out << JsonLine(j) << "\n";
  return rc;
}

int Decide(const ReviewCommandOptions& o, const Connection& conn, ReviewService::Stub& stub,
           std::ostream& out, std::ostream& err) {
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
  grpc::Status s = stub.Stats(conn.NewContext().get(), v1::QueueStatsRequest(), &stats);
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
  for (uint64_t id : stats.flagged_entries()) j["flagged_entries"].push_back(id);
  out << JsonLine(j) << "\n";
  return 0;
}

}  // namespace

CLI::App* AddReviewCommand(CLI::App& app, ReviewCommandOptions& o) {
  CLI::App* review =
      app.add_subcommand("review", "Moderate the review queue through a hashwatch server");
  review->require_subcommand(1);
  AddClientFlags(*review, o.client, /*server_required=*/true);
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // the connection flags may follow the subcommand
    return sub;
  };

  CLI::App* next =
      action(review->add_subcommand("next", "Lease the best waiting item; print it as JSON"),
             "next");
  next->add_option("--lane", o.lane, "Only this lane");
  next->add_option("--preview", o.preview,
                   "Write the blurred preview here (default preview-<item>.jpg)");

  CLI::App* decide = action(review->add_subcommand("decide", "Decide a leased item"), "decide");
  decide->add_option("item", o.item_id, "Item id (from review next)")->required();
  decide->add_option("lease", o.lease_id, "Lease id (from review next)")->required();
  decide->add_option("decision", o.decision, "confirm, reject, escalate or skip")
      ->required()
      ->check(CLI::IsMember({"confirm", "reject", "escalate", "skip"}));
  decide->add_option("--category", o.category, "The confirmed category (required with confirm)");
  decide->add_flag("--allow", o.allow, "With reject: allow-list the item's hashes");
  decide->add_option("--note", o.note, "Free text kept with the decision");

  action(review->add_subcommand("stats", "Queue statistics as JSON"), "stats");
  return review;
}

int RunReviewCommand(const ReviewCommandOptions& o, std::ostream& out, std::ostream& err) {
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
  std::unique_ptr<ReviewService::Stub> stub = ReviewService::NewStub(conn->channel());
  if (o.action == "next") return Next(o, *conn, *stub, out, err);
  if (o.action == "decide") return Decide(o, *conn, *stub, out, err);
  if (o.action == "stats") return Stats(*conn, *stub, out, err);
  err << "hashwatch: no review subcommand ran\n";
  return 1;
}

}  // namespace hashwatch::cli
