#include "bench/eval/capacity.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/eval/csv.h"
#include "bench/eval/io.h"
#include "bench/eval/transforms.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
namespace {

using queue::ItemKind;
using queue::kPriorityClassCount;
using queue::PriorityClass;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kMaxItems = 5'000'000;
constexpr int64_t kUsPerHour = 3'600'000'000LL;
// The simulated week starts on Monday 2024-01-01 00:00 UTC.
const absl::Time kEpoch = absl::FromUnixSeconds(1'704'067'200);
constexpr char kProactive[] = "proactive";
constexpr char kUserReport[] = "user_report";

// Draws from raw 64-bit generator output only, so the sequences are the
// same with every standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double Uniform() {
    return static_cast<double>(g_() >> 11) * 0x1.0p-53;
  }  // [0, 1)
  double Exp(double rate) { return -std::log1p(-Uniform()) / rate; }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Index drawn by the cumulative weights `cdf` (last element = total).
  int Pick(const std::vector<double>& cdf) {
    const double u = Uniform() * cdf.back();
    return static_cast<int>(std::upper_bound(cdf.begin(), cdf.end(), u) -
                            cdf.begin());
  }

 private:
  std::mt19937_64 g_;
};

std::vector<double> Cumulative(const std::vector<double>& w) {
  std::vector<double> c(w.size());
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) c[i] = s += w[i];
  return c;
}

// One Poisson arrival stream into the queue.
struct Stream {
  std::string name;
  std::string lane;
  ItemKind kind = ItemKind::kHashMatch;
  double per_hour = 0;
  double material_share = 0;
  bool classifier = false;  // draws a classifier score in 0.5..1
  bool match = false;       // carries a list match (distance, category)
  std::vector<double> distance_cdf;  // over 0..kMaxThreshold
};

struct Derived {
  Flows flows;
  std::vector<Stream> streams;
};

double FalseRate(const CapacityOptions& o, const SweepRates& r, int t,
                 bool gated) {
  if (o.bank_size > 0) {
    double p = gated ? r.fp_pair_rate_gated[t] : r.fp_pair_rate[t];
    if (r.has_model) p = std::max(p, r.model_pair_rate[t]);
    return -std::expm1(static_cast<double>(o.bank_size) *
                       std::log1p(-std::min(p, 1.0 - 1e-15)));
  }
  return gated ? r.fp_image_rate_gated[t] : r.fp_image_rate[t];
}

// Weights of the distances at which items reach review: above the
// auto-report threshold up to the review threshold, and at or below it
// the pairs the quality gate held back. Uniform over (A, R] if empty.
std::vector<double> ReviewDistanceCdf(
    const std::array<int64_t, kMaxThreshold + 1>* all,
    const std::array<int64_t, kMaxThreshold + 1>* gated, int a, int r) {
  std::vector<double> w(kMaxThreshold + 1, 0.0);
  double total = 0;
  if (all != nullptr) {
    for (int d = 0; d <= r; ++d) {
      const int64_t inc = (*all)[d] - (d > 0 ? (*all)[d - 1] : 0);
      const int64_t inc_gated = (*gated)[d] - (d > 0 ? (*gated)[d - 1] : 0);
      w[d] = static_cast<double>(d > a ? inc : inc - inc_gated);
      total += w[d];
    }
  }
  if (total <= 0) {
    std::fill(w.begin(), w.end(), 0.0);
    if (a >= r) {
      w[r] = 1;
    } else {
      for (int d = a + 1; d <= r; ++d) w[d] = 1;
    }
  }
  return Cumulative(w);
}

Derived Derive(const CapacityOptions& o, const SweepRates* r, double hours) {
  Derived out;
  Flows& f = out.flows;
  const int a = o.auto_threshold, rv = o.review_threshold;
  double review_material = 0, review_benign = 0;
  if (r != nullptr) {
    f.from_sweep = true;
    const double known = o.uploads_per_hour * o.known_prevalence;
    const double benign = o.uploads_per_hour - known;
    review_material = known * std::max(0.0, r->tpr[rv] - r->tpr_gated[a]);
    review_benign = benign * std::max(0.0, FalseRate(o, *r, rv, false) -
                                               FalseRate(o, *r, a, true));
    f.uploads = o.uploads_per_hour * hours;
    f.known_uploads = known * hours;
    f.auto_reported_material = known * r->tpr_gated[a] * hours;
    f.false_auto_reports = benign * FalseRate(o, *r, a, true) * hours;
    f.missed_by_thresholds = known * (1 - r->tpr[rv]) * hours;
  } else {
    review_material = o.match_review_per_hour * o.match_material_share;
    review_benign = o.match_review_per_hour * (1 - o.match_material_share);
    f.auto_reported_material = f.false_auto_reports = f.missed_by_thresholds =
        kNaN;
    f.uploads = f.known_uploads = kNaN;
  }
  f.review_material = review_material * hours;
  f.review_benign = review_benign * hours;
  f.novel = o.novel_per_hour * hours;
  f.user_reports = o.user_reports_per_hour * hours;

  Stream material{"match_material",
                  kProactive,
                  ItemKind::kHashMatch,
                  review_material,
                  1.0,
                  false,
                  true,
                  {}};
  Stream benign{"match_benign", kProactive, ItemKind::kHashMatch,
                review_benign,  0.0,        false,
                true,           {}};
  material.distance_cdf = ReviewDistanceCdf(r ? &r->tp : nullptr,
                                            r ? &r->tp_gated : nullptr, a, rv);
  benign.distance_cdf = ReviewDistanceCdf(
      r ? &r->fp_pairs : nullptr, r ? &r->fp_pairs_gated : nullptr, a, rv);
  out.streams.push_back(std::move(material));
  out.streams.push_back(std::move(benign));
  out.streams.push_back({"novel",
                         kProactive,
                         ItemKind::kNovel,
                         o.novel_per_hour,
                         o.novel_material_share,
                         true,
                         false,
                         {}});
  out.streams.push_back({"user_report",
                         kUserReport,
                         ItemKind::kNovel,
                         o.user_reports_per_hour,
                         o.novel_material_share,
                         false,
                         false,
                         {}});
  return out;
}

// Nearest-rank percentile of sorted `v`.
double Percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return kNaN;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

struct WaitAccumulator {
  std::vector<double> minutes;
  int64_t served = 0;
  int64_t waiting_end = 0;
  int64_t breaches = 0;

  void Served(double m, bool breach) {
    minutes.push_back(m);
    ++served;
    breaches += breach;
  }
  void Waiting(double m, bool breach) {
    minutes.push_back(m);
    ++waiting_end;
    breaches += breach;
  }
  WaitStats Finish(double sla_minutes) {
    WaitStats s;
    std::sort(minutes.begin(), minutes.end());
    s.arrivals = static_cast<int64_t>(minutes.size());
    s.served = served;
    s.waiting_end = waiting_end;
    double sum = 0;
    for (double m : minutes) sum += m;
    s.mean_minutes = minutes.empty() ? kNaN : sum / minutes.size();
    s.p50_minutes = Percentile(minutes, 50);
    s.p90_minutes = Percentile(minutes, 90);
    s.p95_minutes = Percentile(minutes, 95);
    s.p99_minutes = Percentile(minutes, 99);
    s.max_minutes = minutes.empty() ? kNaN : minutes.back();
    s.sla_minutes = sla_minutes;
    s.breaches = breaches;
    s.breach_fraction =
        minutes.empty() ? kNaN : static_cast<double>(breaches) / minutes.size();
    s.lower_bound = waiting_end > 0;
    return s;
  }
};

class Simulation {
 public:
  Simulation(const CapacityOptions& o, std::vector<Stream> streams,
             queue::ReviewQueue* q, FakeClock* clock)
      : o_(o),
        streams_(std::move(streams)),
        q_(q),
        clock_(clock),
        horizon_(static_cast<int64_t>(std::llround(o.days * 24 * kUsPerHour))),
        decide_rng_(StableHash("decisions", o.seed)) {
    for (size_t i = 0; i < o_.lanes.size(); ++i)
      lane_index_[o_.lanes[i].name] = i;
    escalation_lane_ =
        static_cast<int>(lane_index_.at(queue::QueueOptions{}.escalation_lane));
  }

  absl::StatusOr<CapacityResult> Run(Flows flows);

 private:
  enum class Type {
    kShiftEnd = 0,
    kComplete = 1,
    kBreakEnd = 2,
    kShiftStart = 3,
    kArrival = 4,
    kSample = 5
  };
  struct Event {
    int64_t t;
    int64_t seq;
    Type type;
    int who;
    bool operator>(const Event& e) const {
      return t != e.t ? t > e.t : seq > e.seq;
    }
  };
  enum class State { kOff, kIdle, kBusy, kBreak };
  struct Moderator {
    std::string id;
    std::vector<std::pair<int64_t, int64_t>> windows;  // [start, end), merged
    State state = State::kOff;
    queue::LeaseRef lease;
    uint64_t item = 0;
    Rng rng{0};
  };
  struct ItemInfo {
    int64_t enqueued = 0;
    int cls = 0;
    int lane = 0;
    bool material = false;
    std::string category;
    absl::Time deadline;
    bool leased = false;
    bool escalated = false;
    int64_t escalated_at = 0;
    absl::Time escalation_deadline;
    int escalation_cls = 0;
    bool escalation_leased = false;
  };

  void Push(int64_t t, Type type, int who) {
    if (t <= horizon_) events_.push({t, seq_++, type, who});
  }
  // `now` plus `hours`, at least 1 us later; past the horizon (never
  // pushed) when it would overflow (a stream of 1e-27 items per hour).
  int64_t After(int64_t now, double hours) const {
    const double us = hours * kUsPerHour;
    if (!(us < static_cast<double>(horizon_ - now))) return horizon_ + 1;
    return now + std::max<int64_t>(1, std::llround(us));
  }
  bool OnShift(const Moderator& m, int64_t t) const {
    for (const auto& [s, e] : m.windows) {
      if (s <= t && t < e) return true;
    }
    return false;
  }
  absl::Time At(int64_t t) const { return kEpoch + absl::Microseconds(t); }
  double Minutes(int64_t us) const { return static_cast<double>(us) / 60e6; }

  absl::Status Arrive(int s, int64_t now);
  absl::Status TryLease(int m, int64_t now);
  absl::Status Complete(int m, int64_t now);
  absl::Status Sample(int64_t now);

  const CapacityOptions& o_;
  std::vector<Stream> streams_;
  std::vector<Rng> stream_rngs_;
  std::vector<int64_t> stream_counts_;
  queue::ReviewQueue* q_;
  FakeClock* clock_;
  int64_t horizon_;
  Rng decide_rng_;
  std::map<std::string, size_t> lane_index_;
  int escalation_lane_ = 0;
  std::vector<Moderator> mods_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  int64_t seq_ = 0;
  absl::flat_hash_map<uint64_t, ItemInfo> items_;
  // Items waiting in a lane now (never leased, or escalated and not yet
  // leased again), for the backlog samples. The queue's own Stats() would
  // give the same counts, but its cost grows with every decision ever
  // recorded (its decisions index is scanned from the start), which a
  // simulated month of hourly samples cannot afford.
  absl::flat_hash_set<uint64_t> waiting_;
  std::array<WaitAccumulator, kPriorityClassCount> class_waits_;
  std::vector<WaitAccumulator> lane_waits_;
  std::vector<BacklogSample> backlog_;
  int64_t busy_us_ = 0;
  int64_t decided_ = 0, escalated_ = 0, refusals_ = 0;
};

absl::Status Simulation::Arrive(int s, int64_t now) {
  Stream& st = streams_[s];
  Rng& rng = stream_rngs_[s];
  queue::EnqueueRequest req;
  req.content_id = absl::StrCat(st.name, "-", stream_counts_[s]++);
  req.lane = st.lane;
  req.kind = st.kind;
  const bool material = rng.Bernoulli(st.material_share);
  if (st.match) {
    std::vector<double> weights;
    for (const auto& [c, w] : o_.severity) weights.push_back(w);
    auto it = o_.severity.begin();
    std::advance(it, rng.Pick(Cumulative(weights)));
    req.category = it->first;
    const int d = std::min(kMaxThreshold, rng.Pick(st.distance_cdf));
    req.matches.push_back({.bank = "sim",
                           .entry_id = 0,
                           .signal = "pdq",
                           .hash = "",
                           .distance = d,
                           .category = req.category,
                           .source = "",
                           .auto_report_distance = o_.auto_threshold,
                           .review_distance = o_.review_threshold});
  }
  for (const auto& [signal, p] : o_.signals) {
    if (rng.Bernoulli(p)) req.context.signals.push_back(signal);
  }
  if (st.classifier) req.context.classifier_score = 0.5 + 0.5 * rng.Uniform();
  clock_->Set(At(now));
  HW_ASSIGN_OR_RETURN(queue::EnqueueResult res, q_->Enqueue(req));
  HW_ASSIGN_OR_RETURN(queue::ReviewItem item, q_->GetItem(res.item_id));
  ItemInfo& info = items_[res.item_id];
  info.enqueued = now;
  info.cls = static_cast<int>(item.priority_class);
  info.lane = static_cast<int>(lane_index_.at(item.lane));
  info.material = material;
  info.category = item.category;
  info.deadline = item.sla_deadline;
  waiting_.insert(res.item_id);
  Push(After(now, rng.Exp(st.per_hour)), Type::kArrival, s);
  for (size_t m = 0; m < mods_.size(); ++m) {
    if (mods_[m].state != State::kIdle) continue;
    HW_RETURN_IF_ERROR(TryLease(static_cast<int>(m), now));
    if (mods_[m].state == State::kBusy) break;
  }
  return absl::OkStatus();
}

absl::Status Simulation::TryLease(int m, int64_t now) {
  Moderator& mod = mods_[m];
  if (!OnShift(mod, now)) {
    mod.state = State::kOff;
    return absl::OkStatus();
  }
  clock_->Set(At(now));
  absl::StatusOr<std::vector<queue::LeasedItem>> leased = q_->Lease(mod.id, 1);
  if (leased.status().code() == absl::StatusCode::kResourceExhausted) {
    HW_ASSIGN_OR_RETURN(queue::WelfareStatus w, q_->Welfare(mod.id));
    ++refusals_;
    mod.state = State::kBreak;
    const int64_t until = absl::ToInt64Microseconds(w.break_until - kEpoch);
    Push(std::max(now + 1, until), Type::kBreakEnd, m);
    return absl::OkStatus();
  }
  HW_RETURN_IF_ERROR(leased.status());
  if (leased->empty()) {
    mod.state = State::kIdle;
    return absl::OkStatus();
  }
  const queue::LeasedItem& li = leased->front();
  ItemInfo& info = items_.at(li.item.id);
  waiting_.erase(li.item.id);
  if (!info.leased) {
    info.leased = true;
    const double wait = Minutes(now - info.enqueued);
    class_waits_[info.cls].Served(wait, li.overdue);
    lane_waits_[info.lane].Served(wait, li.overdue);
  } else if (info.escalated && !info.escalation_leased) {
    info.escalation_leased = true;
    lane_waits_[escalation_lane_].Served(Minutes(now - info.escalated_at),
                                         li.overdue);
  }
  mod.state = State::kBusy;
  mod.lease = li.lease;
  mod.item = li.item.id;
  const int64_t done = After(now, mod.rng.Exp(o_.items_per_hour));
  busy_us_ += std::min(done, horizon_) - now;
  Push(done, Type::kComplete, m);
  return absl::OkStatus();
}

absl::Status Simulation::Complete(int m, int64_t now) {
  Moderator& mod = mods_[m];
  ItemInfo& info = items_.at(mod.item);
  queue::DecisionRequest req;
  const bool escalate = info.lane != escalation_lane_ && !info.escalated &&
                        decide_rng_.Bernoulli(o_.escalate_fraction);
  if (escalate) {
    req.kind = queue::DecisionKind::kEscalate;
  } else if (info.material) {
    req.kind = queue::DecisionKind::kConfirm;
    req.category = info.category.empty() ? "unclassified" : info.category;
  } else {
    req.kind = queue::DecisionKind::kReject;
  }
  clock_->Set(At(now));
  HW_RETURN_IF_ERROR(q_->Decide(mod.id, mod.lease, req).status());
  if (escalate) {
    HW_ASSIGN_OR_RETURN(queue::ReviewItem item, q_->GetItem(mod.item));
    info.escalated = true;
    info.escalated_at = now;
    info.escalation_deadline = item.sla_deadline;
    info.escalation_cls = static_cast<int>(item.priority_class);
    waiting_.insert(mod.item);
    ++escalated_;
  } else {
    ++decided_;
  }
  mod.state = State::kIdle;
  return TryLease(m, now);
}

absl::Status Simulation::Sample(int64_t now) {
  BacklogSample s;
  s.hour = static_cast<double>(now) / kUsPerHour;
  const absl::Time t = At(now);
  for (uint64_t id : waiting_) {
    const ItemInfo& info = items_.at(id);
    const bool again = info.escalated;
    ++s.waiting[again ? info.escalation_cls : info.cls];
    // The queue's rule: overdue once the deadline is reached.
    s.overdue += (again ? info.escalation_deadline : info.deadline) <= t;
  }
  for (const Moderator& m : mods_) {
    s.on_shift += OnShift(m, now);
    s.busy += m.state == State::kBusy;
  }
  backlog_.push_back(s);
  return absl::OkStatus();
}

absl::StatusOr<CapacityResult> Simulation::Run(Flows flows) {
  // Moderators and their shift windows, merged where they touch (24-hour
  // shifts on consecutive days are one window).
  const int days = static_cast<int>(std::ceil(o_.days));
  for (size_t s = 0; s < o_.shifts.size(); ++s) {
    const ShiftSpec& shift = o_.shifts[s];
    std::vector<std::pair<int64_t, int64_t>> windows;
    // From the Sunday before: a night shift that began then is still on
    // at the start (Monday 00:00).
    for (int d = -1; d < days; ++d) {
      if ((d % 7 + 7) % 7 >= o_.days_per_week) continue;
      int64_t start = std::llround((d * 24 + shift.start_hour) * kUsPerHour);
      const int64_t end = start + std::llround(shift.hours * kUsPerHour);
      start = std::max<int64_t>(start, 0);
      if (start >= horizon_ || end <= start) continue;
      if (!windows.empty() && windows.back().second >= start) {
        windows.back().second = std::max(windows.back().second, end);
      } else {
        windows.push_back({start, end});
      }
    }
    for (int k = 0; k < shift.moderators; ++k) {
      Moderator m;
      m.id = absl::StrCat("shift", s, "-mod", k);
      m.windows = windows;
      m.rng = Rng(StableHash(m.id, o_.seed));
      mods_.push_back(std::move(m));
    }
  }
  for (size_t m = 0; m < mods_.size(); ++m) {
    for (const auto& [s, e] : mods_[m].windows) {
      Push(s, Type::kShiftStart, static_cast<int>(m));
      Push(std::min(e, horizon_), Type::kShiftEnd, static_cast<int>(m));
      flows.moderator_hours +=
          static_cast<double>(std::min(e, horizon_) - s) / kUsPerHour;
    }
  }
  lane_waits_.resize(o_.lanes.size());
  for (size_t s = 0; s < streams_.size(); ++s) {
    stream_rngs_.emplace_back(StableHash(streams_[s].name, o_.seed));
    stream_counts_.push_back(0);
    if (streams_[s].per_hour > 0) {
      Push(After(0, stream_rngs_[s].Exp(streams_[s].per_hour)), Type::kArrival,
           static_cast<int>(s));
    }
  }
  const int64_t sample_step =
      std::max<int64_t>(1, std::llround(o_.sample_hours * kUsPerHour));
  for (int64_t t = 0; t < horizon_; t += sample_step) Push(t, Type::kSample, 0);

  while (!events_.empty()) {
    const Event e = events_.top();
    events_.pop();
    if (e.t >= horizon_) break;
    Moderator* mod = e.type == Type::kArrival || e.type == Type::kSample
                         ? nullptr
                         : &mods_[e.who];
    switch (e.type) {
      case Type::kArrival:
        HW_RETURN_IF_ERROR(Arrive(e.who, e.t));
        break;
      case Type::kShiftStart:
        if (mod->state == State::kOff) HW_RETURN_IF_ERROR(TryLease(e.who, e.t));
        break;
      case Type::kShiftEnd:
        if (mod->state == State::kIdle) mod->state = State::kOff;
        break;
      case Type::kBreakEnd:
        if (mod->state == State::kBreak)
          HW_RETURN_IF_ERROR(TryLease(e.who, e.t));
        break;
      case Type::kComplete:
        HW_RETURN_IF_ERROR(Complete(e.who, e.t));
        break;
      case Type::kSample:
        HW_RETURN_IF_ERROR(Sample(e.t));
        break;
    }
  }
  HW_RETURN_IF_ERROR(Sample(horizon_));

  // Items never leased: their age at the end, breached if overdue by then.
  const absl::Time end = At(horizon_);
  std::vector<uint64_t> ids;
  for (const auto& [id, info] : items_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // hash-map order is not stable
  for (uint64_t id : ids) {
    const ItemInfo& info = items_.at(id);
    if (!info.leased) {
      const double wait = Minutes(horizon_ - info.enqueued);
      const bool breach = info.deadline <= end;
      class_waits_[info.cls].Waiting(wait, breach);
      lane_waits_[info.lane].Waiting(wait, breach);
      flows.material_unreviewed_end += info.material;
    } else if (info.escalated && !info.escalation_leased) {
      lane_waits_[escalation_lane_].Waiting(
          Minutes(horizon_ - info.escalated_at),
          info.escalation_deadline <= end);
    }
  }
  CapacityResult result;
  result.hours = static_cast<double>(horizon_) / kUsPerHour;
  WaitAccumulator all;
  for (int c = 0; c < kPriorityClassCount; ++c) {
    // SLAs are per lane; the class column shows the proactive lane's.
    const auto& sla = o_.lanes[lane_index_.at(kProactive)].sla[c];
    for (double m : class_waits_[c].minutes) all.minutes.push_back(m);
    all.served += class_waits_[c].served;
    all.waiting_end += class_waits_[c].waiting_end;
    all.breaches += class_waits_[c].breaches;
    result.by_class[c] = class_waits_[c].Finish(absl::ToDoubleMinutes(sla));
  }
  result.all = all.Finish(kNaN);
  for (size_t l = 0; l < o_.lanes.size(); ++l) {
    result.by_lane.push_back({o_.lanes[l].name, lane_waits_[l].Finish(kNaN)});
  }
  result.backlog = std::move(backlog_);
  flows.decided = decided_;
  flows.escalated = escalated_;
  flows.welfare_refusals = refusals_;
  flows.utilization =
      flows.moderator_hours > 0
          ? static_cast<double>(busy_us_) / kUsPerHour / flows.moderator_hours
          : kNaN;
  result.flows = flows;
  return result;
}

absl::Status CheckShare(absl::string_view name, double v) {
  if (!(v >= 0 && v <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: ", name, " is ", v, ", want a share in 0..1"));
  }
  return absl::OkStatus();
}

absl::Status CheckRate(absl::string_view name, double v) {
  if (!(v >= 0) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: ", name, " is ", v, ", want a finite value >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SweepRates> ParseSweepRates(absl::string_view csv,
                                           absl::string_view mode) {
  if (mode != "plain" && mode != "dihedral") {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: sweep mode '", mode, "', want plain or dihedral"));
  }
  HW_ASSIGN_OR_RETURN(auto records, ParseCsv(csv));
  const std::vector<std::string> header = {"mode",
                                           "level",
                                           "group",
                                           "threshold",
                                           "queries",
                                           "positives",
                                           "tp",
                                           "tpr",
                                           "tp_gated",
                                           "tpr_gated",
                                           "fp_pairs",
                                           "fp_pairs_gated",
                                           "fp_images",
                                           "fp_images_gated",
                                           "nonmatch_pairs",
                                           "precision"};
  if (records.empty() || records[0] != header) {
    return absl::InvalidArgumentError(
        "capacity: sweep.csv: line 1 is not the header `hashwatch-bench sweep` "
        "writes");
  }
  SweepRates r;
  r.mode = std::string(mode);
  std::array<bool, kMaxThreshold + 1> have_all{}, have_distractors{};
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& f = records[i];
    if (f.size() == 1 && f[0].empty()) continue;
    if (f.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("capacity: sweep.csv: line ", i + 1, ": ", f.size(),
                       " fields, want ", header.size()));
    }
    if (f[0] != mode || (f[1] != "all" && f[1] != "distractors")) continue;
    int t = 0;
    int64_t v[9];
    bool ok = absl::SimpleAtoi(f[3], &t) && t >= 0 && t <= kMaxThreshold;
    const int cols[9] = {4, 5, 6, 8, 10, 11, 12, 13, 14};
    for (int k = 0; k < 9 && ok; ++k)
      ok = absl::SimpleAtoi(f[cols[k]], &v[k]) && v[k] >= 0;
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("capacity: sweep.csv: line ", i + 1, ": bad number"));
    }
    const int64_t queries = v[0], positives = v[1], tp = v[2], tp_gated = v[3],
                  fp_pairs = v[4], fp_pairs_gated = v[5], fp_images = v[6],
                  fp_images_gated = v[7], nonmatch = v[8];
    auto ratio = [](int64_t a, int64_t b) {
      return b > 0 ? static_cast<double>(a) / b : 0.0;
    };
    if (f[1] == "all") {
      have_all[t] = true;
      r.positives = positives;
      r.nonmatch_pairs = nonmatch;
      r.tp[t] = tp;
      r.tp_gated[t] = tp_gated;
      r.fp_pairs[t] = fp_pairs;
      r.fp_pairs_gated[t] = fp_pairs_gated;
      r.tpr[t] = ratio(tp, positives);
      r.tpr_gated[t] = ratio(tp_gated, positives);
      r.fp_pair_rate[t] = ratio(fp_pairs, nonmatch);
      r.fp_pair_rate_gated[t] = ratio(fp_pairs_gated, nonmatch);
    } else {
      have_distractors[t] = true;
      r.distractors = queries;
      r.bank_entries = queries > 0 ? nonmatch / queries : 0;
      r.fp_image_rate[t] = ratio(fp_images, queries);
      r.fp_image_rate_gated[t] = ratio(fp_images_gated, queries);
    }
  }
  for (int t = 0; t <= kMaxThreshold; ++t) {
    if (!have_all[t] || !have_distractors[t]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capacity: sweep.csv has no ", mode, " rows for threshold ", t,
          " (levels all and distractors)"));
    }
  }
  if (r.positives == 0 || r.distractors == 0) {
    return absl::InvalidArgumentError(
        "capacity: sweep.csv has no copies or no distractors to derive rates "
        "from");
  }
  return r;
}

absl::Status FitDistanceModel(absl::string_view csv, absl::string_view mode,
                              SweepRates* rates) {
  HW_ASSIGN_OR_RETURN(auto records, ParseCsv(csv));
  const std::vector<std::string> header = {"mode", "distance", "same_pairs",
                                           "different_pairs"};
  if (records.empty() || records[0] != header) {
    return absl::InvalidArgumentError(
        "distances.csv: line 1 is not the header the sweep writes");
  }
  std::array<int64_t, 257> hist{};
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& f = records[i];
    if (f.size() == 1 && f[0].empty()) continue;
    int d = 0;
    int64_t same = 0, different = 0;
    if (f.size() != 4 || !absl::SimpleAtoi(f[1], &d) || d < 0 || d > 256 ||
        !absl::SimpleAtoi(f[2], &same) || !absl::SimpleAtoi(f[3], &different) ||
        different < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("distances.csv: line ", i + 1,
                       ": want mode,distance,same,different"));
    }
    if (f[0] == mode) hist[d] += different;
  }
  double n = 0, sum = 0, sum2 = 0;
  for (int d = 0; d <= 256; ++d) {
    n += hist[d];
    sum += static_cast<double>(hist[d]) * d;
  }
  if (n < 30) {
    return absl::FailedPreconditionError(
        absl::StrCat("distances.csv: ", n, " pairs of different pictures in ",
                     mode, " mode; want >= 30"));
  }
  const double mean = sum / n;
  for (int d = 0; d <= 256; ++d) sum2 += hist[d] * (d - mean) * (d - mean);
  const double sd = std::sqrt(sum2 / std::max(1.0, n - 1));
  const double p = std::clamp(mean / 256, 1e-6, 1 - 1e-6);
  const double sigma = std::max(sd, 0.5) / 256;
  const double dof = std::clamp(p * (1 - p) / (sigma * sigma), 1.0, 256.0);
  const int trials = std::max(1, static_cast<int>(std::lround(dof)));
  rates->has_model = true;
  rates->impostor_mean = mean;
  rates->impostor_sd = sd;
  rates->impostor_dof = dof;
  rates->impostor_pairs = static_cast<int64_t>(n);
  for (int t = 0; t <= kMaxThreshold; ++t) {
    const int k = static_cast<int>(std::floor(t * trials / 256.0 + 1e-9));
    // log-sum-exp of the binomial terms 0..k.
    double best = -std::numeric_limits<double>::infinity();
    std::vector<double> terms;
    for (int i = 0; i <= k; ++i) {
      const double lt = std::lgamma(trials + 1.0) - std::lgamma(i + 1.0) -
                        std::lgamma(trials - i + 1.0) + i * std::log(p) +
                        (trials - i) * std::log1p(-p);
      terms.push_back(lt);
      best = std::max(best, lt);
    }
    double acc = 0;
    for (double lt : terms) acc += std::exp(lt - best);
    rates->model_pair_rate[t] = std::min(1.0, std::exp(best) * acc);
  }
  return absl::OkStatus();
}

absl::StatusOr<SweepRates> ReadSweepRates(const std::string& path,
                                          absl::string_view mode) {
  HW_ASSIGN_OR_RETURN(std::string csv, ReadWholeFile(path));
  absl::StatusOr<SweepRates> r = ParseSweepRates(csv, mode);
  if (!r.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", r.status().message()));
  const std::string distances =
      (std::filesystem::path(path).parent_path() / "distances.csv").string();
  absl::StatusOr<std::string> dcsv = ReadWholeFile(distances);
  if (dcsv.status().code() == absl::StatusCode::kNotFound)
    return r;  // no model
  if (!dcsv.ok()) return dcsv.status();
  absl::Status fit = FitDistanceModel(*dcsv, mode, &*r);
  if (fit.code() == absl::StatusCode::kFailedPrecondition)
    return r;  // too little data: no model
  if (!fit.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(distances, ": ", fit.message()));
  return r;
}

absl::Status ValidateCapacityOptions(const CapacityOptions& o,
                                     bool have_sweep) {
  HW_RETURN_IF_ERROR(CheckRate("uploads per hour", o.uploads_per_hour));
  HW_RETURN_IF_ERROR(CheckShare("known prevalence", o.known_prevalence));
  if (o.bank_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: bank size is ", o.bank_size, ", want >= 0"));
  }
  HW_RETURN_IF_ERROR(
      CheckRate("match reviews per hour", o.match_review_per_hour));
  HW_RETURN_IF_ERROR(
      CheckShare("match material share", o.match_material_share));
  HW_RETURN_IF_ERROR(CheckRate("novel items per hour", o.novel_per_hour));
  HW_RETURN_IF_ERROR(
      CheckRate("user reports per hour", o.user_reports_per_hour));
  HW_RETURN_IF_ERROR(
      CheckShare("novel material share", o.novel_material_share));
  HW_RETURN_IF_ERROR(CheckShare("escalate fraction", o.escalate_fraction));
  double severity_total = 0;
  for (const auto& [c, w] : o.severity) {
    if (!(w >= 0) || !std::isfinite(w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capacity: severity weight of '", c, "' is ", w, ", want >= 0"));
    }
    severity_total += w;
  }
  if (!(severity_total > 0)) {
    return absl::InvalidArgumentError(
        "capacity: the severity mix has no positive weight");
  }
  for (const auto& [s, p] : o.signals) {
    HW_RETURN_IF_ERROR(
        CheckShare(absl::StrCat("probability of signal '", s, "'"), p));
    if (!o.priority.signal_weights.contains(s)) {
      std::string known;
      for (const auto& [name, w] : o.priority.signal_weights) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", name);
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "capacity: signal '", s,
          "' has no weight in the priority policy (known: ", known, ")"));
    }
  }
  for (const char* name : {"auto", "review"}) {
    const int t = name[0] == 'a' ? o.auto_threshold : o.review_threshold;
    if (t < 0 || t > kMaxThreshold) {
      return absl::InvalidArgumentError(
          absl::StrCat("capacity: ", name, " threshold is ", t, ", want 0..",
                       kMaxThreshold));
    }
  }
  if (o.auto_threshold > o.review_threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: auto threshold ", o.auto_threshold,
                     " is above the review threshold ", o.review_threshold));
  }
  int moderators = 0;
  for (size_t i = 0; i < o.shifts.size(); ++i) {
    const ShiftSpec& s = o.shifts[i];
    if (!(s.start_hour >= 0 && s.start_hour < 24) ||
        !(s.hours > 0 && s.hours <= 24) || s.moderators < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "capacity: shift ", i + 1, " (start ", s.start_hour, "h, ", s.hours,
          "h, ", s.moderators,
          " moderators) is impossible: want start in 0..24, hours in (0, 24], "
          "moderators >= 0"));
    }
    moderators += s.moderators;
  }
  if (o.days_per_week < 1 || o.days_per_week > 7) {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: days per week is ", o.days_per_week, ", want 1..7"));
  }
  if (!(o.items_per_hour > 0) || !std::isfinite(o.items_per_hour)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: items per hour is ", o.items_per_hour,
                     ", want > 0 per moderator"));
  }
  if (!(o.days > 0 && o.days <= 366)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: days is ", o.days, ", want 0 < days <= 366"));
  }
  if (!(o.sample_hours > 0) || o.days * 24 / o.sample_hours > 100'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: sample interval ", o.sample_hours,
                     " h, want > 0 and at most 100000 samples"));
  }
  const double review_rate =
      have_sweep ? o.uploads_per_hour  // an upper bound; the real rate is a
                                       // small share
                 : o.match_review_per_hour;
  const double arrivals_per_hour = (have_sweep ? 0 : review_rate) +
                                   o.novel_per_hour + o.user_reports_per_hour;
  if (moderators == 0 &&
      (arrivals_per_hour > 0 || (have_sweep && o.uploads_per_hour > 0))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: no moderators on any shift, but items arrive (",
        have_sweep ? "uploads, " : "", Fixed(arrivals_per_hour, 2),
        " review items per hour given); nothing would ever be reviewed"));
  }
  if (arrivals_per_hour * o.days * 24 > kMaxItems) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "capacity: about ", std::llround(arrivals_per_hour * o.days * 24),
        " items in ", o.days, " days; the simulation handles at most ",
        kMaxItems));
  }
  bool proactive = false, user_report = false, escalation = false;
  for (const queue::LaneOptions& l : o.lanes) {
    proactive |= l.name == kProactive;
    user_report |= l.name == kUserReport;
    escalation |= l.name == queue::QueueOptions{}.escalation_lane;
  }
  if (!proactive || !user_report || !escalation) {
    return absl::InvalidArgumentError(
        "capacity: the lanes must include proactive, user_report and "
        "escalation");
  }
  if (!(o.max_breach_fraction >= 0 && o.max_breach_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: max breach fraction is ", o.max_breach_fraction,
                     ", want 0..1"));
  }
  HW_RETURN_IF_ERROR(
      CheckRate("max false auto-reports per week", o.max_false_auto_per_week));
  if (o.max_auto_threshold < 0 || o.max_auto_threshold > kMaxThreshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("capacity: max auto threshold is ", o.max_auto_threshold,
                     ", want 0..64"));
  }
  if (o.auto_margin < 0 || o.auto_margin > kMaxThreshold) {
    return absl::InvalidArgumentError(absl::StrCat(
        "capacity: auto margin is ", o.auto_margin, ", want 0..64"));
  }
  return queue::ValidatePriorityPolicy(o.priority);
}

absl::StatusOr<CapacityResult> SimulateCapacity(const CapacityOptions& options,
                                                const SweepRates* rates) {
  HW_RETURN_IF_ERROR(ValidateCapacityOptions(options, rates != nullptr));
  Derived derived = Derive(options, rates, options.days * 24);
  double per_hour = 0;
  for (const Stream& s : derived.streams) per_hour += s.per_hour;
  if (per_hour * options.days * 24 > kMaxItems) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "capacity: about ", std::llround(per_hour * options.days * 24),
        " review items in the horizon; the simulation handles at most ",
        kMaxItems, " (lower the upload rate or the days)"));
  }
  derived.flows.offered_hours =
      per_hour * options.days * 24 / options.items_per_hour;
  HW_ASSIGN_OR_RETURN(auto dir, ScratchDir::Create("hashwatch-capacity"));
  FakeClock clock(kEpoch);
  queue::QueueOptions qo;
  qo.path = dir->path() + "/queue";
  qo.sync_writes = false;  // a throwaway database; durability is not measured
  qo.lanes = options.lanes;
  qo.priority = options.priority;
  qo.welfare = options.welfare;
  // Moderators extend their leases while they work: none may expire.
  qo.lease_duration = absl::Hours(options.days * 24 + 48);
  HW_ASSIGN_OR_RETURN(std::unique_ptr<queue::ReviewQueue> q,
                      queue::ReviewQueue::Open(qo, &clock));
  Simulation sim(options, std::move(derived.streams), q.get(), &clock);
  return sim.Run(derived.flows);
}

absl::StatusOr<SearchResult> SearchThresholds(const CapacityOptions& options,
                                              const SweepRates& rates) {
  HW_RETURN_IF_ERROR(ValidateCapacityOptions(options, true));
  SearchResult out;
  const double week = 7 * 24;
  const double benign =
      options.uploads_per_hour * (1 - options.known_prevalence);
  const double known = options.uploads_per_hour * options.known_prevalence;
  if (!options.search_auto) {
    out.auto_threshold = options.auto_threshold;
    out.auto_reason = absl::StrCat("kept at ", options.auto_threshold,
                                   " (auto-reporting is a safety decision, not "
                                   "a capacity one; --search-auto lets the "
                                   "sweep's false-match evidence choose it)");
  } else {
    // The closest quality-passing false match the sweep saw.
    int first_false = kMaxThreshold + 1;
    for (int t = 0; t <= kMaxThreshold; ++t) {
      if (rates.fp_pairs_gated[t] > 0) {
        first_false = t;
        break;
      }
    }
    int a =
        std::min(options.max_auto_threshold, first_false - options.auto_margin);
    while (a > 0 && benign * FalseRate(options, rates, a, true) * week >
                        options.max_false_auto_per_week) {
      --a;
    }
    a = std::max(0, a);
    out.auto_threshold = a;
    out.auto_reason = absl::StrCat(
        first_false <= kMaxThreshold
            ? absl::StrCat("the closest false match passing the quality gate "
                           "was at distance ",
                           first_false)
            : "the sweep saw no false match passing the quality gate within 64",
        "; margin ", options.auto_margin, " bits, cap ",
        options.max_auto_threshold, "; expected false automatic reports ",
        Fixed(benign * FalseRate(options, rates, a, true) * week, 3),
        " per week (budget ", Fixed(options.max_false_auto_per_week, 3), ")");
  }
  auto evaluate = [&](int r) -> absl::StatusOr<SearchPoint> {
    CapacityOptions o = options;
    o.auto_threshold = out.auto_threshold;
    o.review_threshold = r;
    HW_ASSIGN_OR_RETURN(CapacityResult res, SimulateCapacity(o, &rates));
    const WaitStats& target =
        res.by_class[static_cast<int>(options.target_class)];
    SearchPoint p;
    p.auto_threshold = out.auto_threshold;
    p.review_threshold = r;
    p.review_per_hour = (res.flows.review_material + res.flows.review_benign +
                         res.flows.novel + res.flows.user_reports) /
                        res.hours;
    p.target_breach_fraction = target.arrivals > 0 ? target.breach_fraction : 0;
    p.target_p95_minutes = target.p95_minutes;
    p.target_lower_bound = target.lower_bound;
    p.missed_per_week = known * (1 - rates.tpr[r]) * week;
    p.false_auto_per_week = res.flows.false_auto_reports / res.hours * week;
    p.feasible = p.target_breach_fraction <= options.max_breach_fraction;
    return p;
  };
  std::map<int, SearchPoint> points;
  std::vector<int> grid;
  for (int r = out.auto_threshold; r < kMaxThreshold; r += 4) grid.push_back(r);
  grid.push_back(kMaxThreshold);
  int best = -1, next_infeasible = -1;
  for (int r : grid) {
    HW_ASSIGN_OR_RETURN(SearchPoint p, evaluate(r));
    points[r] = p;
    if (next_infeasible < 0) {
      if (p.feasible) {
        best = r;
      } else {
        next_infeasible = r;
      }
    }
  }
  // Refine between the last feasible grid point and the first infeasible.
  if (best >= 0 && next_infeasible > best + 1) {
    for (int r = best + 1; r < next_infeasible; ++r) {
      HW_ASSIGN_OR_RETURN(SearchPoint p, evaluate(r));
      points[r] = p;
      if (!p.feasible) break;
      best = r;
    }
  }
  for (const auto& [r, p] : points) {
    if (r == best) out.best = static_cast<int>(out.points.size());
    out.points.push_back(p);
  }
  return out;
}

}  // namespace hashwatch::bench
