// Server configuration: every option of `hashwatch serve`, with defaults,
// loaded from a JSON file (unknown keys are errors, so a typo never goes
// unnoticed) and overridden by command-line flags. The file's keys mirror
// the struct fields; see docs/server-config.md for the annotated example.
//
//   HW_ASSIGN_OR_RETURN(ServerConfig config,
//   LoadServerConfig("hashwatch.json")); config.listen = "127.0.0.1:0";
//   HW_RETURN_IF_ERROR(ValidateServerConfig(config));
#ifndef HASHWATCH_REVIEW_API_CONFIG_H_
#define HASHWATCH_REVIEW_API_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "queue/review_queue.h"

namespace hashwatch::review_api {

struct TlsConfig {
  std::string cert_file;  // PEM server certificate chain
  std::string key_file;   // PEM private key
  // PEM roots for client certificates; set to verify them.
  std::string client_ca_file;
  // With client_ca_file: refuse clients without a valid certificate.
  bool require_client_cert = false;
};

struct LimitsConfig {
  // Largest request message in bytes (an image scan carries the image).
  // Default 64 MiB + 64 KiB of envelope.
  int64_t max_message_bytes = (64 << 20) + (64 << 10);
  int64_t max_image_bytes = 64 << 20;      // larger images: RESOURCE_EXHAUSTED
  int64_t max_image_pixels = 100'000'000;  // width x height, from the header
  // AddEntries / ImportList: staged on disk, so this bounds disk, not memory.
  int max_entries_per_import = 20'000'000;
  int max_entries_per_write = 5'000'000;  // RemoveEntries: one batch in memory
  int max_lease_items = 50;               // per Lease call
  int max_list_reports = 10'000;          // per ReportService.List call
  // Calls in progress at once, over every connection (health checks aside);
  // one more is refused with RESOURCE_EXHAUSTED naming this limit. Each
  // call in progress holds a server thread.
  int max_concurrent_calls = 256;
  // HTTP/2 streams one connection may have open (SETTINGS_MAX_CONCURRENT_
  // STREAMS); the client holds further calls back until one ends.
  int max_streams_per_connection = 100;
  // gRPC's memory quota for its buffers (transport reads, messages).
  int64_t memory_quota_bytes = int64_t{2} << 30;
  // ScanStream: bytes of requests read ahead and not yet answered (and
  // written) on one stream; the stream stops reading until answers go out.
  // A single larger request still runs, alone.
  int64_t scan_stream_inflight_bytes = 128 << 20;
  // Pixels (width x height, from the header) being decoded at once by all
  // scans; a picture waits until its pixels fit. One larger than the whole
  // budget runs alone.
  int64_t decode_budget_pixels = 150'000'000;
  // ImportList lists the first this many malformed lines (each message cut
  // at 256 bytes) and counts the rest: at most 10,000, ~2.7 MB, within any
  // client's 4 MiB receive limit.
  int max_listed_import_errors = 1000;
};

struct ScanConfig {
  // Match the 8 rotations/mirrors of each image for every bank, whatever
  // its policy (BankPolicy::dihedral: off by default, on for the bank of
  // confirmed material). Costs about 30% of image-scan throughput at 1M hashes.
  bool dihedral = false;
  // Also hash and match the pictures recovered from inside each upload
  // (matcher/regions.h): the picture inside a border or letterbox bars,
  // and up to max_regions - 1 rectangles of a larger canvas (a screenshot,
  // a page, a collage cell). Each bank's policy says whether these paths
  // may auto-report. 0 turns recovery off.
  int max_regions = 6;
  // Own material (matcher/own_signature.h): while any bank holds picture
  // signatures (added with `bank add-images`, or by confirmed review
  // items), each scanned image's signature is computed and matched; and
  // each image queued for review gets one, kept until its decision, so that
  // a confirm banks it in review.platform_bank. Such matches always go to
  // review. Off: neither.
  bool own_signatures = true;
  // Reference-compatible full decode instead of the fast shrink-on-load.
  bool compat_decode = false;
  // How long a NO_MATCH scan's idempotency record (content id -> verdict,
  // no hashes) is kept. Default 24 h.
  absl::Duration no_match_record_ttl = absl::Hours(24);
  // fsync the NO_MATCH records too. Off by default: they hold no evidence
  // and a lost one only means a rescan recomputes the same verdict; they
  // still reach the OS before the answer, so a process crash loses none.
  bool sync_no_match_records = false;
  // Unmatched items flagged like this go to review as novel.
  double novel_classifier_threshold = 0.9;  // 0..1; > 1 turns it off
  bool review_user_reports = true;
  std::vector<std::string> review_signals = {
      "grooming", "livestream", "underage_account", "multiple_victims"};
  // Lanes for items a scan queues: user reports go to user_report_lane,
  // everything else to default_lane, unless the scan names its lane.
  std::string default_lane = "proactive";
  std::string user_report_lane = "user_report";
  // Flood guard: one bank entry matching more distinct content ids than
  // this within the window stops auto-reporting (review instead) and is
  // flagged for a lead.
  int flood_max_distinct_contents = 50;
  absl::Duration flood_window = absl::Hours(1);
};

struct ReviewConfig {
  // Confirmed items' hashes are added here (created at start-up if absent).
  std::string platform_bank = "internal-confirmed";
  // "Reject + allow" adds the hashes here (an allow bank; created if absent).
  std::string allow_bank = "internal-allow";
  absl::Duration lease_duration = absl::Minutes(10);
  // Keep an unblurred colour preview (<= reveal_max_side px) of queued
  // images for audited Reveal calls. Off: Reveal answers NOT_FOUND.
  bool keep_reveal_previews = true;
  int reveal_max_side = 512;
  // An undecided item's unblurred preview is deleted this long after the
  // item was queued (Reveal then answers FAILED_PRECONDITION); a decided
  // item's at once.
  absl::Duration reveal_preview_retention = absl::Hours(24 * 14);
  int preview_max_side = 256;  // the blurred greyscale preview, 16..1024
  std::string case_lane = "user_report";  // EnqueueCase without a lane
};

struct ReportConfig {
  std::string platform = "hashwatch";
  std::string incident_type = "child_sexual_abuse_material";
  absl::Duration retention = absl::Hours(24 * 365);  // preservation period
};

// The review queue's policy (queue/review_queue.h): its lanes with their
// weighted shares and per-class SLAs, where escalations go, and the
// moderators' exposure limits. Defaults are the queue's own.
struct QueueConfig {
  // Each lane: name (1..64 of [a-z0-9_-], unique), weight (1..1000000, the
  // share among weighted lanes), served_first (before every weighted lane)
  // and the SLA per priority class. At least one lane is weighted; every
  // lane the scan and review sections name must be listed here.
  std::vector<queue::LaneOptions> lanes = queue::QueueOptions().lanes;
  // Where an escalation sends an item; one of `lanes`.
  std::string escalation_lane = queue::QueueOptions().escalation_lane;
  // Per-moderator exposure limits (0 turns a limit off); shift_length at
  // most 7 days, break_length at most 24 hours.
  queue::WelfareOptions welfare;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:50051";  // HOST:PORT; port 0 = any free port
  std::string db =
      "./var/hashwatch";  // banks/, queue/, reports/, scans/, tokens.json
  // The review queue's write-ahead log; empty: inside db/queue. A device of
  // its own keeps the queue's fsyncs away from compaction writes.
  std::string queue_wal_dir;
  // Serve without TLS (local development only; logged as a warning;
  // loopback addresses only).
  bool plaintext = false;
  // Offer gRPC server reflection (grpc.reflection.v1alpha), to callers with
  // a token. Off: the service does not exist (UNIMPLEMENTED).
  bool reflection = false;
  // How often open streams (ScanStream, AddEntries, RemoveEntries,
  // ExportBank, Export, Watch) re-check their token: a revoked one ends
  // them within about this long.
  absl::Duration token_recheck_interval = absl::Seconds(2);
  // gRPC's HTTP/2 BDP probing: grows each stream's receive window to the
  // measured bandwidth-delay product (faster large uploads over long
  // links), but lets a client send several MiB of a request before its
  // token is checked. Off: 64 KiB windows, grown for a message being read.
  bool http2_bdp_probe = false;
  TlsConfig tls;
  LimitsConfig limits;
  ScanConfig scan;
  ReviewConfig review;
  ReportConfig reports;
  QueueConfig queue;
  // Graceful shutdown: in-flight calls get this long to finish.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Upper bound on gRPC's threads (its resource quota; each call in
  // progress holds one, its pollers a few more): at least
  // limits.max_concurrent_calls + 16, so that the call limit, with its
  // clear error, is reached first.
  int threads = 300;
};

// Reads a JSON config file over the defaults. Durations are given in
// seconds (keys ending in `_seconds`). InvalidArgument names the key for
// unknown keys, wrong types and values out of range; NotFound for a
// missing file.
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);
absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view json);

// Range and consistency checks (also run by LoadServerConfig), except the
// TLS settings: a configuration without them can still be printed and
// edited (`serve --print-config`).
absl::Status ValidateServerConfig(const ServerConfig& config);

// What serving needs of the TLS settings (checked by Server::Start):
// without `plaintext`, tls.cert_file and tls.key_file; with
// tls.require_client_cert, tls.client_ca_file. InvalidArgument naming the
// missing key otherwise; `plaintext` only on a loopback address
// (IsLoopbackListenAddress). Whether the files can be read is Server::Start's.
absl::Status ValidateTlsConfig(const ServerConfig& config);

// Whether a listen address (HOST:PORT, [V6]:PORT, unix:PATH) only accepts
// local connections: 127.0.0.0/8, ::1, localhost or a unix socket. Plaintext
// is refused (ValidateTlsConfig) on any other.
bool IsLoopbackListenAddress(absl::string_view listen);

// The review queue's options for the database under config.db: its path,
// write-ahead log, lease duration and Lease cap, and the `queue` policy.
queue::QueueOptions QueueOptionsFromConfig(const ServerConfig& config);

// The effective configuration as JSON (for `serve --print-config`).
std::string ServerConfigToJson(const ServerConfig& config);

}  // namespace hashwatch::review_api

#endif  // HASHWATCH_REVIEW_API_CONFIG_H_
