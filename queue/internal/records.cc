#include "queue/internal/records.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/record_codec.h"
#include "common/status_macros.h"

namespace hashwatch::queue::internal {
namespace {

constexpr uint64_t kItemVersion = 1;
constexpr uint64_t kAuditVersion = 1;
constexpr uint64_t kModeratorVersion = 1;
constexpr uint64_t kStateVersion = 1;

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("queue: malformed ", what, " record"));
}

// Reads one field or returns DataLoss for the record named `what`.
#define HW_READ(expr)                    \
  do {                                   \
    if (!(expr)) return Malformed(what); \
  } while (false)

void EncodeDecision(RecordEncoder& e, const Decision& d) {
  e.Varint(d.item_id);
  e.Varint(d.lease_id);
  e.Bytes(d.moderator);
  e.Varint(static_cast<uint64_t>(d.kind));
  e.Bytes(d.category);
  e.Bool(d.add_to_allow_list);
  e.Bytes(d.note);
  e.Time(d.time);
}

bool DecodeDecision(RecordDecoder& d, Decision* out) {
  return d.Varint(&out->item_id) && d.Varint(&out->lease_id) &&
         d.Bytes(&out->moderator) && d.Enum(&out->kind, 0, 3) &&
         d.Bytes(&out->category) && d.Bool(&out->add_to_allow_list) &&
         d.Bytes(&out->note) && d.Time(&out->time);
}

void EncodeExclusionList(RecordEncoder& e, const std::vector<Exclusion>& list) {
  e.Varint(list.size());
  for (const Exclusion& x : list) {
    e.Bytes(x.moderator);
    e.Time(x.until);
  }
}

bool DecodeExclusionList(RecordDecoder& d, std::vector<Exclusion>* list) {
  uint64_t n = 0;
  if (!d.Varint(&n)) return false;
  list->clear();
  for (uint64_t i = 0; i < n; ++i) {
    Exclusion x;
    if (!d.Bytes(&x.moderator) || !d.Time(&x.until)) return false;
    list->push_back(std::move(x));
  }
  return true;
}

}  // namespace

std::string EncodeItem(const StoredItem& stored) {
  const ReviewItem& it = stored.item;
  RecordEncoder e;
  e.Varint(kItemVersion);
  e.Varint(it.id);
  e.Bytes(it.content_id);
  e.Bytes(it.lane);
  e.Varint(static_cast<uint64_t>(it.kind));
  e.Bytes(it.hashes.pdq);
  e.Signed(it.hashes.pdq_quality);
  e.Bytes(it.hashes.md5);
  e.Bytes(it.hashes.sha256);
  e.Varint(it.matches.size());
  for (const matcher::MatchEvidence& m : it.matches) {
    e.Bytes(m.bank);
    e.Bytes(m.signal);
    e.Bytes(m.hash);
    e.Signed(m.distance);
    e.Signed(m.auto_report_distance);
    e.Signed(m.review_distance);
    e.Bytes(m.category);
    e.Bytes(m.source);
  }
  e.Bytes(it.context.uploader);
  e.Time(it.context.upload_time);
  e.Bytes(it.context.ip);
  e.Double(it.context.classifier_score);
  e.Varint(it.context.signals.size());
  for (const std::string& s : it.context.signals) e.Bytes(s);
  e.Bytes(it.category);
  e.Double(it.priority_boost);
  e.Bool(it.has_preview);
  e.Time(it.enqueue_time);
  e.Time(it.lane_time);
  e.Double(it.base_priority);
  e.Varint(static_cast<uint64_t>(it.priority_class));
  e.Time(it.sla_deadline);
  e.Varint(static_cast<uint64_t>(it.state));
  e.Bytes(it.lease_holder);
  e.Varint(it.lease_id);
  e.Time(it.lease_expires);
  e.Bool(it.decision.has_value());
  if (it.decision) EncodeDecision(e, *it.decision);
  e.Varint(it.history.size());
  for (const HistoryEntry& h : it.history) {
    e.Time(h.time);
    e.Bytes(h.actor);
    e.Bytes(h.event);
    e.Varint(h.lease_id);
    e.Bytes(h.details);
  }
  e.Time(stored.virtual_enqueue);
  EncodeExclusionList(e, stored.exclusions);
  // Added after version 1 shipped: optional trailing fields, in this
  // order, each written only when it or a later one is set, so records
  // written before them decode unchanged (with them empty).
  const bool paths = std::any_of(
      it.matches.begin(), it.matches.end(),
      [](const matcher::MatchEvidence& m) { return !m.path.empty(); });
  const bool token = !it.lease_token.empty() || paths;
  if (!it.summary.empty() || !it.hashes.sha1.empty() || token)
    e.Bytes(it.summary);
  if (!it.hashes.sha1.empty() || token) e.Bytes(it.hashes.sha1);
  if (token) e.Bytes(it.lease_token);
  if (paths) {
    for (const matcher::MatchEvidence& m : it.matches) e.Bytes(m.path);
  }
  return e.Release();
}

absl::Status DecodeItem(absl::string_view bytes, StoredItem* stored) {
  constexpr absl::string_view what = "item";
  *stored = StoredItem();
  ReviewItem& it = stored->item;
  RecordDecoder d(bytes);
  uint64_t version = 0;
  HW_READ(d.Varint(&version) && version == kItemVersion);
  HW_READ(d.Varint(&it.id));
  HW_READ(d.Bytes(&it.content_id));
  HW_READ(d.Bytes(&it.lane));
  HW_READ(d.Enum(&it.kind, 0, 2));
  HW_READ(d.Bytes(&it.hashes.pdq));
  HW_READ(d.Int(&it.hashes.pdq_quality));
  HW_READ(d.Bytes(&it.hashes.md5));
  HW_READ(d.Bytes(&it.hashes.sha256));
  uint64_t n = 0;
  HW_READ(d.Varint(&n));
  for (uint64_t i = 0; i < n; ++i) {
    matcher::MatchEvidence m;
    HW_READ(d.Bytes(&m.bank) && d.Bytes(&m.signal) && d.Bytes(&m.hash) &&
            d.Int(&m.distance) && d.Int(&m.auto_report_distance) &&
            d.Int(&m.review_distance) && d.Bytes(&m.category) &&
            d.Bytes(&m.source));
    it.matches.push_back(std::move(m));
  }
  HW_READ(d.Bytes(&it.context.uploader));
  HW_READ(d.Time(&it.context.upload_time));
  HW_READ(d.Bytes(&it.context.ip));
  HW_READ(d.Double(&it.context.classifier_score));
  HW_READ(d.Varint(&n));
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    HW_READ(d.Bytes(&s));
    it.context.signals.push_back(std::move(s));
  }
  HW_READ(d.Bytes(&it.category));
  HW_READ(d.Double(&it.priority_boost));
  HW_READ(d.Bool(&it.has_preview));
  HW_READ(d.Time(&it.enqueue_time));
  HW_READ(d.Time(&it.lane_time));
  HW_READ(d.Double(&it.base_priority));
  HW_READ(d.Enum(&it.priority_class, 0, kPriorityClassCount - 1));
  HW_READ(d.Time(&it.sla_deadline));
  HW_READ(d.Enum(&it.state, 0, 3));
  HW_READ(d.Bytes(&it.lease_holder));
  HW_READ(d.Varint(&it.lease_id));
  HW_READ(d.Time(&it.lease_expires));
  bool has_decision = false;
  HW_READ(d.Bool(&has_decision));
  if (has_decision) {
    Decision dec;
    HW_READ(DecodeDecision(d, &dec));
    it.decision = std::move(dec);
  }
  HW_READ(d.Varint(&n));
  for (uint64_t i = 0; i < n; ++i) {
    HistoryEntry h;
    HW_READ(d.Time(&h.time) && d.Bytes(&h.actor) && d.Bytes(&h.event) &&
            d.Varint(&h.lease_id) && d.Bytes(&h.details));
    it.history.push_back(std::move(h));
  }
  HW_READ(d.Time(&stored->virtual_enqueue));
  HW_READ(DecodeExclusionList(d, &stored->exclusions));
  if (!d.done()) HW_READ(d.Bytes(&it.summary));
  if (!d.done()) HW_READ(d.Bytes(&it.hashes.sha1));
  if (!d.done()) HW_READ(d.Bytes(&it.lease_token));
  if (!d.done()) {
    for (matcher::MatchEvidence& m : it.matches) HW_READ(d.Bytes(&m.path));
  }
  HW_READ(d.done());
  return absl::OkStatus();
}

std::string EncodeExclusions(const std::vector<Exclusion>& exclusions) {
  if (exclusions.empty()) return "";
  RecordEncoder e;
  EncodeExclusionList(e, exclusions);
  return e.Release();
}

absl::Status DecodeExclusions(absl::string_view bytes,
                              std::vector<Exclusion>* exclusions) {
  constexpr absl::string_view what = "index value";
  exclusions->clear();
  if (bytes.empty()) return absl::OkStatus();
  RecordDecoder d(bytes);
  HW_READ(DecodeExclusionList(d, exclusions) && d.done());
  return absl::OkStatus();
}

bool Excludes(absl::string_view encoded, absl::string_view moderator,
              absl::Time now) {
  if (encoded.empty()) return false;
  std::vector<Exclusion> list;
  if (!DecodeExclusions(encoded, &list).ok()) return false;
  for (const Exclusion& x : list) {
    if (x.moderator == moderator && now < x.until) return true;
  }
  return false;
}

std::string EncodeAuditEntry(const AuditEntry& entry) {
  RecordEncoder e;
  e.Varint(kAuditVersion);
  e.Varint(entry.index);
  e.Time(entry.time);
  e.Bytes(entry.actor);
  e.Varint(static_cast<uint64_t>(entry.event));
  e.Varint(entry.item_id);
  e.Bytes(entry.details);
  e.Bytes(entry.prev_hash);
  return e.Release();
}

absl::Status DecodeAuditEntry(absl::string_view bytes, AuditEntry* entry) {
  constexpr absl::string_view what = "audit";
  *entry = AuditEntry();
  RecordDecoder d(bytes);
  uint64_t version = 0;
  HW_READ(d.Varint(&version) && version == kAuditVersion);
  HW_READ(d.Varint(&entry->index) && d.Time(&entry->time) &&
          d.Bytes(&entry->actor) && d.Enum(&entry->event, 0, 7) &&
          d.Varint(&entry->item_id) && d.Bytes(&entry->details) &&
          d.Bytes(&entry->prev_hash) && d.done());
  HW_READ(entry->prev_hash.size() == 32);
  return absl::OkStatus();
}

std::string EncodeQueueState(const QueueState& state) {
  RecordEncoder e;
  e.Varint(kStateVersion);
  e.Varint(state.audit_entries);
  e.Bytes(state.audit_hash);
  e.Varint(state.next_item_id);
  e.Varint(state.next_lease_id);
  e.Varint(state.counters.size());
  for (const auto& [name, value] : state.counters) {
    e.Bytes(name);
    e.Signed(value);
  }
  return e.Release();
}

absl::Status DecodeQueueState(absl::string_view bytes, QueueState* state) {
  constexpr absl::string_view what = "queue state";
  *state = QueueState();
  RecordDecoder d(bytes);
  uint64_t version = 0, n = 0;
  HW_READ(d.Varint(&version) && version == kStateVersion);
  HW_READ(d.Varint(&state->audit_entries) && d.Bytes(&state->audit_hash) &&
          state->audit_hash.size() == 32 && d.Varint(&state->next_item_id) &&
          d.Varint(&state->next_lease_id) && d.Varint(&n));
  for (uint64_t i = 0; i < n; ++i) {
    std::string name;
    int64_t value = 0;
    HW_READ(d.Bytes(&name) && d.Signed(&value));
    state->counters[std::move(name)] = value;
  }
  HW_READ(d.done());
  return absl::OkStatus();
}

std::string EncodeModeratorState(const ModeratorState& state) {
  RecordEncoder e;
  e.Varint(kModeratorVersion);
  e.Signed(state.consecutive);
  e.Time(state.last_activity);
  e.Time(state.last_prune);
  return e.Release();
}

absl::Status DecodeModeratorState(absl::string_view bytes,
                                  ModeratorState* state) {
  constexpr absl::string_view what = "moderator";
  RecordDecoder d(bytes);
  uint64_t version = 0;
  HW_READ(d.Varint(&version) && version == kModeratorVersion);
  HW_READ(d.Signed(&state->consecutive) && d.Time(&state->last_activity) &&
          d.Time(&state->last_prune) && d.done());
  return absl::OkStatus();
}

std::string Sha256(absl::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only when OpenSSL cannot allocate: not an input error.
  HW_CHECK(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(),
                      nullptr) == 1,
           "queue: EVP_Digest(sha256) failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

#undef HW_READ

}  // namespace hashwatch::queue::internal
