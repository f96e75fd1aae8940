#include "review_api/config.h"

#include <arpa/inet.h>

#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/read_input.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace hashwatch::review_api {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxConfigBytes = 1 << 20;
// gRPC's pollers and the server's own threads, besides one per call.
constexpr int kThreadsBesideCalls = 16;

// One walk over every option, shared by the reader and the writer so the
// file format and the printed configuration cannot drift apart.
template <typename V>
void VisitConfig(V& v, ServerConfig& c) {
  v.String("listen", c.listen);
  v.String("db", c.db);
  v.String("queue_wal_dir", c.queue_wal_dir);
  v.Bool("plaintext", c.plaintext);
  v.Bool("reflection", c.reflection);
  v.Seconds("token_recheck_seconds", c.token_recheck_interval);
  v.Bool("http2_bdp_probe", c.http2_bdp_probe);
  v.Object("tls", [&] {
    v.String("cert_file", c.tls.cert_file);
    v.String("key_file", c.tls.key_file);
    v.String("client_ca_file", c.tls.client_ca_file);
    v.Bool("require_client_cert", c.tls.require_client_cert);
  });
  v.Object("limits", [&] {
    v.Int("max_message_bytes", c.limits.max_message_bytes, 1024,
          int64_t{1} << 30);
    v.Int("max_image_bytes", c.limits.max_image_bytes, 1, int64_t{1} << 30);
    v.Int("max_image_pixels", c.limits.max_image_pixels, 1, int64_t{1} << 31);
    v.Int("max_entries_per_import", c.limits.max_entries_per_import, 1,
          200'000'000);
    v.Int("max_entries_per_write", c.limits.max_entries_per_write, 1,
          50'000'000);
    v.Int("max_lease_items", c.limits.max_lease_items, 1, 10'000);
    v.Int("max_list_reports", c.limits.max_list_reports, 1, 1'000'000);
    v.Int("max_concurrent_calls", c.limits.max_concurrent_calls, 1, 10'000);
    v.Int("max_streams_per_connection", c.limits.max_streams_per_connection, 1,
          10'000);
    v.Int("memory_quota_bytes", c.limits.memory_quota_bytes, 64 << 20,
          int64_t{1} << 40);
    v.Int("scan_stream_inflight_bytes", c.limits.scan_stream_inflight_bytes,
          1 << 20, int64_t{1} << 36);
    v.Int("decode_budget_pixels", c.limits.decode_budget_pixels, 1 << 20,
          int64_t{1} << 36);
    v.Int("max_listed_import_errors", c.limits.max_listed_import_errors, 0,
          10'000);
  });
  v.Object("scan", [&] {
    v.Bool("dihedral", c.scan.dihedral);
    v.Int("max_regions", c.scan.max_regions, 0, 16);
    v.Bool("own_signatures", c.scan.own_signatures);
    v.Bool("compat_decode", c.scan.compat_decode);
    v.Seconds("no_match_record_ttl_seconds", c.scan.no_match_record_ttl);
    v.Bool("sync_no_match_records", c.scan.sync_no_match_records);
    v.Double("novel_classifier_threshold", c.scan.novel_classifier_threshold, 0,
             1.01);
    v.Bool("review_user_reports", c.scan.review_user_reports);
    v.Strings("review_signals", c.scan.review_signals);
    v.String("default_lane", c.scan.default_lane);
    v.String("user_report_lane", c.scan.user_report_lane);
    v.Int("flood_max_distinct_contents", c.scan.flood_max_distinct_contents, 1,
          1'000'000'000);
    v.Seconds("flood_window_seconds", c.scan.flood_window);
  });
  v.Object("review", [&] {
    v.String("platform_bank", c.review.platform_bank);
    v.String("allow_bank", c.review.allow_bank);
    v.Seconds("lease_duration_seconds", c.review.lease_duration);
    v.Bool("keep_reveal_previews", c.review.keep_reveal_previews);
    v.Int("reveal_max_side", c.review.reveal_max_side, 16, 2048);
    v.Seconds("reveal_preview_retention_seconds",
              c.review.reveal_preview_retention);
    v.Int("preview_max_side", c.review.preview_max_side, 16, 1024);
    v.String("case_lane", c.review.case_lane);
  });
  v.Object("reports", [&] {
    v.String("platform", c.reports.platform);
    v.String("incident_type", c.reports.incident_type);
    v.Seconds("retention_seconds", c.reports.retention);
  });
  v.Object("queue", [&] {
    v.Objects("lanes", c.queue.lanes, [&](queue::LaneOptions& lane) {
      v.String("name", lane.name);
      v.Int("weight", lane.weight, 1, 1'000'000);
      v.Bool("served_first", lane.served_first);
      v.Object("sla_seconds", [&] {
        for (int k = 0; k < queue::kPriorityClassCount; ++k) {
          const std::string name(
              queue::PriorityClassName(static_cast<queue::PriorityClass>(k)));
          v.Seconds(name.c_str(), lane.sla[k]);
        }
      });
    });
    v.String("escalation_lane", c.queue.escalation_lane);
    v.Object("welfare", [&] {
      queue::WelfareOptions& w = c.queue.welfare;
      v.Int("max_items_per_hour", w.max_items_per_hour, 0, 1'000'000);
      v.Int("max_items_per_shift", w.max_items_per_shift, 0, 10'000'000);
      v.Seconds("shift_length_seconds", w.shift_length);
      v.Int("break_after_items", w.break_after_items, 0, 1'000'000);
      v.Seconds("break_length_seconds", w.break_length);
    });
  });
  v.Seconds("shutdown_grace_seconds", c.shutdown_grace);
  v.Int("threads", c.threads, 32, 20'000);
}

class Reader {
 public:
  explicit Reader(const Json& root) { stack_.push_back({&root, "", {}}); }

  template <typename T>
  void Int(const char* key, T& out, int64_t lo, int64_t hi) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_number_integer()) return Fail(key, "must be an integer");
    const int64_t v = j->get<int64_t>();
    if (v < lo || v > hi) {
      return Fail(key,
                  absl::StrCat("must be in ", lo, "..", hi, " (got ", v, ")"));
    }
    out = static_cast<T>(v);
  }
  void Double(const char* key, double& out, double lo, double hi) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_number()) return Fail(key, "must be a number");
    const double v = j->get<double>();
    if (!std::isfinite(v) || v < lo || v > hi) {
      return Fail(key,
                  absl::StrCat("must be in ", lo, "..", hi, " (got ", v, ")"));
    }
    out = v;
  }
  void Bool(const char* key, bool& out) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_boolean()) return Fail(key, "must be true or false");
    out = j->get<bool>();
  }
  void String(const char* key, std::string& out) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_string()) return Fail(key, "must be a string");
    out = j->get<std::string>();
  }
  void Strings(const char* key, std::vector<std::string>& out) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_array()) return Fail(key, "must be an array of strings");
    std::vector<std::string> v;
    for (const Json& e : *j) {
      if (!e.is_string()) return Fail(key, "must be an array of strings");
      v.push_back(e.get<std::string>());
    }
    out = std::move(v);
  }
  void Seconds(const char* key, absl::Duration& out) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_number()) return Fail(key, "must be a number of seconds");
    const double v = j->get<double>();
    if (!std::isfinite(v) || v <= 0 || v > 100.0 * 365 * 86400) {
      return Fail(
          key, absl::StrCat("must be > 0 and at most 100 years (got ", v, ")"));
    }
    out = absl::Seconds(v);
  }
  template <typename F>
  void Object(const char* key, F&& body) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_object()) return Fail(key, "must be an object");
    Enter(*j, Path(key), body);
  }
  // An array of objects, each read by body(element) into a default T; the
  // array replaces `out` whole. Errors name the element: "queue.lanes[1]".
  template <typename T, typename F>
  void Objects(const char* key, std::vector<T>& out, F&& body) {
    const Json* j = Find(key);
    if (j == nullptr) return;
    if (!j->is_array()) return Fail(key, "must be an array of objects");
    std::vector<T> items(j->size());
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string path = absl::StrCat(Path(key), "[", i, "]");
      if (!(*j)[i].is_object()) return FailAt(path, "must be an object");
      Enter((*j)[i], path, [&] { body(items[i]); });
    }
    out = std::move(items);
  }

  absl::Status Finish() {
    CheckUnknown();
    return status_;
  }

 private:
  struct Level {
    const Json* object;
    std::string path;
    std::set<std::string> seen;
  };

  std::string Path(const char* key) const {
    return stack_.back().path.empty()
               ? std::string(key)
               : absl::StrCat(stack_.back().path, ".", key);
  }
  const Json* Find(const char* key) {
    Level& level = stack_.back();
    level.seen.insert(key);
    auto it = level.object->find(key);
    return it == level.object->end() ? nullptr : &*it;
  }
  template <typename F>
  void Enter(const Json& object, std::string path, F&& body) {
    stack_.push_back({&object, std::move(path), {}});
    body();
    CheckUnknown();
    stack_.pop_back();
  }
  void Fail(const char* key, absl::string_view what) {
    FailAt(Path(key), what);
  }
  void FailAt(absl::string_view path, absl::string_view what) {
    if (status_.ok()) {
      status_ =
          absl::InvalidArgumentError(absl::StrCat("config: ", path, " ", what));
    }
  }
  void CheckUnknown() {
    const Level& level = stack_.back();
    for (const auto& [key, value] : level.object->items()) {
      if (!level.seen.contains(key) && status_.ok()) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            "config: unknown key \"",
            level.path.empty() ? key : absl::StrCat(level.path, ".", key),
            "\""));
      }
    }
  }

  std::vector<Level> stack_;
  absl::Status status_;
};

class Writer {
 public:
  template <typename T>
  void Int(const char* key, T& v, int64_t, int64_t) {
    (*current_)[key] = static_cast<int64_t>(v);
  }
  void Double(const char* key, double& v, double, double) {
    (*current_)[key] = v;
  }
  void Bool(const char* key, bool& v) { (*current_)[key] = v; }
  void String(const char* key, std::string& v) { (*current_)[key] = v; }
  void Strings(const char* key, std::vector<std::string>& v) {
    (*current_)[key] = v;
  }
  void Seconds(const char* key, absl::Duration& v) {
    (*current_)[key] = absl::ToDoubleSeconds(v);
  }
  template <typename F>
  void Object(const char* key, F&& body) {
    Json* parent = current_;
    current_ = &(*parent)[key];
    *current_ = Json::object();
    body();
    current_ = parent;
  }
  template <typename T, typename F>
  void Objects(const char* key, std::vector<T>& items, F&& body) {
    Json* parent = current_;
    Json array = Json::array();
    for (T& item : items) {
      Json element = Json::object();
      current_ = &element;
      body(item);
      array.push_back(std::move(element));
    }
    current_ = parent;
    (*current_)[key] = std::move(array);
  }
  Json root = Json::object();

 private:
  Json* current_ = &root;
};

bool ValidLaneName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
          ch == '-')) {
      return false;
    }
  }
  return true;
}

std::string LaneNames(const QueueConfig& q) {
  return absl::StrJoin(q.lanes, ", ",
                       [](std::string* out, const queue::LaneOptions& lane) {
                         absl::StrAppend(out, lane.name);
                       });
}

// The queue section, with errors that name the key; the queue checks the
// same again when it opens (queue/review_queue.h).
absl::Status ValidateQueueConfig(const ServerConfig& c) {
  const QueueConfig& q = c.queue;
  if (q.lanes.empty()) {
    return absl::InvalidArgumentError(
        "config: queue.lanes must list at least one lane");
  }
  std::set<std::string> names;
  bool weighted = false;
  for (size_t i = 0; i < q.lanes.size(); ++i) {
    const queue::LaneOptions& lane = q.lanes[i];
    const std::string key = absl::StrCat("config: queue.lanes[", i, "]");
    if (!ValidLaneName(lane.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          key, ".name \"", lane.name, "\" must be 1..64 of [a-z0-9_-]"));
    }
    if (!names.insert(lane.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ".name \"", lane.name, "\" is listed twice"));
    }
    if (lane.served_first) continue;
    weighted = true;
    if (lane.weight < 1 || lane.weight > 1'000'000) {
      return absl::InvalidArgumentError(absl::StrCat(
          key, ".weight must be in 1..1000000 (got ", lane.weight, ")"));
    }
  }
  if (!weighted) {
    return absl::InvalidArgumentError(
        "config: queue.lanes needs a lane without served_first (a weighted "
        "lane)");
  }
  for (const auto& [key, lane] :
       {std::pair{"queue.escalation_lane", &q.escalation_lane},
        std::pair{"scan.default_lane", &c.scan.default_lane},
        std::pair{"scan.user_report_lane", &c.scan.user_report_lane},
        std::pair{"review.case_lane", &c.review.case_lane}}) {
    if (!names.contains(*lane)) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: ", key, " \"", *lane,
                       "\" is not a lane of queue.lanes (", LaneNames(q), ")"));
    }
  }
  if (q.welfare.shift_length > absl::Hours(24 * 7)) {
    return absl::InvalidArgumentError(
        "config: queue.welfare.shift_length_seconds must be at most 604800 (7 "
        "days)");
  }
  if (q.welfare.break_length > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "config: queue.welfare.break_length_seconds must be at most 86400 (24 "
        "hours)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(absl::string_view json) {
  Json root =
      Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false,
                  /*ignore_comments=*/true);
  if (root.is_discarded())
    return absl::InvalidArgumentError("config: not valid JSON");
  if (!root.is_object())
    return absl::InvalidArgumentError("config: must be a JSON object");
  ServerConfig config;
  Reader reader(root);
  VisitConfig(reader, config);
  HW_RETURN_IF_ERROR(reader.Finish());
  HW_RETURN_IF_ERROR(ValidateServerConfig(config));
  return config;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  auto text = ReadInput(path, kMaxConfigBytes);
  if (!text.ok()) {
    return absl::Status(
        text.status().code(),
        absl::StrCat("config: ", path, ": ", text.status().message()));
  }
  auto config = ParseServerConfig(*text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

absl::Status ValidateServerConfig(const ServerConfig& c) {
  if (c.listen.empty() || c.listen.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: listen must be HOST:PORT (got \"", c.listen, "\")"));
  }
  if (c.db.empty())
    return absl::InvalidArgumentError("config: db must not be empty");
  for (const auto* lane :
       {&c.scan.default_lane, &c.scan.user_report_lane, &c.review.case_lane}) {
    if (!ValidLaneName(*lane)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config: lane name \"", *lane, "\" must be 1..64 of [a-z0-9_-]"));
    }
  }
  if (c.review.platform_bank == c.review.allow_bank) {
    return absl::InvalidArgumentError(
        "config: review.platform_bank and review.allow_bank must differ");
  }
  if (c.limits.max_image_bytes > c.limits.max_message_bytes) {
    return absl::InvalidArgumentError(
        "config: limits.max_image_bytes must not exceed "
        "limits.max_message_bytes");
  }
  if (c.threads < c.limits.max_concurrent_calls + kThreadsBesideCalls) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: threads (", c.threads,
                     ") must be at least limits.max_concurrent_calls + ",
                     kThreadsBesideCalls, " (", c.limits.max_concurrent_calls,
                     " + ", kThreadsBesideCalls, ")"));
  }
  if (c.limits.memory_quota_bytes < 2 * c.limits.max_message_bytes) {
    return absl::InvalidArgumentError(
        "config: limits.memory_quota_bytes must be at least twice "
        "limits.max_message_bytes");
  }
  if (c.token_recheck_interval < absl::Milliseconds(100) ||
      c.token_recheck_interval > absl::Minutes(5)) {
    return absl::InvalidArgumentError(
        "config: token_recheck_seconds must be in 0.1..300");
  }
  return ValidateQueueConfig(c);
}

queue::QueueOptions QueueOptionsFromConfig(const ServerConfig& config) {
  queue::QueueOptions options;
  options.path = config.db + "/queue";
  options.wal_dir = config.queue_wal_dir;
  options.lease_duration = config.review.lease_duration;
  options.max_lease_items = config.limits.max_lease_items;
  options.lanes = config.queue.lanes;
  options.escalation_lane = config.queue.escalation_lane;
  options.welfare = config.queue.welfare;
  return options;
}

bool IsLoopbackListenAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") ||
      absl::StartsWith(listen, "unix-abstract:")) {
    return true;  // a local socket, guarded by file permissions
  }
  absl::string_view host = listen;
  if (absl::ConsumePrefix(&host, "[")) {
    const size_t end = host.find(']');
    if (end == absl::string_view::npos) return false;
    host = host.substr(0, end);
  } else if (const size_t colon = host.rfind(':');
             colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  const std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 &&
         (ntohl(v4.s_addr) >> 24) == 127;
}

absl::Status ValidateTlsConfig(const ServerConfig& c) {
  if (c.plaintext && !IsLoopbackListenAddress(c.listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: plaintext is allowed only on a loopback address "
        "(127.0.0.1, [::1], localhost) or a unix socket, not on ",
        c.listen,
        "; configure tls.cert_file and tls.key_file to listen there"));
  }
  if (!c.plaintext && (c.tls.cert_file.empty() || c.tls.key_file.empty())) {
    return absl::InvalidArgumentError(
        "config: TLS needs tls.cert_file and tls.key_file "
        "(or plaintext: true / --plaintext for local development)");
  }
  if (c.tls.require_client_cert && c.tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "config: tls.require_client_cert needs tls.client_ca_file");
  }
  return absl::OkStatus();
}

std::string ServerConfigToJson(const ServerConfig& config) {
  ServerConfig copy = config;
  Writer writer;
  VisitConfig(writer, copy);
  return writer.root.dump(2);
}

}  // namespace hashwatch::review_api
