#include "bench/eval/internal/sweep_paths.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/eval/csv.h"
#include "bench/eval/metrics.h"

namespace hashwatch::bench {
namespace {

constexpr MatchMode kModes[] = {MatchMode::kPlain, MatchMode::kDihedral,
                                MatchMode::kRobust};

int BestPath(const SweepQuery& q) {
  int best = -1;
  for (int p = 0; p < kMatchPaths; ++p) {
    const int d = q.path_source_distance[p];
    if (d >= 0 && (best < 0 || d < q.path_source_distance[best])) best = p;
  }
  return best;
}

// One row of the per-family table.
struct FamilyRow {
  std::string level;  // "all", "family", "transform"
  std::string name;
  int64_t copies = 0;
  std::array<int64_t, kMatchModes> found_review{};
  std::array<int64_t, kMatchModes> found_auto{};
  RouteCounts robust;
  std::array<int64_t, kMatchPaths> best_path{};  // of copies found at review
};

FamilyRow Family(const SweepResult& r, const SweepOptions& o,
                 absl::string_view level, absl::string_view name) {
  FamilyRow row;
  row.level = std::string(level);
  row.name = std::string(name);
  std::vector<const QueryOutcome*> robust;
  for (size_t i = 0; i < r.queries.size(); ++i) {
    const SweepQuery& q = r.queries[i];
    if (q.role != Role::kCopy || q.group < 0) continue;
    const SweepGroup& g = r.groups[q.group];
    if ((level == "family" && g.family != name) ||
        (level == "transform" && g.name != name)) {
      continue;
    }
    ++row.copies;
    for (int m = 0; m < kMatchModes; ++m) {
      const int d = r.outcomes[m][i].true_distance;
      row.found_review[m] += d <= o.review_threshold;
      row.found_auto[m] += d <= o.auto_threshold;
    }
    const int robust_m = static_cast<int>(MatchMode::kRobust);
    robust.push_back(&r.outcomes[robust_m][i]);
    if (r.outcomes[robust_m][i].true_distance <= o.review_threshold) {
      const int p = BestPath(q);
      if (p >= 0) ++row.best_path[p];
    }
  }
  row.robust =
      CountRoutes(robust, o.auto_threshold, o.review_threshold, o.min_quality);
  return row;
}

std::vector<FamilyRow> FamilyRows(const SweepResult& r, const SweepOptions& o,
                                  bool transforms) {
  std::vector<FamilyRow> rows;
  for (const std::string& f : r.families)
    rows.push_back(Family(r, o, "family", f));
  if (transforms) {
    for (const SweepGroup& g : r.groups)
      rows.push_back(Family(r, o, "transform", g.name));
  }
  rows.push_back(Family(r, o, "all", "all"));
  return rows;
}

std::string Ratio(int64_t n, int64_t d) {
  return d == 0 ? "" : Fixed(static_cast<double>(n) / d, 4);
}
std::string Pct(int64_t n, int64_t d) {
  return d == 0
             ? "n/a"
             : absl::StrCat(Fixed(100.0 * static_cast<double>(n) / d, 1), "%");
}
std::string Margin(int closest, int threshold) {
  return closest < 0 ? "" : absl::StrCat(closest - threshold);
}

struct FalseRow {
  std::string set, scope, name;
  FalseMatchStats stats;
};

std::vector<FalseRow> FalseRows(const SweepResult& r, const SweepOptions& o) {
  std::vector<FalseRow> rows;
  for (bool benign_only : {true, false}) {
    if (benign_only && r.benign == 0) continue;
    const std::string set = benign_only ? "benign" : "distractors";
    for (MatchMode m : kModes) {
      rows.push_back({set, "mode", std::string(MatchModeName(m)),
                      DistractorFalseMatches(r, o, m, -1, benign_only)});
    }
    for (int p = 0; p < kMatchPaths; ++p) {
      rows.push_back(
          {set, "path", std::string(MatchPathName(static_cast<MatchPath>(p))),
           DistractorFalseMatches(r, o, MatchMode::kRobust, p, benign_only)});
    }
  }
  return rows;
}

}  // namespace

FalseMatchStats DistractorFalseMatches(const SweepResult& r,
                                       const SweepOptions& o, MatchMode mode,
                                       int path, bool benign_only) {
  FalseMatchStats s;
  const int m = static_cast<int>(mode);
  for (size_t i = 0; i < r.queries.size(); ++i) {
    const SweepQuery& q = r.queries[i];
    if (q.role != Role::kDistractor || (benign_only && !q.benign)) continue;
    ++s.distractors;
    int closest = -1;
    if (path < 0) {
      const QueryOutcome& out = r.outcomes[m][i];
      int within = 0;
      for (int d : out.wrong_distances) within += d <= o.review_threshold;
      s.pairs_review += within;
      s.matched_review += within > 0;
      s.matched_auto += RouteOf(out, o.auto_threshold, o.review_threshold,
                                o.min_quality) == Route::kAutoReport;
      closest = q.nearest_other[m];
    } else {
      closest = q.path_nearest_other[path];
      s.pairs_review += q.path_review_pairs[path];
      s.matched_review += closest >= 0 && closest <= o.review_threshold;
      s.matched_auto += closest >= 0 && closest <= o.auto_threshold;
    }
    if (closest >= 0 && (s.closest < 0 || closest < s.closest ||
                         (closest == s.closest && q.file < s.closest_file))) {
      s.closest = closest;
      s.closest_file = q.file;
    }
  }
  return s;
}

std::string PathsCsv(const SweepResult& r, const SweepOptions& o) {
  std::string out =
      "level,group,copies,recall_review_plain,recall_review_dihedral,"
      "recall_review_robust,recall_auto_plain,recall_auto_dihedral,"
      "recall_auto_robust,robust_auto_report,robust_review,robust_missed,"
      "best_whole,best_dihedral,best_unbordered,best_region\n";
  for (const FamilyRow& f : FamilyRows(r, o, true)) {
    std::vector<std::string> fields = {f.level, f.name, absl::StrCat(f.copies)};
    for (int m = 0; m < kMatchModes; ++m)
      fields.push_back(Ratio(f.found_review[m], f.copies));
    for (int m = 0; m < kMatchModes; ++m)
      fields.push_back(Ratio(f.found_auto[m], f.copies));
    fields.push_back(absl::StrCat(f.robust.auto_material));
    fields.push_back(absl::StrCat(f.robust.review_material));
    fields.push_back(absl::StrCat(f.robust.missed_material));
    for (int p = 0; p < kMatchPaths; ++p)
      fields.push_back(absl::StrCat(f.best_path[p]));
    out += CsvLine(fields);
  }
  return out;
}

std::string BenignCsv(const SweepResult& r, const SweepOptions& o) {
  std::string out =
      "set,scope,name,distractors,matched_review,matched_auto,pairs_review,"
      "closest,margin_review,margin_auto,closest_file\n";
  for (const FalseRow& row : FalseRows(r, o)) {
    const FalseMatchStats& s = row.stats;
    out += CsvLine({row.set, row.scope, row.name, absl::StrCat(s.distractors),
                    absl::StrCat(s.matched_review),
                    absl::StrCat(s.matched_auto), absl::StrCat(s.pairs_review),
                    s.closest < 0 ? "" : absl::StrCat(s.closest),
                    Margin(s.closest, o.review_threshold),
                    Margin(s.closest, o.auto_threshold), s.closest_file});
  }
  return out;
}

namespace internal {

std::string BestPathName(const SweepQuery& query) {
  if (query.role != Role::kCopy) return "";
  const int p = BestPath(query);
  return p < 0 ? "" : std::string(MatchPathName(static_cast<MatchPath>(p)));
}

void AppendRobustHtml(const SweepOptions& o, const SweepResult& r,
                      HtmlReport& html) {
  html.Heading(2, "Robust mode: recall per family, routing and paths");
  html.Paragraph(absl::StrCat(
      "Robust matching scans each picture's eight dihedral variants and the "
      "pictures recovered from borders, bars and canvases (each with its "
      "variants) against a bank of whole-picture hashes. Routing follows the "
      "shipped policy: a match by the whole picture, a dihedral variant or "
      "the unbordered picture auto-reports at distance &le; ",
      o.auto_threshold, " when that hash's quality is &ge; ", o.min_quality,
      "; a match by a region inside a canvas goes to review only (&le; ",
      o.review_threshold,
      "). &ldquo;Found by&rdquo; counts each copy found at the review "
      "threshold under the path closest to its source."));
  std::vector<std::vector<HtmlCell>> rows;
  for (const FamilyRow& f : FamilyRows(r, o, false)) {
    std::vector<HtmlCell> row = {HtmlEscape(f.name), absl::StrCat(f.copies)};
    for (int m = 0; m < kMatchModes; ++m) {
      const double ratio =
          f.copies ? static_cast<double>(f.found_review[m]) / f.copies : NAN;
      row.push_back(
          HtmlCell(Pct(f.found_review[m], f.copies), RatioColour(ratio)));
    }
    row.push_back(Pct(f.found_auto[2], f.copies));
    row.push_back(absl::StrCat(f.robust.auto_material));
    row.push_back(absl::StrCat(f.robust.review_material));
    row.push_back(absl::StrCat(f.robust.missed_material));
    row.push_back(absl::StrFormat("%d / %d / %d / %d", f.best_path[0],
                                  f.best_path[1], f.best_path[2],
                                  f.best_path[3]));
    rows.push_back(std::move(row));
  }
  html.Table(
      {"family", "copies",
       absl::StrCat("recall &le; ", o.review_threshold, " plain"), "dihedral",
       "robust", absl::StrCat("robust &le; ", o.auto_threshold),
       "robust: auto-reported", "to review", "missed",
       "found by whole / dihedral / unbordered / region"},
      rows);

  html.Heading(2, "False matches per mode and path");
  html.Paragraph(absl::StrCat(
      r.benign > 0
          ? absl::StrCat("The benign set (", r.benign,
                         " pictures) and all distractors (", r.distractors,
                         ") ")
          : absl::StrCat("The ", r.distractors, " distractors (no --benign) "),
      "against the ", r.known,
      " known pictures. A mode row counts false automatic reports under "
      "the routing above; a path row counts distractors within the auto "
      "threshold on that path alone. Margins are the closest distance "
      "minus the threshold: positive means no false match."));
  rows.clear();
  for (const FalseRow& row : FalseRows(r, o)) {
    const FalseMatchStats& s = row.stats;
    rows.push_back(
        {HtmlEscape(row.set),
         HtmlEscape(absl::StrCat(row.scope, " ", row.name)),
         absl::StrCat(s.distractors),
         HtmlCell(absl::StrCat(s.matched_review),
                  s.matched_review > 0 ? "#ffe0b3" : ""),
         HtmlCell(absl::StrCat(s.matched_auto),
                  s.matched_auto > 0 ? "#ffb3b3" : ""),
         absl::StrCat(s.pairs_review),
         s.closest < 0 ? "n/a" : absl::StrCat(s.closest),
         Margin(s.closest, o.review_threshold),
         Margin(s.closest, o.auto_threshold),
         absl::StrCat("<code>", HtmlEscape(s.closest_file), "</code>")});
  }
  html.Table({"set", "mode / path", "pictures",
              absl::StrCat("matched &le; ", o.review_threshold),
              absl::StrCat("auto (&le; ", o.auto_threshold, ")"), "false pairs",
              "closest", absl::StrCat("margin to ", o.review_threshold),
              absl::StrCat("margin to ", o.auto_threshold), "closest file"},
             rows);
}

std::string RobustSummary(const SweepOptions& o, const SweepResult& r) {
  std::string s = absl::StrFormat(
      "\n| family | copies | recall<=%d plain | dihedral | robust | robust "
      "auto-report | review | missed | found by whole/dihedral/unbordered/"
      "region |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
      o.review_threshold);
  for (const FamilyRow& f : FamilyRows(r, o, false)) {
    absl::StrAppend(
        &s,
        absl::StrFormat(
            "| %s | %d | %s | %s | %s | %d | %d | %d | %d/%d/%d/%d |\n", f.name,
            f.copies, Pct(f.found_review[0], f.copies),
            Pct(f.found_review[1], f.copies), Pct(f.found_review[2], f.copies),
            f.robust.auto_material, f.robust.review_material,
            f.robust.missed_material, f.best_path[0], f.best_path[1],
            f.best_path[2], f.best_path[3]));
  }
  absl::StrAppend(
      &s, absl::StrFormat(
              "\n| set | mode / path | pictures | matched<=%d | auto | false "
              "pairs | closest | margin to %d | margin to %d |\n"
              "|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
              o.review_threshold, o.review_threshold, o.auto_threshold));
  for (const FalseRow& row : FalseRows(r, o)) {
    const FalseMatchStats& f = row.stats;
    absl::StrAppend(
        &s,
        absl::StrFormat("| %s | %s %s | %d | %d | %d | %d | %s | %s | %s |\n",
                        row.set, row.scope, row.name, f.distractors,
                        f.matched_review, f.matched_auto, f.pairs_review,
                        f.closest < 0 ? "n/a" : absl::StrCat(f.closest),
                        Margin(f.closest, o.review_threshold),
                        Margin(f.closest, o.auto_threshold)));
  }
  return s;
}

}  // namespace internal
}  // namespace hashwatch::bench
