// The sweep's outputs: CSVs, gnuplot plots, report.html and the terminal
// summary (declared in bench/eval/sweep.h).
#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/eval/csv.h"
#include "bench/eval/html.h"
#include "bench/eval/internal/sweep_paths.h"
#include "bench/eval/io.h"
#include "bench/eval/plot.h"
#include "bench/eval/sweep.h"
#include "bench/eval/templates.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
namespace {

using internal::BestPathName;

constexpr MatchMode kModes[] = {MatchMode::kPlain, MatchMode::kDihedral,
                                MatchMode::kRobust};

std::string Join(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, dir.empty() || dir.back() == '/' ? "" : "/", name);
}

std::vector<const QueryOutcome*> Select(const SweepResult& r, MatchMode mode,
                                        absl::string_view level,
                                        absl::string_view group) {
  std::vector<const QueryOutcome*> out;
  const auto& outcomes = r.outcomes[static_cast<int>(mode)];
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const QueryOutcome& o = outcomes[i];
    bool take = false;
    if (level == "all") {
      take = true;
    } else if (level == "distractors") {
      take = !o.is_copy;
    } else if (level == "benign") {
      take = r.queries[i].benign;
    } else if (o.is_copy && o.group >= 0) {
      const SweepGroup& g = r.groups[o.group];
      take = level == "family" ? g.family == group : g.name == group;
    }
    if (take) out.push_back(&o);
  }
  return out;
}

MatchMode Primary(const SweepOptions& o) {
  return o.robust     ? MatchMode::kRobust
         : o.dihedral ? MatchMode::kDihedral
                      : MatchMode::kPlain;
}
MatchMode Secondary(const SweepOptions& o) {
  return Primary(o) == MatchMode::kPlain ? MatchMode::kDihedral
                                         : MatchMode::kPlain;
}

std::string RecallPng(MatchMode mode) {
  return absl::StrCat("recall_", MatchModeName(mode), ".png");
}

std::string Pct(double ratio, int decimals = 1) {
  if (std::isnan(ratio)) return "n/a";
  return absl::StrCat(Fixed(100 * ratio, decimals), "%");
}

// The closest pair of different pictures (full distance) and the scanned
// picture in it; {-1, ""} when the bank holds a single picture.
std::pair<int, std::string> ClosestDifferent(const SweepResult& r,
                                             MatchMode mode) {
  std::pair<int, std::string> best = {-1, ""};
  for (const SweepQuery& q : r.queries) {
    const int d = q.nearest_other[static_cast<int>(mode)];
    if (d >= 0 && (best.first < 0 || d < best.first)) best = {d, q.file};
  }
  return best;
}

// The thresholds the tables show: a fixed ladder plus the chosen pair.
std::vector<int> TableThresholds(const SweepOptions& o) {
  std::set<int> t = {0, 5, 10, 15, 20, 25, 31, 40, 48, 56, 64};
  t.insert(o.auto_threshold);
  t.insert(o.review_threshold);
  return {t.begin(), t.end()};
}

// ---------------------------------------------------------------------------
// Plots.

std::string ThresholdArrows(const SweepOptions& o, bool labels) {
  std::string s;
  absl::StrAppend(&s, "set arrow from ", o.auto_threshold, ", graph 0 to ",
                  o.auto_threshold,
                  ", graph 1 nohead dt 2 lw 1.5 lc rgb '#d62728'\n");
  absl::StrAppend(&s, "set arrow from ", o.review_threshold, ", graph 0 to ",
                  o.review_threshold,
                  ", graph 1 nohead dt 2 lw 1.5 lc rgb '#1f77b4'\n");
  if (labels) {
    absl::StrAppend(&s, "set label 'auto-report <= ", o.auto_threshold, "' at ",
                    o.auto_threshold,
                    ", graph 0.04 offset 0.4,0 tc rgb '#d62728'\n");
    absl::StrAppend(&s, "set label 'review <= ", o.review_threshold, "' at ",
                    o.review_threshold,
                    ", graph 0.10 offset 0.4,0 tc rgb '#1f77b4'\n");
  }
  return s;
}

std::string DistancePlot(const SweepOptions& o, const SweepResult& r) {
  const int m = static_cast<int>(Primary(o));
  constexpr int kBin = 4;
  auto block = [&](const char* name, const std::array<int64_t, 257>& h) {
    int64_t total = 0;
    for (int64_t c : h) total += c;
    std::string s = absl::StrCat("$", name, " << EOD\n");
    for (int b = 0; b <= 256; b += kBin) {
      int64_t c = 0;
      for (int d = b; d < std::min(257, b + kBin); ++d) c += h[d];
      if (c > 0 && total > 0) {
        absl::StrAppend(&s, b + kBin / 2.0, " ",
                        Fixed(static_cast<double>(c) / total, 8), "\n");
      }
    }
    absl::StrAppend(&s, "EOD\n");
    return s;
  };
  int64_t different_pairs = 0;
  for (int64_t c : r.different_histogram[m]) different_pairs += c;
  std::string s = GnuplotPreamble();
  absl::StrAppend(&s, block("same", r.same_histogram[m]),
                  block("different", r.different_histogram[m]));
  absl::StrAppend(
      &s, "set output 'distances.png'\n", "set title ",
      GnuplotQuote(
          absl::StrCat("PDQ distance of scanned pictures to bank entries (",
                       MatchModeName(Primary(o)), ")")),
      "\n", "set xlabel 'Hamming distance (bits of 256), bins of 4'\n",
      "set ylabel 'share of pairs (log scale)'\nset logscale y\nset format y "
      "'%.0e'\n",
      "set xrange [0:256]\nset yrange [1e-5:1]\nset key top right\n",
      "set style fill transparent solid 0.55 noborder\nset boxwidth 4\n",
      ThresholdArrows(o, true),
      "plot $same using 1:2 with boxes lc rgb '#2ca02c' title ",
      GnuplotQuote(
          absl::StrCat("copy vs its own source (", r.copies, " pairs)")),
      ", $different using 1:2 with boxes lc rgb '#ff7f0e' title ",
      GnuplotQuote(
          absl::StrCat("different pictures (", different_pairs, " pairs)")),
      "\n");
  return s;
}

std::string RecallPlot(const SweepOptions& o, const SweepResult& r,
                       MatchMode mode, const std::string& file) {
  std::string s = GnuplotPreamble(900, 560);
  absl::StrAppend(&s, "$data << EOD\nthreshold all");
  for (const std::string& f : r.families) absl::StrAppend(&s, " ", f);
  absl::StrAppend(&s, "\n");
  std::vector<std::vector<ThresholdStats>> cols;
  cols.push_back(SweepStats(r, mode, "all", "", o.min_quality));
  for (const std::string& f : r.families) {
    cols.push_back(SweepStats(r, mode, "family", f, o.min_quality));
  }
  for (int t = 0; t <= kMaxThreshold; ++t) {
    absl::StrAppend(&s, t);
    for (const auto& c : cols) {
      const double v = c[t].tpr;
      absl::StrAppend(&s, " ", std::isnan(v) ? "NaN" : Fixed(v, 6));
    }
    absl::StrAppend(&s, "\n");
  }
  absl::StrAppend(
      &s, "EOD\n", "set output ", GnuplotQuote(file), "\n", "set title ",
      GnuplotQuote(absl::StrCat("Recall per transform family vs threshold (",
                                MatchModeName(mode), " matching)")),
      "\n",
      "set xlabel 'distance threshold'\nset ylabel 'recall (share of copies "
      "found)'\n",
      "set xrange [0:64]\nset yrange [0:1.02]\nset key outside right top\n",
      ThresholdArrows(o, false),
      "colours = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 "
      "#7f7f7f #bcbd22 "
      "#17becf #393b79 #637939 #8c6d31 #843c39 #7b4173'\n",
      "plot $data using 1:2 with lines lw 4 lc rgb 'black' title 'all copies', "
      "\\\n",
      "     for [i=3:", 2 + r.families.size(),
      "] $data using 1:i with lines lw 2 dt 1+(i-3)/15 lc rgb word(colours, "
      "(i-3)%15+1) "
      "title columnheader(i)\n");
  return s;
}

std::string PrecisionRecallPlot(const SweepOptions& o, const SweepResult& r) {
  std::string s = GnuplotPreamble();
  const std::set<int> marks = {0, 10, 20, 31, 48, 64};
  for (MatchMode mode : kModes) {
    const auto rows = SweepStats(r, mode, "all", "", o.min_quality);
    absl::StrAppend(&s, "$", MatchModeName(mode), " << EOD\n");
    for (const ThresholdStats& row : rows) {
      if (std::isnan(row.precision) || std::isnan(row.tpr)) continue;
      absl::StrAppend(
          &s, Fixed(row.tpr, 6), " ", Fixed(row.precision, 6), " ",
          marks.count(row.threshold) ? absl::StrCat(row.threshold) : "\"\"",
          "\n");
    }
    absl::StrAppend(&s, "EOD\n");
  }
  int64_t false_pairs = 0;
  for (MatchMode mode : kModes) {
    false_pairs +=
        SweepStats(r, mode, "all", "", o.min_quality)[kMaxThreshold].fp_pairs;
  }
  if (false_pairs == 0) {
    absl::StrAppend(
        &s, "set label ",
        GnuplotQuote(absl::StrCat(
            "no false match at any threshold up to 64 (",
            SweepStats(r, MatchMode::kPlain, "all", "", o.min_quality)[0]
                .nonmatch_pairs,
            " non-matching pairs per mode)")),
        " at graph 0.5, graph 0.5 center\n");
  }
  absl::StrAppend(
      &s, "set output 'precision_recall.png'\n",
      "set title 'Precision vs recall, one point per threshold 0..64 (labels: "
      "threshold)'\n",
      "set xlabel 'recall (share of copies matched to their source)'\n",
      "set ylabel 'precision (share of matches that are right)'\n",
      "set xrange [0:1.02]\nset yrange [0:1.05]\nset key bottom left\n",
      "plot $plain using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb "
      "'#1f77b4' title 'plain', \\\n",
      "     $plain using 1:2:3 with labels offset 0,0.8 font ',8' tc rgb "
      "'#1f77b4' notitle, \\\n",
      "     $dihedral using 1:2 with linespoints pt 5 ps 0.6 lw 2 lc rgb "
      "'#9467bd' "
      "title 'dihedral (8 variants)', \\\n",
      "     $dihedral using 1:2:3 with labels offset 0,-0.8 font ',8' tc rgb "
      "'#9467bd' notitle, \\\n",
      "     $robust using 1:2 with linespoints pt 9 ps 0.6 lw 2 lc rgb "
      "'#2ca02c' title 'robust (variants + recovered regions)'\n");
  return s;
}

std::string TradeoffPlot(const SweepOptions& o, const SweepResult& r) {
  const MatchMode mode = Primary(o);
  const auto all = SweepStats(r, mode, "all", "", o.min_quality);
  const auto distractors =
      SweepStats(r, mode, "distractors", "", o.min_quality);
  std::string s = GnuplotPreamble();
  absl::StrAppend(&s, "$data << EOD\n");
  for (int t = 0; t <= kMaxThreshold; ++t) {
    absl::StrAppend(&s, t, " ", Fixed(all[t].tpr, 6), " ",
                    Fixed(all[t].tpr_gated, 6), " ", all[t].fp_pairs, " ",
                    distractors[t].fp_images, "\n");
  }
  absl::StrAppend(
      &s, "EOD\n", "set output 'tradeoff.png'\n", "set title ",
      GnuplotQuote(absl::StrCat("Recall and false positives vs threshold (",
                                MatchModeName(mode), ")")),
      "\n",
      "set xlabel 'distance threshold'\nset ylabel 'recall'\nset yrange "
      "[0:1.02]\n",
      "set y2label 'false positives (count)'\nset y2tics\nset ytics nomirror\n",
      "set y2range [0:*]\nset xrange [0:64]\nset key bottom right\n",
      ThresholdArrows(o, true),
      "plot $data using 1:2 with lines lw 3 lc rgb 'black' title 'recall', "
      "\\\n",
      "     $data using 1:3 with lines lw 2 dt 2 lc rgb 'black' title ",
      GnuplotQuote(absl::StrCat("recall, quality >= ", o.min_quality, " only")),
      ", \\\n",
      "     $data using 1:4 axes x1y2 with steps lw 2 lc rgb '#d62728' "
      "title 'false-positive pairs (all queries)', \\\n",
      "     $data using 1:5 axes x1y2 with steps lw 2 lc rgb '#ff7f0e' "
      "title 'distractors with any match'\n");
  return s;
}

// ---------------------------------------------------------------------------
// HTML.

std::string Command(const SweepOptions& o) {
  return o.command_line.empty() ? "(library call)" : o.command_line;
}

absl::StatusOr<std::string> SweepHtml(const SweepOptions& o,
                                      const SweepResult& r) {
  const MatchMode primary = Primary(o), secondary = Secondary(o);
  HtmlReport html("hashwatch threshold sweep");
  html.Paragraph(RenderTemplate(
      "sweep_intro.html",
      {{"input", HtmlEscape(r.input)},
       {"known", absl::StrCat(r.known)},
       {"bank_entries", absl::StrCat(r.bank_entries)},
       {"copies", absl::StrCat(r.copies)},
       {"transforms", absl::StrCat(r.groups.size())},
       {"distractors", absl::StrCat(r.distractors)},
       {"hashed", absl::StrCat(r.pictures_hashed)},
       {"hash_seconds", Fixed(r.hash_seconds, 1)},
       {"hash_rate",
        Fixed(r.pictures_hashed / std::max(1e-9, r.hash_seconds), 1)},
       {"threads", absl::StrCat(r.threads)},
       {"match_seconds", Fixed(r.match_seconds, 2)},
       {"primary", MatchModeName(primary)},
       {"closest_primary", absl::StrCat(ClosestDifferent(r, primary).first)},
       {"closest_primary_file",
        HtmlEscape(ClosestDifferent(r, primary).second)},
       {"closest_secondary",
        absl::StrCat(ClosestDifferent(r, secondary).first)},
       {"secondary", MatchModeName(secondary)}}));
  if (!r.failures.empty()) {
    std::string list;
    for (const Failure& f : r.failures) {
      absl::StrAppend(&list, "<li><code>", HtmlEscape(f.file),
                      "</code>: ", HtmlEscape(f.reason), "</li>");
    }
    html.Raw(
        absl::StrCat("<div class=\"warn\"><b>", r.failures.size(),
                     " file(s) could not be used</b> and are left out:<ul>",
                     list, "</ul></div>"));
  }

  html.Heading(2, "How to read this report");
  html.Raw(RenderTemplate(
      "sweep_guide.html",
      {{"auto_threshold", absl::StrCat(o.auto_threshold)},
       {"review_threshold", absl::StrCat(o.review_threshold)},
       {"min_quality", absl::StrCat(o.min_quality)},
       {"nonmatch_pairs",
        absl::StrCat(SweepStats(r, primary, "all", "", o.min_quality)[0]
                         .nonmatch_pairs)}}));

  html.Heading(2, "Headline numbers");
  {
    const auto p = SweepStats(r, primary, "all", "", o.min_quality);
    const auto s = SweepStats(r, secondary, "all", "", o.min_quality);
    const auto pd = SweepStats(r, primary, "distractors", "", o.min_quality);
    std::vector<std::vector<HtmlCell>> rows;
    for (int t : TableThresholds(o)) {
      std::string label = absl::StrCat(t);
      if (t == o.auto_threshold) absl::StrAppend(&label, " (auto)");
      if (t == o.review_threshold) absl::StrAppend(&label, " (review)");
      rows.push_back({label, HtmlCell(Pct(p[t].tpr), RatioColour(p[t].tpr)),
                      Pct(p[t].tpr_gated), Pct(s[t].tpr),
                      absl::StrCat(p[t].fp_pairs), absl::StrCat(p[t].fp_images),
                      absl::StrCat(pd[t].fp_images, " of ", pd[t].queries),
                      Pct(p[t].precision, 2)});
    }
    html.Table(
        {"threshold", absl::StrCat("recall (", MatchModeName(primary), ")"),
         absl::StrCat("recall, quality &ge; ", o.min_quality),
         absl::StrCat("recall (", MatchModeName(secondary), ")"),
         "false-positive pairs", "pictures with a false match",
         "distractors matched", "precision"},
        rows);
  }

  html.Heading(2, absl::StrCat("Routing at auto-report <= ", o.auto_threshold,
                               ", review <= ", o.review_threshold,
                               ", quality gate ", o.min_quality));
  {
    std::vector<std::vector<HtmlCell>> rows;
    for (MatchMode mode : kModes) {
      const RouteCounts c =
          CountRoutes(Select(r, mode, "all", ""), o.auto_threshold,
                      o.review_threshold, o.min_quality);
      rows.push_back(
          {std::string(MatchModeName(mode)), absl::StrCat(c.auto_material),
           HtmlCell(absl::StrCat(c.auto_benign),
                    c.auto_benign > 0 ? "#ffb3b3" : ""),
           absl::StrCat(c.review_material), absl::StrCat(c.review_benign),
           absl::StrCat(c.gated_to_review), absl::StrCat(c.missed_material)});
    }
    html.Table(
        {"mode", "auto-reported copies", "false auto-reports (distractors)",
         "copies to review", "distractors to review",
         "copies sent to review by the "
         "quality gate",
         "copies missed"},
        rows);
    html.Paragraph(Template("sweep_routing_note.html"));
  }

  html.Heading(2, "Plots");
  struct Plot {
    std::string file;
    std::string caption_html;
  };
  const std::string p_name(MatchModeName(primary)),
      s_name(MatchModeName(secondary));
  std::vector<Plot> plots = {
      {"distances.png", std::string(Template("sweep_distances_caption.html"))},
      {"tradeoff.png", std::string(Template("sweep_tradeoff_caption.html"))},
      {"precision_recall.png",
       std::string(Template("sweep_precision_recall_caption.html"))},
      {RecallPng(primary), RenderTemplate("sweep_recall_caption.html",
                                          {{"mode", HtmlEscape(p_name)}})},
  };
  for (MatchMode mode : kModes) {
    if (mode == primary) continue;
    plots.push_back(
        {RecallPng(mode),
         RenderTemplate("sweep_recall_other_caption.html",
                        {{"mode", HtmlEscape(MatchModeName(mode))}})});
  }
  if (o.plots) {
    for (const Plot& p : plots) {
      HW_RETURN_IF_ERROR(
          html.Image(Join(o.out_dir, p.file), p.file, p.caption_html));
    }
  } else {
    html.Paragraph("Plots were not drawn (--no-plots).");
  }

  html.Heading(2, "Recall per transform");
  {
    const std::vector<int> ts = {
        0, o.auto_threshold, 20, o.review_threshold, 48, 64};
    std::vector<std::string> header = {"transform", "family"};
    for (int t : ts)
      absl::StrAppend(&header.emplace_back(), "&le; ", t, " ", p_name);
    header.push_back(absl::StrCat("&le; ", o.review_threshold, " ", s_name));
    header.push_back(absl::StrCat("copies below quality ", o.min_quality));
    header.push_back("what it is");
    std::vector<std::vector<HtmlCell>> rows;
    for (const SweepGroup& g : r.groups) {
      const auto p = SweepStats(r, primary, "transform", g.name, o.min_quality);
      const auto s =
          SweepStats(r, secondary, "transform", g.name, o.min_quality);
      int low = 0;
      for (const QueryOutcome* q : Select(r, primary, "transform", g.name)) {
        low += q->quality < o.min_quality;
      }
      std::vector<HtmlCell> row = {
          HtmlCell(absl::StrCat("<code>", HtmlEscape(g.name), "</code>")),
          HtmlEscape(g.family)};
      for (int t : ts)
        row.push_back(HtmlCell(Pct(p[t].tpr, 0), RatioColour(p[t].tpr)));
      row.push_back(HtmlCell(Pct(s[o.review_threshold].tpr, 0),
                             RatioColour(s[o.review_threshold].tpr)));
      row.push_back(absl::StrCat(low));
      row.push_back(HtmlEscape(g.description));
      rows.push_back(std::move(row));
    }
    html.Table(header, rows);
  }

  internal::AppendRobustHtml(o, r, html);

  html.Heading(2, "Files and reproduction");
  html.Paragraph(RenderTemplate(
      "sweep_files.html",
      {{"ignored", r.ignored.empty()
                       ? ""
                       : absl::StrCat(r.ignored.size(),
                                      " file(s) without a picture extension "
                                      "were ignored. ")}}));
  html.Raw(absl::StrCat("<pre>", HtmlEscape(Command(o)), "</pre>"));
  return html.Finish();
}

}  // namespace

std::vector<ThresholdStats> SweepStats(const SweepResult& result,
                                       MatchMode mode, absl::string_view level,
                                       absl::string_view group,
                                       int min_quality) {
  return SweepThresholds(Select(result, mode, level, group),
                         result.bank_entries, min_quality);
}

std::string SweepCsv(const SweepResult& r, int min_quality) {
  std::string out =
      "mode,level,group,threshold,queries,positives,tp,tpr,tp_gated,tpr_gated,"
      "fp_pairs,"
      "fp_pairs_gated,fp_images,fp_images_gated,nonmatch_pairs,precision\n";
  for (MatchMode mode : kModes) {
    std::vector<std::pair<std::string, std::string>> groups = {
        {"all", ""}, {"distractors", ""}};
    if (r.benign > 0) groups.push_back({"benign", ""});
    for (const std::string& f : r.families) groups.push_back({"family", f});
    for (const SweepGroup& g : r.groups)
      groups.push_back({"transform", g.name});
    for (const auto& [level, group] : groups) {
      for (const ThresholdStats& s :
           SweepStats(r, mode, level, group, min_quality)) {
        out += CsvLine(
            {std::string(MatchModeName(mode)), level, group,
             absl::StrCat(s.threshold), absl::StrCat(s.queries),
             absl::StrCat(s.positives), absl::StrCat(s.tp), Fixed(s.tpr, 6),
             absl::StrCat(s.tp_gated), Fixed(s.tpr_gated, 6),
             absl::StrCat(s.fp_pairs), absl::StrCat(s.fp_pairs_gated),
             absl::StrCat(s.fp_images), absl::StrCat(s.fp_images_gated),
             absl::StrCat(s.nonmatch_pairs), Fixed(s.precision, 6)});
      }
    }
  }
  return out;
}

std::string SplitCsv(const SweepResult& r, const SweepOptions& o) {
  std::string out =
      "mode,group,auto_threshold,review_threshold,min_quality,auto_material,"
      "auto_benign,"
      "review_material,review_benign,missed_material,none_benign,gated_to_"
      "review\n";
  for (MatchMode mode : kModes) {
    std::vector<std::pair<std::string, std::string>> groups = {
        {"all", "all"}, {"distractors", "distractors"}};
    if (r.benign > 0) groups.push_back({"benign", "benign"});
    for (const SweepGroup& g : r.groups)
      groups.push_back({"transform", g.name});
    for (const auto& [level, name] : groups) {
      const RouteCounts c =
          CountRoutes(Select(r, mode, level, name), o.auto_threshold,
                      o.review_threshold, o.min_quality);
      out += CsvLine(
          {std::string(MatchModeName(mode)), name,
           absl::StrCat(o.auto_threshold), absl::StrCat(o.review_threshold),
           absl::StrCat(o.min_quality), absl::StrCat(c.auto_material),
           absl::StrCat(c.auto_benign), absl::StrCat(c.review_material),
           absl::StrCat(c.review_benign), absl::StrCat(c.missed_material),
           absl::StrCat(c.none_benign), absl::StrCat(c.gated_to_review)});
    }
  }
  return out;
}

std::string QueriesCsv(const SweepResult& r) {
  std::string out =
      "file,role,source,transform,family,quality,width,height,plain_source_"
      "distance,"
      "plain_nearest_other,dihedral_source_distance,dihedral_nearest_other,"
      "robust_source_distance,robust_nearest_other,regions,best_path\n";
  auto d = [](int v) { return v < 0 ? std::string() : absl::StrCat(v); };
  for (const SweepQuery& q : r.queries) {
    const SweepGroup* g = q.group >= 0 ? &r.groups[q.group] : nullptr;
    out += CsvLine(
        {q.file, q.benign ? "benign" : std::string(RoleName(q.role)), q.source,
         g ? g->name : "", g ? g->family : "", absl::StrCat(q.quality),
         absl::StrCat(q.width), absl::StrCat(q.height), d(q.source_distance[0]),
         d(q.nearest_other[0]), d(q.source_distance[1]), d(q.nearest_other[1]),
         d(q.source_distance[2]), d(q.nearest_other[2]),
         absl::StrCat(q.regions), BestPathName(q)});
  }
  return out;
}

std::string DistancesCsv(const SweepResult& r) {
  std::string out = "mode,distance,same_pairs,different_pairs\n";
  for (MatchMode mode : kModes) {
    const int m = static_cast<int>(mode);
    for (int d = 0; d <= 256; ++d) {
      out += CsvLine({std::string(MatchModeName(mode)), absl::StrCat(d),
                      absl::StrCat(r.same_histogram[m][d]),
                      absl::StrCat(r.different_histogram[m][d])});
    }
  }
  return out;
}

absl::Status WriteSweepOutputs(const SweepOptions& o, const SweepResult& r) {
  if (o.plots && !GnuplotAvailable()) {
    return absl::FailedPreconditionError(
        "sweep: gnuplot is not installed (Debian package gnuplot-nox; "
        "scripts/install-deps.sh "
        "installs it); pass --no-plots to write the CSVs and report without "
        "plots");
  }
  HW_RETURN_IF_ERROR(MakeDirs(o.out_dir));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "sweep.csv"), SweepCsv(r, o.min_quality)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "split.csv"), SplitCsv(r, o)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "queries.csv"), QueriesCsv(r)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "distances.csv"), DistancesCsv(r)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "paths.csv"), PathsCsv(r, o)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(o.out_dir, "benign.csv"), BenignCsv(r, o)));
  if (o.plots) {
    HW_RETURN_IF_ERROR(RunGnuplot(o.out_dir, DistancePlot(o, r)));
    HW_RETURN_IF_ERROR(RunGnuplot(o.out_dir, TradeoffPlot(o, r)));
    HW_RETURN_IF_ERROR(RunGnuplot(o.out_dir, PrecisionRecallPlot(o, r)));
    for (MatchMode mode : kModes) {
      HW_RETURN_IF_ERROR(
          RunGnuplot(o.out_dir, RecallPlot(o, r, mode, RecallPng(mode))));
    }
  }
  HW_ASSIGN_OR_RETURN(std::string html, SweepHtml(o, r));
  return WriteWholeFile(Join(o.out_dir, "report.html"), html);
}

std::string SweepSummary(const SweepOptions& o, const SweepResult& r) {
  const MatchMode primary = Primary(o), secondary = Secondary(o);
  std::string s = absl::StrFormat(
      "sweep: %s: %d known (bank of %d PDQ hashes), %d copies (%d transforms), "
      "%d distractors (%d from the benign set); "
      "%d file(s) failed\n",
      r.input, r.known, r.bank_entries, r.copies, r.groups.size(),
      r.distractors, r.benign, r.failures.size());
  absl::StrAppend(
      &s, absl::StrFormat(
              "hashed %d pictures in %.1f s: %.1f pictures/s on %d threads "
              "(copies generated on the fly); matching %.2f s\n\n",
              r.pictures_hashed, r.hash_seconds,
              r.pictures_hashed / std::max(1e-9, r.hash_seconds), r.threads,
              r.match_seconds));
  const auto p = SweepStats(r, primary, "all", "", o.min_quality);
  const auto q = SweepStats(r, secondary, "all", "", o.min_quality);
  const auto d = SweepStats(r, primary, "distractors", "", o.min_quality);
  absl::StrAppend(
      &s, absl::StrFormat(
              "| threshold | recall %s | recall q>=%d | recall %s | FP pairs | "
              "FP pictures | distractors matched | precision |\n",
              MatchModeName(primary), o.min_quality, MatchModeName(secondary)));
  absl::StrAppend(&s, "|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int t : TableThresholds(o)) {
    absl::StrAppend(
        &s, absl::StrFormat("| %d | %s | %s | %s | %d | %d | %d/%d | %s |\n", t,
                            Pct(p[t].tpr), Pct(p[t].tpr_gated), Pct(q[t].tpr),
                            p[t].fp_pairs, p[t].fp_images, d[t].fp_images,
                            d[t].queries, Pct(p[t].precision, 2)));
  }
  for (MatchMode mode : kModes) {
    const RouteCounts c =
        CountRoutes(Select(r, mode, "all", ""), o.auto_threshold,
                    o.review_threshold, o.min_quality);
    absl::StrAppend(
        &s,
        absl::StrFormat(
            "\nrouting (%s, auto<=%d, review<=%d, quality>=%d): auto-report %d "
            "copies + %d distractors; review %d copies (%d by the quality "
            "gate) + %d distractors; missed %d copies",
            MatchModeName(mode), o.auto_threshold, o.review_threshold,
            o.min_quality, c.auto_material, c.auto_benign, c.review_material,
            c.gated_to_review, c.review_benign, c.missed_material));
  }
  for (MatchMode mode : kModes) {
    const auto [d, file] = ClosestDifferent(r, mode);
    absl::StrAppend(
        &s, absl::StrFormat("\nclosest different pictures (%s): %d bits (%s)",
                            MatchModeName(mode), d, file));
  }
  absl::StrAppend(&s, "\n", internal::RobustSummary(o, r));
  for (const Failure& f : r.failures) {
    absl::StrAppend(&s, "failed: ", f.file, ": ", f.reason, "\n");
  }
  return s;
}

}  // namespace hashwatch::bench
