// The moderator-capacity planner: a discrete-event simulation of the review
// queue over a simulated week (or any number of days), driven by the real
// queue library, and a search for the thresholds a team can afford.
//
//   CapacityOptions options;
//   options.shifts = {{.start_hour = 9, .hours = 8, .moderators = 4}};
//   HW_ASSIGN_OR_RETURN(SweepRates rates, ReadSweepRates("out/sweep.csv",
//   false)); HW_ASSIGN_OR_RETURN(CapacityResult r, SimulateCapacity(options,
//   &rates));
//
// The engine is queue::ReviewQueue itself, on a temporary RocksDB directory
// (sync off), with a FakeClock that the simulation moves from event to
// event. So the priority formula, the priority classes and SLAs, the lane
// shares (stride scheduling), the overdue-first rule and the welfare
// exposure limits are exactly the production code's, not a copy; the
// simulator only decides when items arrive and how long a moderator takes.
// A week of a few thousand items runs in about a second on this project's
// 2-core machine (each item costs one Enqueue, one Lease and one Decide).
//
// The model:
//  - Arrivals are Poisson streams: list matches that go to review (true
//    material and false matches, in the proactive lane), classifier-flagged
//    novel items (proactive) and user reports (user_report lane). With a
//    sweep (ReadSweepRates) the match streams follow from the upload rate,
//    the prevalence of known material and the sweep's recall and
//    false-match rates at the two thresholds; without one they are given.
//  - Each item draws a severity category (from the mix; matches only) and
//    each signal independently (grooming, livestream, ...); novel items a
//    classifier score uniform in 0.5..1 (proactive) or none (user reports);
//    matches a distance from the sweep's distance distribution between the
//    thresholds (uniform without a sweep). The queue scores them.
//  - Moderators work shifts; each leases one item at a time, takes an
//    exponentially distributed time (mean 1/items_per_hour), decides
//    (confirm, reject, or escalate with escalate_fraction), and leases the
//    next. An item in hand at the end of a shift is finished. Leases never
//    expire (lease_duration is set beyond the horizon: moderators extend).
//    The queue's welfare limits refuse leases; the moderator then waits for
//    the break time the queue reports.
//  - Waits are measured from enqueue to first lease. Items still waiting at
//    the end count with their age then (so percentiles are lower bounds;
//    flagged), and as breaches when their SLA deadline has passed.
//
// Everything is seeded: the same options and inputs give byte-identical
// CSVs.
//
// Thread-safety: the functions are thread-safe; each simulation is
// single-threaded and owns its queue.
#ifndef HASHWATCH_BENCH_EVAL_CAPACITY_H_
#define HASHWATCH_BENCH_EVAL_CAPACITY_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/eval/metrics.h"
#include "queue/priority.h"
#include "queue/review_queue.h"

namespace hashwatch::bench {

// What a sweep measured, per threshold 0..64, in one matching mode (read
// from sweep.csv's "all" and "distractors" rows).
struct SweepRates {
  std::string mode;                             // "plain" or "dihedral"
  std::array<double, kMaxThreshold + 1> tpr{};  // copies found
  std::array<double, kMaxThreshold + 1>
      tpr_gated{};  // ... with quality >= gate
  // Share of distractors with any match (the sweep's bank), and gated.
  std::array<double, kMaxThreshold + 1> fp_image_rate{};
  std::array<double, kMaxThreshold + 1> fp_image_rate_gated{};
  // False-positive pairs over non-matching pairs (all queries), and gated.
  std::array<double, kMaxThreshold + 1> fp_pair_rate{};
  std::array<double, kMaxThreshold + 1> fp_pair_rate_gated{};
  // Cumulative counts, for the distance distributions.
  std::array<int64_t, kMaxThreshold + 1> tp{}, tp_gated{}, fp_pairs{},
      fp_pairs_gated{};
  int64_t positives = 0;
  int64_t distractors = 0;
  int64_t nonmatch_pairs = 0;
  int64_t bank_entries = 0;

  // A model of the distance between different pictures, fitted to the
  // sweep's distances.csv when it lies beside sweep.csv, to extrapolate
  // the per-pair false-match rate below what a small sweep can observe.
  // Following Daugman's treatment of iris-code impostor scores (J.
  // Daugman, "How iris recognition works", IEEE TCSVT 14(1), 2004), the
  // fractional distance of different pictures is taken as binomial with
  // mean p and an effective number of independent bits
  //   n = p (1 - p) / sigma^2
  // (sigma: the standard deviation of the fractional distance), and
  //   model_pair_rate[t] = P(Binomial(n, p) <= t n / 256).
  // PDQ bits are far from independent (n is about half of 256 or less), and
  // look-alike content (logos, memes, flat pictures) makes the real tail
  // heavier than any such fit: the model is a floor for the rate, not a
  // promise; SimulateCapacity uses the larger of it and the observed rate.
  bool has_model = false;
  double impostor_mean = 0;  // bits
  double impostor_sd = 0;    // bits
  double impostor_dof = 0;   // n
  int64_t impostor_pairs = 0;
  std::array<double, kMaxThreshold + 1> model_pair_rate{};
};

// Parses sweep.csv text for `mode` ("plain" or "dihedral").
// InvalidArgument naming the problem (wrong header, a missing threshold).
absl::StatusOr<SweepRates> ParseSweepRates(absl::string_view csv,
                                           absl::string_view mode);
// Fits the model above to distances.csv text (`mode` rows) into `rates`.
// InvalidArgument for a malformed file; FailedPrecondition for fewer than
// 30 pairs of different pictures (ReadSweepRates then goes without).
absl::Status FitDistanceModel(absl::string_view csv, absl::string_view mode,
                              SweepRates* rates);

// Reads and parses the file, and fits the model when distances.csv is in
// the same folder. Errors as ReadWholeFile, ParseSweepRates and
// FitDistanceModel.
absl::StatusOr<SweepRates> ReadSweepRates(const std::string& path,
                                          absl::string_view mode);

// One shift pattern: `moderators` people working from start_hour for
// `hours` every working day (a shift may run past midnight).
struct ShiftSpec {
  double start_hour = 9;  // 0 <= start < 24
  double hours = 8;       // 0 < hours <= 24
  int moderators = 4;     // >= 0
};

struct CapacityOptions {
  // ---- Load, with a sweep (SimulateCapacity's `rates`).
  double uploads_per_hour = 100'000;  // pictures scanned per hour
  double known_prevalence = 1e-4;  // share of uploads that are banked material
  // Entries of the production bank. 0: use the share of the sweep's
  // distractors that matched (a bank the size of the sweep's); > 0: a
  // benign upload matches with probability 1 - (1 - q)^bank_size, where q
  // is the per-pair false-match rate: the larger of the sweep's observed
  // rate and its distance model's (SweepRates).
  int64_t bank_size = 0;
  // ---- Load, without a sweep.
  double match_review_per_hour = 10;  // list matches that reach review
  double match_material_share = 0.5;  // ... of which are material
  // ---- Load, either way.
  double novel_per_hour = 4;         // classifier-flagged, proactive lane
  double user_reports_per_hour = 2;  // user_report lane
  double novel_material_share =
      0.3;  // share of novel items and reports that are material
  // Severity category mix of list matches (weights, normalised).
  std::map<std::string, double> severity = {{"A", 0.2}, {"B", 0.3}, {"C", 0.5}};
  // Probability of each signal on an item, independently. Names must have a
  // weight in the priority policy.
  std::map<std::string, double> signals = {{"grooming", 0.03},
                                           {"livestream", 0.01},
                                           {"underage_account", 0.05},
                                           {"multiple_victims", 0.02}};
  double escalate_fraction = 0;  // decisions that escalate (0..1)

  // ---- Thresholds (PDQ distance; auto <= review).
  int auto_threshold = 10;
  int review_threshold = 31;

  // ---- Team.
  std::vector<ShiftSpec> shifts = {ShiftSpec{}};
  int days_per_week = 7;          // working days, Monday first (1..7)
  double items_per_hour = 20;     // per moderator, mean rate (> 0)
  queue::WelfareOptions welfare;  // the queue's defaults

  // ---- Queue policy: the queue's defaults (lanes escalation first, then
  // proactive 80 / user_report 20; SLAs 1h/4h/24h/72h).
  std::vector<queue::LaneOptions> lanes = queue::QueueOptions{}.lanes;
  queue::PriorityPolicy priority;

  // ---- Run.
  double days = 7;  // simulated days (> 0, at most 366)
  uint64_t seed = 1;
  double sample_hours = 1;  // backlog sampling interval

  // ---- Threshold search (SearchThresholds).
  queue::PriorityClass target_class = queue::PriorityClass::kCritical;
  double max_breach_fraction = 0.05;   // of the target class's items
  double max_false_auto_per_week = 0;  // expected false automatic reports
  // Also choose the auto-report threshold from the sweep (else it stays
  // auto_threshold): the largest one at most max_auto_threshold, at least
  // auto_margin bits below the closest quality-passing false match the
  // sweep saw, and within max_false_auto_per_week.
  bool search_auto = false;
  int max_auto_threshold = 31;  // PDQ's published match radius
  int auto_margin = 8;
};

// InvalidArgument naming the bad field: negative rates, shares outside
// 0..1, no moderators while items arrive, bad shifts, thresholds, lanes
// or policy. ResourceExhausted when the horizon would hold more than
// 5 million items.
absl::Status ValidateCapacityOptions(const CapacityOptions& options,
                                     bool have_sweep);

struct WaitStats {
  int64_t arrivals = 0;
  int64_t served = 0;       // leased at least once within the horizon
  int64_t waiting_end = 0;  // never leased by the end
  double mean_minutes = 0;  // NaN without arrivals; all waits below likewise
  double p50_minutes = 0;
  double p90_minutes = 0;
  double p95_minutes = 0;
  double p99_minutes = 0;
  double max_minutes = 0;
  double sla_minutes = 0;  // classes only; NaN for lanes and "all"
  int64_t breaches = 0;  // leased after the deadline, or still waiting past it
  double breach_fraction = 0;  // breaches / arrivals
  bool lower_bound = false;    // waiting_end > 0: the waits are lower bounds
};

struct BacklogSample {
  double hour = 0;
  std::array<int64_t, queue::kPriorityClassCount> waiting{};
  int64_t overdue = 0;
  int on_shift = 0;
  int busy = 0;
};

// Expected or counted items over the horizon.
struct Flows {
  bool from_sweep = false;
  double uploads = 0;
  double known_uploads = 0;
  double auto_reported_material = 0;  // expected
  double false_auto_reports = 0;      // expected
  double review_material = 0;         // expected arrivals into review
  double review_benign = 0;
  double novel = 0;
  double user_reports = 0;
  double missed_by_thresholds = 0;  // expected known material matched nowhere
  int64_t material_unreviewed_end =
      0;  // simulated: material still waiting at the end
  int64_t decided = 0;
  int64_t escalated = 0;
  int64_t welfare_refusals = 0;
  double moderator_hours = 0;  // on shift, summed
  double utilization = 0;      // busy / on-shift time
  double offered_hours = 0;    // expected review work (hours) arriving
};

struct CapacityResult {
  std::array<WaitStats, queue::kPriorityClassCount> by_class;
  std::vector<std::pair<std::string, WaitStats>> by_lane;  // configured order
  WaitStats all;
  std::vector<BacklogSample> backlog;
  Flows flows;
  double hours = 0;  // the horizon
};

// Runs one simulation. `rates` may be null (rates given in the options).
// Errors: ValidateCapacityOptions's, and the queue's (Unavailable when the
// temporary database cannot be created).
absl::StatusOr<CapacityResult> SimulateCapacity(const CapacityOptions& options,
                                                const SweepRates* rates);

struct SearchPoint {
  int auto_threshold = 0;
  int review_threshold = 0;
  double review_per_hour = 0;  // items reaching review per hour
  double target_breach_fraction = 0;
  double target_p95_minutes = 0;
  bool target_lower_bound = false;
  double missed_per_week = 0;
  double false_auto_per_week = 0;
  bool feasible = false;
};

struct SearchResult {
  int auto_threshold = 0;           // chosen (or fixed) auto-report threshold
  std::string auto_reason;          // why that one
  std::vector<SearchPoint> points;  // by review threshold
  int best = -1;                    // index into points; -1: nothing feasible
};

// Finds thresholds for the given team: the auto-report threshold (fixed,
// or with search_auto chosen from the sweep alone, see CapacityOptions),
// then the largest review threshold (most material found) whose simulation
// keeps the target class's breach fraction within max_breach_fraction: a grid
// of every 4 from the auto threshold to 64, refined by 1. Needs `rates`.
absl::StatusOr<SearchResult> SearchThresholds(const CapacityOptions& options,
                                              const SweepRates& rates);

// Outputs in out_dir: capacity.csv (per group waits), flows.csv,
// backlog.csv, search.csv (when `search` is given), waits.png,
// backlog.png, search.png and report.html. FailedPrecondition when plots
// are on and gnuplot is missing.
struct CapacityReportInput {
  std::string out_dir;
  bool plots = true;
  std::string command_line;
  std::string sweep_path;             // "" without a sweep
  const SweepRates* rates = nullptr;  // the sweep's, for the inputs table
};
std::string CapacityCsv(const CapacityResult& result);
std::string FlowsCsv(const CapacityResult& result);
std::string BacklogCsv(const CapacityResult& result);
std::string SearchCsv(const SearchResult& search);
absl::Status WriteCapacityOutputs(const CapacityReportInput& input,
                                  const CapacityOptions& options,
                                  const CapacityResult& result,
                                  const SearchResult* search);

// Terminal summary.
std::string CapacitySummary(const CapacityOptions& options,
                            const CapacityResult& result,
                            const SearchResult* search);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_CAPACITY_H_
