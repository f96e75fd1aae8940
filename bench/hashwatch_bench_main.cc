// hashwatch-bench: the evaluation tools (bench/eval/): the labelled
// evaluation set builder, the threshold sweep and the moderator-capacity
// planner. A thin front over the library; see bench/THRESHOLDS.md.
//
// Exit codes: 0 success (undecodable pictures are warnings, listed on
// stderr and in the report), 1 failure with one line on stderr, 2 usage.
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/eval/benign.h"
#include "bench/eval/capacity.h"
#include "bench/eval/evalset.h"
#include "bench/eval/io.h"
#include "bench/eval/own_eval.h"
#include "bench/eval/parse.h"
#include "bench/eval/plot.h"
#include "bench/eval/sweep.h"
#include "bench/eval/transforms.h"
#include "common/command_table.h"
#include "common/status_macros.h"

namespace {

namespace hb = hashwatch::bench;

int Fail(const absl::Status& s) {
  std::cerr << "hashwatch-bench: " << s.message() << "\n";
  return 1;
}

void Warn(const std::vector<hb::Failure>& failures) {
  for (const hb::Failure& f : failures) {
    std::cerr << "hashwatch-bench: warning: " << f.file << ": " << f.reason
              << "\n";
  }
}

std::string CommandLine(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  args[0] = "hashwatch-bench";
  for (std::string& a : args) {
    if (a.find_first_of(" \t'\"") != std::string::npos)
      a = absl::StrCat("'", a, "'");
  }
  return absl::StrJoin(args, " ");
}

absl::StatusOr<std::vector<hb::TransformSpec>> Transforms(
    const std::string& list) {
  std::vector<hb::TransformSpec> out;
  for (const std::string& name : hb::ParseList(list)) {
    HW_ASSIGN_OR_RETURN(hb::TransformSpec t, hb::FindTransform(name));
    out.push_back(t);
  }
  return out;
}

struct EvalFlags {
  std::string images, out, transforms;
  double known_fraction = 0.5;
  uint64_t seed = 1;
  int threads = 0;
  bool list = false;
};

void AddEvalFlags(CLI::App* cmd, EvalFlags& f) {
  cmd->add_option("--known-fraction", f.known_fraction,
                  "Share of the pictures that become known (bank) pictures")
      ->default_val(0.5);
  cmd->add_option("--seed", f.seed, "Salt of the split and the transforms")
      ->default_val(1);
  cmd->add_option(
      "--transforms", f.transforms,
      "Comma-separated transform names (default: all; see evalset --list)");
  cmd->add_option("--threads", f.threads, "Worker threads (0: one per core)")
      ->default_val(0);
}

absl::StatusOr<hb::EvalSetOptions> EvalOptions(const EvalFlags& f) {
  hb::EvalSetOptions o;
  o.known_fraction = f.known_fraction;
  o.seed = f.seed;
  o.threads = f.threads;
  HW_ASSIGN_OR_RETURN(o.transforms, Transforms(f.transforms));
  return o;
}

int RunEvalSet(const EvalFlags& f) {
  if (f.list) {
    for (const hb::TransformSpec& t : hb::AllTransforms()) {
      std::cout << t.name << "\t" << t.family << "\t" << t.description << "\n";
    }
    return 0;
  }
  if (f.images.empty() || f.out.empty()) {
    std::cerr
        << "hashwatch-bench: evalset needs --images and --out (see --help)\n";
    return 2;
  }
  absl::StatusOr<hb::EvalSetOptions> o = EvalOptions(f);
  if (!o.ok()) return Fail(o.status());
  absl::StatusOr<hb::EvalSetSummary> s = hb::WriteEvalSet(f.images, f.out, *o);
  if (!s.ok()) return Fail(s.status());
  Warn(s->failures);
  std::cout << "evalset: " << f.out << ": " << s->known << " known, "
            << s->distractors << " distractors, " << s->copies << " copies; "
            << s->failures.size() << " failed, " << s->ignored.size()
            << " non-picture files ignored\n";
  return 0;
}

struct SweepFlags {
  EvalFlags eval;
  std::string evalset, benign;
  bool dihedral = false, robust = false, compat = false, no_plots = false;
  int auto_threshold = 10, review_threshold = 31, min_quality = 50;
};

int RunSweep(const SweepFlags& f, const std::string& command_line) {
  hb::SweepOptions o;
  o.images_dir = f.eval.images;
  o.evalset_dir = f.evalset;
  o.benign_dir = f.benign;
  o.out_dir = f.eval.out;
  o.dihedral = f.dihedral;
  o.robust = f.robust;
  o.auto_threshold = f.auto_threshold;
  o.review_threshold = f.review_threshold;
  o.min_quality = f.min_quality;
  o.decode_mode = f.compat ? hashwatch::matcher::DecodeMode::kCompat
                           : hashwatch::matcher::DecodeMode::kFast;
  o.plots = !f.no_plots;
  o.command_line = command_line;
  absl::StatusOr<hb::EvalSetOptions> eval = EvalOptions(f.eval);
  if (!eval.ok()) return Fail(eval.status());
  o.evalset = *eval;
  if (absl::Status s = hb::ValidateSweepOptions(o); !s.ok()) {
    std::cerr << "hashwatch-bench: " << s.message() << " (see --help)\n";
    return 2;
  }
  if (o.plots && !hb::GnuplotAvailable()) {
    // Fail before the long part when the plots could not be drawn anyway.
    return Fail(absl::FailedPreconditionError(
        "sweep: gnuplot is not installed (Debian package gnuplot-nox; "
        "scripts/install-deps.sh "
        "installs it); pass --no-plots to write the CSVs and report without "
        "plots"));
  }
  absl::StatusOr<hb::SweepResult> r = hb::RunSweep(o);
  if (!r.ok()) return Fail(r.status());
  Warn(r->failures);
  if (absl::Status s = hb::WriteSweepOutputs(o, *r); !s.ok()) return Fail(s);
  std::cout << hb::SweepSummary(o, *r) << "outputs: " << o.out_dir
            << "/{sweep.csv,split.csv,queries.csv,distances.csv,paths.csv,"
               "benign.csv"
            << (o.plots ? ",*.png" : "") << ",report.html}\n";
  return 0;
}

struct BenignFlags {
  std::string out, wallpapers, exclude, chromium = "chromium";
  int count = 20000, threads = 0;
  uint64_t seed = 1;
  bool no_chromium = false;
};

int RunBenign(const BenignFlags& f) {
  hb::BenignOptions o;
  o.out_dir = f.out;
  o.count = f.count;
  o.seed = f.seed;
  o.threads = f.threads;
  if (!f.wallpapers.empty()) o.wallpaper_dirs = hb::ParseList(f.wallpapers);
  o.chromium = f.no_chromium ? "" : f.chromium;
  if (!f.exclude.empty()) o.exclude_dirs = hb::ParseList(f.exclude);
  if (absl::Status s = hb::ValidateBenignOptions(o); !s.ok()) {
    std::cerr << "hashwatch-bench: " << s.message() << " (see --help)\n";
    return 2;
  }
  absl::StatusOr<hb::BenignSummary> s = hb::WriteBenignSet(o);
  if (!s.ok()) return Fail(s.status());
  Warn(s->failures);
  for (const std::string& n : s->notes)
    std::cerr << "hashwatch-bench: note: " << n << "\n";
  std::vector<std::string> families;
  for (const auto& [name, n] : s->families)
    families.push_back(absl::StrCat(name, " ", n));
  std::cout << "benign: " << o.out_dir << ": " << s->written
            << " pictures from " << s->wallpapers << " wallpapers ("
            << s->excluded << " excluded) in "
            << absl::StrFormat("%.1f", s->seconds) << " s ("
            << absl::StrJoin(families, ", ") << "); manifest.csv\n";
  return 0;
}

void SetupBenign(CLI::App& command, BenignFlags& f) {
  command.add_option("--out", f.out,
                     "Output folder (outside the repository: a cache folder)");
  command.add_option("--count", f.count, "Pictures to write")
      ->default_val(20000);
  command.add_option("--seed", f.seed, "Seed of every random choice")
      ->default_val(1);
  command
      .add_option("--threads", f.threads, "Worker threads (0: one per core)")
      ->default_val(0);
  command.add_option("--wallpapers", f.wallpapers,
                     "Comma-separated wallpaper folders (default: the Debian "
                     "packages' folders)");
  command.add_option("--exclude", f.exclude,
                     "Comma-separated folders of pictures (e.g. the "
                     "evaluation corpus) whose near-copies among the "
                     "wallpapers are left out");
  command.add_option("--chromium", f.chromium, "Chromium executable")
      ->default_val("chromium");
  command.add_flag("--no-chromium", f.no_chromium,
                   "Skip the screenshot family");
}

struct OwnFlags {
  std::string evalset, benign, out;
  int threads = 0;
};

int RunOwn(const OwnFlags& f) {
  hb::OwnEvalOptions o;
  o.evalset_dir = f.evalset;
  o.benign_dir = f.benign;
  o.threads = f.threads;
  absl::StatusOr<hb::OwnEvalResult> r = hb::RunOwnEval(o);
  if (!r.ok()) return Fail(r.status());
  Warn(r->failures);
  std::cout << hb::OwnEvalText(*r);
  if (!f.out.empty()) {
    if (absl::Status s = hb::MakeDirs(f.out); !s.ok()) return Fail(s);
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{"own.csv", hb::OwnEvalCsv(*r)},
          {"own_copies.csv", hb::OwnEvalCopiesCsv(*r)},
          {"own_negatives.csv", hb::OwnEvalNegativesCsv(*r)},
          {"own_negative_matches.csv", hb::OwnEvalNegativeMatchesCsv(*r)},
          {"own_negative_pictures.csv", hb::OwnEvalNegativePicturesCsv(*r)}}) {
      if (absl::Status s = hb::WriteWholeFile(f.out + "/" + name, text);
          !s.ok())
        return Fail(s);
    }
    std::cout << "outputs: " << f.out
              << "/{own.csv,own_copies.csv,own_negatives.csv,"
                 "own_negative_matches.csv,own_negative_pictures.csv}\n";
  }
  return 0;
}

void SetupOwn(CLI::App& command, OwnFlags& f) {
  command
      .add_option("--evalset", f.evalset,
                  "An evaluation set folder (manifest.csv): its known "
                  "pictures become an own-material bank")
      ->required();
  command.add_option("--benign", f.benign,
                     "A benign set (hashwatch-bench benign): more negatives");
  command.add_option("--out", f.out,
                     "Folder for the CSVs (own.csv, own_copies.csv, "
                     "own_negatives.csv, own_negative_matches.csv, "
                     "own_negative_pictures.csv)");
  command
      .add_option("--threads", f.threads, "Worker threads (0: one per core)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
}

struct CapacityFlags {
  std::string out, sweep, severity, signals, shifts, lane_weights, sla,
      target_class = "critical";
  bool dihedral = false, search = false, no_plots = false;
  int moderators = 4, days_per_week = 7;
  double shift_start = 9, shift_hours = 8;
  hb::CapacityOptions o;
  double break_minutes = 15, shift_length_hours = 8;
};

absl::Status ApplyCapacityFlags(CapacityFlags& f) {
  hb::CapacityOptions& o = f.o;
  if (!f.severity.empty()) {
    HW_ASSIGN_OR_RETURN(o.severity,
                        hb::ParseKeyValues(f.severity, "--severity"));
  }
  if (!f.signals.empty()) {
    HW_ASSIGN_OR_RETURN(o.signals, hb::ParseKeyValues(f.signals, "--signals"));
  }
  if (!f.shifts.empty()) {
    HW_ASSIGN_OR_RETURN(o.shifts, hb::ParseShifts(f.shifts));
  } else {
    o.shifts = {{f.shift_start, f.shift_hours, f.moderators}};
  }
  o.days_per_week = f.days_per_week;
  o.welfare.break_length = absl::Minutes(f.break_minutes);
  o.welfare.shift_length = absl::Hours(f.shift_length_hours);
  if (!f.lane_weights.empty()) {
    HW_ASSIGN_OR_RETURN(auto weights,
                        hb::ParseKeyValues(f.lane_weights, "--lane-weights"));
    for (const auto& [name, w] : weights) {
      auto it = std::find_if(o.lanes.begin(), o.lanes.end(),
                             [&](const auto& l) { return l.name == name; });
      if (it == o.lanes.end() || it->served_first) {
        return absl::InvalidArgumentError(
            absl::StrCat("--lane-weights: '", name,
                         "' is not a weighted lane (proactive, user_report)"));
      }
      if (!(w >= 1 && w <= 1e6) || w != static_cast<int>(w)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--lane-weights: weight of '", name, "' is ", w,
                         ", want 1..1000000"));
      }
      it->weight = static_cast<int>(w);
    }
  }
  if (!f.sla.empty()) {
    HW_ASSIGN_OR_RETURN(auto sla, hb::ParseKeyValues(f.sla, "--sla"));
    for (const auto& [name, minutes] : sla) {
      int c = -1;
      for (int k = 0; k < hashwatch::queue::kPriorityClassCount; ++k) {
        if (hashwatch::queue::PriorityClassName(
                static_cast<hashwatch::queue::PriorityClass>(k)) == name) {
          c = k;
        }
      }
      if (c < 0 || !(minutes > 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--sla: want critical|high|normal|low=MINUTES (> 0), got '", name,
            "'"));
      }
      for (auto& lane : o.lanes) lane.sla[c] = absl::Minutes(minutes);
    }
  }
  bool found = false;
  for (int k = 0; k < hashwatch::queue::kPriorityClassCount; ++k) {
    const auto c = static_cast<hashwatch::queue::PriorityClass>(k);
    if (hashwatch::queue::PriorityClassName(c) == f.target_class) {
      o.target_class = c;
      found = true;
    }
  }
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target-class is '", f.target_class,
                     "', want critical, high, normal or low"));
  }
  return absl::OkStatus();
}

int RunCapacity(CapacityFlags& f, const std::string& command_line) {
  if (f.out.empty()) {
    std::cerr << "hashwatch-bench: capacity needs --out (see --help)\n";
    return 2;
  }
  if (absl::Status s = ApplyCapacityFlags(f); !s.ok()) {
    std::cerr << "hashwatch-bench: " << s.message() << " (see --help)\n";
    return 2;
  }
  if (f.o.search_auto && !f.search) {
    std::cerr << "hashwatch-bench: --search-auto needs --search\n";
    return 2;
  }
  if (f.search && f.sweep.empty()) {
    std::cerr << "hashwatch-bench: --search needs --sweep (the recall and "
                 "false-match rates "
                 "per threshold)\n";
    return 2;
  }
  hb::CapacityOptions& o = f.o;
  if (absl::Status s = hb::ValidateCapacityOptions(o, !f.sweep.empty());
      !s.ok()) {
    return Fail(s);
  }
  std::optional<hb::SweepRates> rates;
  if (!f.sweep.empty()) {
    absl::StatusOr<hb::SweepRates> r =
        hb::ReadSweepRates(f.sweep, f.dihedral ? "dihedral" : "plain");
    if (!r.ok()) return Fail(r.status());
    rates = *r;
  }
  std::optional<hb::SearchResult> search;
  if (f.search) {
    absl::StatusOr<hb::SearchResult> s = hb::SearchThresholds(o, *rates);
    if (!s.ok()) return Fail(s.status());
    search = *s;
    if (search->best >= 0) {
      o.auto_threshold = search->points[search->best].auto_threshold;
      o.review_threshold = search->points[search->best].review_threshold;
    }
  }
  absl::StatusOr<hb::CapacityResult> r =
      hb::SimulateCapacity(o, rates ? &*rates : nullptr);
  if (!r.ok()) return Fail(r.status());
  hb::CapacityReportInput in{f.out, !f.no_plots, command_line, f.sweep,
                             rates ? &*rates : nullptr};
  if (absl::Status s =
          hb::WriteCapacityOutputs(in, o, *r, search ? &*search : nullptr);
      !s.ok()) {
    return Fail(s);
  }
  std::cout << hb::CapacitySummary(o, *r, search ? &*search : nullptr)
            << "outputs: " << f.out << "/{capacity.csv,flows.csv,backlog.csv"
            << (search ? ",search.csv" : "") << (f.no_plots ? "" : ",*.png")
            << ",report.html}\n";
  return 0;
}

void SetupEvalSet(CLI::App& command, EvalFlags& eval) {
  CLI::App* evalset = &command;
  evalset->add_option("--images", eval.images, "Folder of benign pictures");
  evalset->add_option("--out", eval.out, "Output folder");
  evalset->add_flag("--list", eval.list, "List the transforms and exit");
  AddEvalFlags(evalset, eval);
}

void SetupSweep(CLI::App& command, SweepFlags& sf) {
  CLI::App* sweep = &command;
  sweep->add_option("--images", sf.eval.images,
                    "Folder of benign pictures to build the set from");
  sweep->add_option("--evalset", sf.evalset,
                    "Or: an evaluation set folder (manifest.csv)");
  sweep->add_option("--benign", sf.benign,
                    "A benign set (hashwatch-bench benign): more distractors, "
                    "false matches counted per mode and path");
  sweep->add_option("--out", sf.eval.out, "Output folder")->required();
  sweep->add_flag(
      "--dihedral", sf.dihedral,
      "Headline, routing and plots for dihedral matching (all modes are "
      "computed)");
  sweep->add_flag("--robust", sf.robust,
                  "Headline, routing and plots for robust matching (dihedral "
                  "variants and recovered regions)");
  sweep
      ->add_option("--auto-threshold", sf.auto_threshold,
                   "Auto-report distance")
      ->default_val(10)
      ->check(CLI::Range(0, 64));
  sweep
      ->add_option("--review-threshold", sf.review_threshold, "Review distance")
      ->default_val(31)
      ->check(CLI::Range(0, 64));
  sweep
      ->add_option("--min-quality", sf.min_quality,
                   "PDQ quality gate for auto-report")
      ->default_val(50)
      ->check(CLI::Range(0, 100));
  sweep->add_flag("--compat", sf.compat,
                  "Hash as the reference PDQ hasher (full decode)");
  sweep->add_flag("--no-plots", sf.no_plots, "Skip the gnuplot PNGs");
  AddEvalFlags(sweep, sf.eval);
}

void SetupCapacity(CLI::App& command, CapacityFlags& cf) {
  hb::CapacityOptions& co = cf.o;
  CLI::App* capacity = &command;
  capacity->add_option("--out", cf.out, "Output folder");
  capacity->add_option("--sweep", cf.sweep,
                       "sweep.csv to derive match rates and recall from");
  capacity->add_flag("--dihedral", cf.dihedral,
                     "Use the sweep's dihedral rows");
  capacity
      ->add_option("--uploads-per-hour", co.uploads_per_hour,
                   "Scans per hour (with --sweep)")
      ->default_val(co.uploads_per_hour);
  capacity
      ->add_option("--known-prevalence", co.known_prevalence,
                   "Share of uploads that are banked material (with --sweep)")
      ->default_val(co.known_prevalence);
  capacity
      ->add_option("--bank-size", co.bank_size,
                   "Production bank entries: scale the sweep's per-pair "
                   "false-match rate "
                   "(0: use the sweep's distractor rate)")
      ->default_val(0);
  capacity
      ->add_option("--match-review-per-hour", co.match_review_per_hour,
                   "List matches reaching review per hour (without --sweep)")
      ->default_val(co.match_review_per_hour);
  capacity
      ->add_option("--match-material-share", co.match_material_share,
                   "Share of those that are material (without --sweep)")
      ->default_val(co.match_material_share);
  capacity
      ->add_option("--novel-per-hour", co.novel_per_hour,
                   "Classifier-flagged items per hour")
      ->default_val(co.novel_per_hour);
  capacity
      ->add_option("--user-reports-per-hour", co.user_reports_per_hour,
                   "User reports per hour")
      ->default_val(co.user_reports_per_hour);
  capacity
      ->add_option("--novel-material-share", co.novel_material_share,
                   "Share of novel items and reports that are material")
      ->default_val(co.novel_material_share);
  capacity->add_option("--severity", cf.severity,
                       "Category mix of matches, e.g. A=0.2,B=0.3,C=0.5");
  capacity->add_option(
      "--signals", cf.signals,
      "Signal probabilities, e.g. grooming=0.03,livestream=0.01");
  capacity
      ->add_option("--escalate-fraction", co.escalate_fraction,
                   "Decisions that escalate")
      ->default_val(0);
  capacity
      ->add_option("--auto-threshold", co.auto_threshold,
                   "Auto-report distance")
      ->default_val(10)
      ->check(CLI::Range(0, 64));
  capacity
      ->add_option("--review-threshold", co.review_threshold, "Review distance")
      ->default_val(31)
      ->check(CLI::Range(0, 64));
  capacity->add_option("--moderators", cf.moderators, "Moderators per shift")
      ->default_val(4);
  capacity->add_option("--shift-start", cf.shift_start, "Shift start hour")
      ->default_val(9);
  capacity->add_option("--shift-hours", cf.shift_hours, "Shift length in hours")
      ->default_val(8);
  capacity->add_option(
      "--shifts", cf.shifts,
      "Several shifts, e.g. 0-8:2,8-16:5,16-24:3 (overrides the three above)");
  capacity
      ->add_option("--days-per-week", cf.days_per_week,
                   "Working days, Monday first")
      ->default_val(7);
  capacity
      ->add_option("--items-per-hour", co.items_per_hour,
                   "Decisions per moderator-hour")
      ->default_val(co.items_per_hour);
  capacity
      ->add_option("--max-items-per-hour", co.welfare.max_items_per_hour,
                   "Welfare: items per moderator per hour (0: off)")
      ->default_val(co.welfare.max_items_per_hour);
  capacity
      ->add_option("--max-items-per-shift", co.welfare.max_items_per_shift,
                   "Welfare: items per moderator per shift (0: off)")
      ->default_val(co.welfare.max_items_per_shift);
  capacity
      ->add_option("--welfare-shift-hours", cf.shift_length_hours,
                   "Welfare: the sliding window of --max-items-per-shift")
      ->default_val(8);
  capacity
      ->add_option("--break-after", co.welfare.break_after_items,
                   "Welfare: items before a break (0: off)")
      ->default_val(co.welfare.break_after_items);
  capacity
      ->add_option("--break-minutes", cf.break_minutes, "Welfare: break length")
      ->default_val(15);
  capacity->add_option("--lane-weights", cf.lane_weights,
                       "e.g. proactive=80,user_report=20");
  capacity->add_option("--sla", cf.sla,
                       "SLA minutes per class, e.g. critical=60,high=240");
  capacity->add_option("--days", co.days, "Simulated days")->default_val(7);
  capacity->add_option("--seed", co.seed, "Random seed")->default_val(1);
  capacity->add_flag("--search", cf.search,
                     "Search the thresholds (needs --sweep)");
  capacity
      ->add_option("--target-class", cf.target_class,
                   "Class whose SLA the search keeps")
      ->default_val("critical");
  capacity
      ->add_option("--max-breach", co.max_breach_fraction,
                   "Allowed share of the target class breaching its SLA")
      ->default_val(co.max_breach_fraction);
  capacity
      ->add_option("--max-false-auto", co.max_false_auto_per_week,
                   "Search: expected false automatic reports per week allowed")
      ->default_val(0);
  capacity->add_flag(
      "--search-auto", co.search_auto,
      "Search: also choose the auto-report threshold from the sweep");
  capacity
      ->add_option(
          "--max-auto-threshold", co.max_auto_threshold,
          "Search: highest auto-report threshold --search-auto may choose")
      ->default_val(co.max_auto_threshold);
  capacity
      ->add_option("--auto-margin", co.auto_margin,
                   "Search: bits below the closest false match for auto-report")
      ->default_val(co.auto_margin);
  capacity->add_flag("--no-plots", cf.no_plots, "Skip the gnuplot PNGs");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hashwatch-bench: evaluation set builder, threshold sweep, capacity "
      "planner"};
  app.set_version_flag("--version", "hashwatch-bench 0.1.0");
  const std::string command_line = CommandLine(argc, argv);
  const std::vector<hashwatch::Command> commands = {
      hashwatch::MakeCommand<EvalFlags>(
          "evalset",
          "Write a labelled evaluation set (known, distractors, transformed "
          "copies)",
          SetupEvalSet, RunEvalSet),
      hashwatch::MakeCommand<BenignFlags>(
          "benign",
          "Write a reproducible benign set (wallpapers, hard negatives, "
          "documents, screenshots) to show false matches",
          SetupBenign, RunBenign),
      hashwatch::MakeCommand<SweepFlags>(
          "sweep",
          "Recall, false positives and routing at every PDQ threshold 0..64",
          SetupSweep, [&](SweepFlags& f) { return RunSweep(f, command_line); }),
      hashwatch::MakeCommand<OwnFlags>(
          "own",
          "Own-material matching end to end: known pictures through "
          "add-images, copies and benign pictures scanned as the server does",
          SetupOwn, RunOwn),
      hashwatch::MakeCommand<CapacityFlags>(
          "capacity",
          "Simulate the review queue for a team and thresholds; search "
          "thresholds",
          SetupCapacity,
          [&](CapacityFlags& f) { return RunCapacity(f, command_line); }),
  };
  return hashwatch::RunCommandTable(app, commands, argc, argv,
                                    "hashwatch-bench");
}
