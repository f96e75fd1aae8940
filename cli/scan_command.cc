#include "cli/scan_command.h"

#include <deque>
#include <memory>
#include <ostream>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cli/common_flags.h"
#include "cli/proto_convert.h"
#include "common/read_input.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "matcher/decode.h"
#include "matcher/digests.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using v1::ScanRequest;
using v1::ScanResponse;

// One file in request order: either sent (awaiting its response) or failed
// to read (its stderr line waits for its turn in the output).
struct Pending {
  std::string file;
  std::string content_id;
  std::string read_error;  // non-empty: not sent
};

// A file read and ready to send.
struct Prepared {
  Pending pending;
  ScanRequest request;
};

// The files' output order, shared by the thread that sends and the one that
// prints. An entry is queued before its request is written, so it is
// always there when the response arrives.
class PendingQueue {
 public:
  void Push(Pending p) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(p));
  }
  std::optional<Pending> Pop() {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return std::nullopt;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    return p;
  }

 private:
  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
};

v1::ScanContext MakeContext(const ScanCommandOptions& o,
                            absl::Time upload_time) {
  v1::ScanContext c;
  c.set_lane(o.lane);
  c.set_uploader_id(o.uploader_id);
  c.set_uploader_ip(o.uploader_ip);
  if (upload_time != absl::InfinitePast())
    ToProto(upload_time, c.mutable_upload_time());
  if (o.classifier_score.has_value())
    c.set_classifier_score(*o.classifier_score);
  c.set_user_report(o.user_report);
  for (const std::string& s : o.signals) c.add_signals(s);
  return c;
}

// Reads one file into a request; on failure `pending.read_error` says why.
Prepared Prepare(const ScanCommandOptions& o, const std::string& file,
                 const v1::ScanContext& context) {
  Prepared p;
  p.pending.file = file;
  absl::StatusOr<std::string> bytes =
      ReadInput(file, matcher::DecodeOptions().max_bytes);
  if (!bytes.ok()) {
    p.pending.read_error = std::string(bytes.status().message());
    return p;
  }
  p.pending.content_id =
      o.content_id.empty() ? matcher::Sha256Hex(*bytes) : o.content_id;
  p.request.set_content_id(p.pending.content_id);
  p.request.set_image(*std::move(bytes));
  *p.request.mutable_context() = context;
  return p;
}

nlohmann::ordered_json MatchJson(const v1::Match& m) {
  nlohmann::ordered_json j;
  j["bank"] = m.bank();
  j["entry_id"] = m.entry_id();
  j["signal"] = SignalName(m.signal());
  j["hash"] = m.hash();
  j["distance"] = m.distance();
  j["category"] = m.category();
  j["dihedral_variant"] = m.dihedral_variant();
  j["allow_bank"] = m.allow_bank();
  j["covered_by_allow"] = m.covered_by_allow();
  j["auto_report"] = m.auto_report();
  j["flooding"] = m.flooding();
  j["path"] = m.path();
  return j;
}

// Prints one response; returns false when the item failed.
bool PrintResponse(const Pending& p, const ScanResponse& r, bool json,
                   std::ostream& out, std::ostream& err) {
  const bool failed = r.has_error() && r.error().code() != 0;
  if (failed) {
    err << "hashwatch: scan " << p.file << ": "
        << StatusCodeName(r.error().code()) << ": " << r.error().message()
        << "\n";
  }
  if (json) {
    nlohmann::ordered_json j;
    j["file"] = p.file;
    j["content_id"] = r.content_id().empty() ? p.content_id : r.content_id();
    j["verdict"] = v1::Verdict_Name(r.verdict());
    j["matches"] = nlohmann::ordered_json::array();
    for (const v1::Match& m : r.matches()) j["matches"].push_back(MatchJson(m));
    j["report_id"] = r.report_id();
    j["item_id"] = r.item_id();
    j["replayed"] = r.replayed();
    j["novel"] = r.novel();
    j["reason"] = r.reason();
    j["hashes"] = HashesJson(r.hashes());
    if (failed) {
      j["error"] = {{"code", StatusCodeName(r.error().code())},
                    {"message", r.error().message()}};
    }
    out << JsonLine(j) << "\n";
    return !failed;
  }
  if (failed) return false;
  std::string best_bank = "-", best_distance = "-", ref = "-";
  if (r.matches_size() > 0) {
    best_bank = r.matches(0).bank();
    best_distance = absl::StrCat(r.matches(0).distance());
  }
  if (!r.report_id().empty()) {
    ref = absl::StrCat("report ", r.report_id());
  } else if (r.item_id() != 0) {
    ref = absl::StrCat("item ", r.item_id());
  }
  out << p.file << "\t" << v1::Verdict_Name(r.verdict()) << "\t" << best_bank
      << "\t" << best_distance << "\t" << ref << "\n";
  return true;
}

}  // namespace

void SetupScanCommand(CLI::App& command, ScanCommandOptions& o) {
  CLI::App* cmd = &command;
  AddClientFlags(*cmd, o.client, /*server_required=*/true);
  cmd->add_option("files", o.files, "Image files; - for stdin")->required();
  cmd->add_option("--content-id", o.content_id,
                  "The upload's id, the idempotency key (one file only; "
                  "default: SHA-256 hex)");
  cmd->add_option("--lane", o.lane, "Review lane for items this scan queues");
  cmd->add_option("--uploader", o.uploader_id, "The uploading account");
  cmd->add_option("--ip", o.uploader_ip, "The uploader's IP address");
  cmd->add_option(
      "--upload-time", o.upload_time,
      "When it was uploaded: RFC 3339, or a duration from now (-2h)");
  cmd->add_option_function<double>(
         "--classifier-score",
         [&o](const double& v) { o.classifier_score = v; },
         "Score of your own classifier, 0..1")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--user-report", o.user_report, "A user reported it");
  cmd->add_option(
      "--signal", o.signals,
      "Account or content signal, e.g. grooming, livestream (repeatable)");
  cmd->add_flag("--json", o.json, "One JSON object per file");
}

int RunScanCommand(const ScanCommandOptions& o, std::ostream& out,
                   std::ostream& err) {
  if (!o.content_id.empty() && o.files.size() > 1) {
    err << "hashwatch: --content-id names one upload; give one FILE with it\n";
    return 2;
  }
  absl::Time upload_time = absl::InfinitePast();
  if (!o.upload_time.empty()) {
    absl::StatusOr<absl::Time> t =
        ParseTimeOrDuration(o.upload_time, absl::Now());
    if (!t.ok()) {
      err << "hashwatch: --upload-time: " << t.status().message() << "\n";
      return 2;
    }
    upload_time = *t;
  }
  std::unique_ptr<Connection> conn;
  if (int rc = Connect(o.client, err, &conn); rc != 0) return rc;
  const v1::ScanContext context = MakeContext(o, upload_time);

  // Files that cannot be read before the first one that can: reported here,
  // and no call at all when none can.
  int failures = 0;
  size_t next = 0;
  std::optional<Prepared> first;
  while (next < o.files.size() && !first) {
    Prepared p = Prepare(o, o.files[next++], context);
    if (p.pending.read_error.empty()) {
      first = std::move(p);
    } else {
      ++failures;
      err << "hashwatch: " << p.pending.file << ": " << p.pending.read_error
          << "\n";
    }
  }
  if (!first) return 1;

  std::unique_ptr<v1::ScanService::Stub> stub =
      v1::ScanService::NewStub(conn->channel());
  std::unique_ptr<grpc::ClientContext> ctx =
      conn->NewContext(/*deadline=*/true, static_cast<int>(o.files.size()));
  std::unique_ptr<grpc::ClientReaderWriter<ScanRequest, ScanResponse>> stream =
      stub->ScanStream(ctx.get());
  PendingQueue queue;
  // Sends while the main thread prints; a file is read just before it is
  // sent, so one image at a time is held in memory.
  std::thread writer([&] {
    std::optional<Prepared> p = std::move(first);
    while (true) {
      if (!p) {
        if (next >= o.files.size()) break;
        p = Prepare(o, o.files[next++], context);
      }
      const bool send = p->pending.read_error.empty();
      queue.Push(p->pending);
      if (send && !stream->Write(p->request))
        break;  // the stream ended; Finish says why
      p.reset();
    }
    stream->WritesDone();
  });

  // Prints the entries that failed to read, up to and including the next
  // sent one, which it returns (nullopt: none left).
  auto next_sent = [&]() -> std::optional<Pending> {
    while (std::optional<Pending> p = queue.Pop()) {
      if (p->read_error.empty()) return p;
      ++failures;
      err << "hashwatch: " << p->file << ": " << p->read_error << "\n";
    }
    return std::nullopt;
  };
  ScanResponse response;
  bool extra = false;
  while (stream->Read(&response)) {
    std::optional<Pending> p = next_sent();
    if (!p) {
      extra =
          true;  // a response with no request: the server broke the protocol
      continue;
    }
    if (!PrintResponse(*p, response, o.json, out, err)) ++failures;
  }
  writer.join();
  const grpc::Status status = stream->Finish();
  // What is left was never answered (the stream ended early) or never read.
  while (std::optional<Pending> p = next_sent()) {
    ++failures;
    if (status.ok()) {
      err << "hashwatch: scan " << p->file
          << ": the server sent no answer for it\n";
    }
  }
  if (!status.ok()) return conn->FailCall(err, "scan", status);
  if (extra) {
    err << "hashwatch: scan: the server sent more answers than files\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace hashwatch::cli
