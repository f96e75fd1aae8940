// The capacity planner's outputs (declared in bench/eval/capacity.h).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/eval/capacity.h"
#include "bench/eval/csv.h"
#include "bench/eval/html.h"
#include "bench/eval/io.h"
#include "bench/eval/plot.h"
#include "bench/eval/templates.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
namespace {

using queue::kPriorityClassCount;
using queue::PriorityClass;

std::string Join(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, dir.empty() || dir.back() == '/' ? "" : "/", name);
}

std::string ClassName(int c) {
  return std::string(queue::PriorityClassName(static_cast<PriorityClass>(c)));
}

// Minutes as a short human duration: "42 min", "3.5 h", "2.1 d".
std::string Duration(double minutes, bool lower_bound = false) {
  if (std::isnan(minutes)) return "n/a";
  std::string s;
  if (minutes < 90) {
    s = absl::StrCat(Fixed(minutes, minutes < 10 ? 1 : 0), " min");
  } else if (minutes < 48 * 60) {
    s = absl::StrCat(Fixed(minutes / 60, 1), " h");
  } else {
    s = absl::StrCat(Fixed(minutes / 1440, 1), " d");
  }
  return lower_bound ? absl::StrCat("&ge; ", s) : s;
}

std::string Count(double v) {
  if (std::isnan(v)) return "n/a (no sweep)";
  return Fixed(v, v < 10 ? 2 : 0);
}

std::string WaitRow(const std::string& group, const WaitStats& w) {
  return CsvLine({group, absl::StrCat(w.arrivals), absl::StrCat(w.served),
                  absl::StrCat(w.waiting_end), Fixed(w.mean_minutes, 2),
                  Fixed(w.p50_minutes, 2), Fixed(w.p90_minutes, 2),
                  Fixed(w.p95_minutes, 2), Fixed(w.p99_minutes, 2),
                  Fixed(w.max_minutes, 2), Fixed(w.sla_minutes, 2),
                  absl::StrCat(w.breaches), Fixed(w.breach_fraction, 6),
                  w.lower_bound ? "1" : "0"});
}

std::string WaitsPlot(const CapacityResult& r) {
  std::string s = GnuplotPreamble();
  absl::StrAppend(&s, "$data << EOD\n");
  for (int c = 0; c < kPriorityClassCount; ++c) {
    const WaitStats& w = r.by_class[c];
    auto v = [](double m) {
      return std::isnan(m) ? std::string("NaN") : Fixed(m / 60, 4);
    };
    absl::StrAppend(&s, ClassName(c), w.lower_bound ? "*" : "", " ",
                    v(w.p50_minutes), " ", v(w.p90_minutes), " ",
                    v(w.p95_minutes), " ", v(w.sla_minutes), "\n");
  }
  absl::StrAppend(
      &s, "EOD\n", "set output 'waits.png'\n",
      "set title 'Wait until a moderator picks the item up, per priority class "
      "(* = some never picked up: lower bounds)'\n",
      "set ylabel 'hours (log scale)'\nset logscale y\nset yrange [0.01:*]\n",
      "set style fill solid 0.85 border -1\n",
      "set key outside bottom center horizontal\nset xrange [-0.6:3.6]\nset "
      "xtics nomirror\n",
      "plot $data using ($0-0.27):2:(0.25) with boxes lc rgb '#9ecae1' title "
      "'median', "
      "\\\n",
      "     '' using ($0):3:(0.25):xtic(1) with boxes lc rgb '#4292c6' title "
      "'90th percentile', "
      "\\\n",
      "     '' using ($0+0.27):4:(0.25) with boxes lc rgb '#08519c' title "
      "'95th percentile', \\\n",
      "     '' using 0:5 with points pt 9 ps 2.5 lc rgb '#d62728' title "
      "'SLA'\n");
  return s;
}

std::string BacklogPlot(const CapacityResult& r) {
  std::string s = GnuplotPreamble(1000, 520);
  absl::StrAppend(&s, "$data << EOD\n");
  for (const BacklogSample& b : r.backlog) {
    absl::StrAppend(&s, Fixed(b.hour / 24, 4));
    for (int c = 0; c < kPriorityClassCount; ++c)
      absl::StrAppend(&s, " ", b.waiting[c]);
    absl::StrAppend(&s, " ", b.overdue, " ", b.on_shift, "\n");
  }
  absl::StrAppend(
      &s, "EOD\n", "set output 'backlog.png'\n",
      "set title 'Items waiting over the simulated period (grey: moderators on "
      "shift, right "
      "axis)'\n",
      "set xlabel 'day (0 = Monday 00:00)'\nset ylabel 'items waiting'\nset "
      "yrange [0:*]\n",
      "set y2label 'moderators on shift'\nset y2range [0:*]\nset y2tics\nset "
      "ytics nomirror\n",
      "set xrange [0:", Fixed(r.hours / 24, 2), "]\nset xtics 1\n",
      "set key outside bottom center horizontal\n",
      "set style fill transparent solid 0.15 noborder\n",
      "plot $data using 1:7 axes x1y2 with fillsteps lc rgb '#777777' title "
      "'on shift', "
      "\\\n",
      "     $data using 1:2 with lines lw 2 lc rgb '#d62728' title 'critical', "
      "\\\n",
      "     $data using 1:3 with lines lw 2 lc rgb '#ff7f0e' title 'high', "
      "\\\n",
      "     $data using 1:4 with lines lw 2 lc rgb '#1f77b4' title 'normal', "
      "\\\n",
      "     $data using 1:5 with lines lw 2 lc rgb '#7f7f7f' title 'low', \\\n",
      "     $data using 1:6 with lines lw 2 dt 2 lc rgb 'black' title 'overdue "
      "(any class)'\n");
  return s;
}

std::string SearchPlot(const CapacityOptions& o, const SearchResult& sr) {
  std::string s = GnuplotPreamble();
  absl::StrAppend(&s, "$data << EOD\n");
  for (const SearchPoint& p : sr.points) {
    absl::StrAppend(&s, p.review_threshold, " ",
                    Fixed(100 * p.target_breach_fraction, 4), " ",
                    Fixed(p.missed_per_week, 4), "\n");
  }
  absl::StrAppend(
      &s, "EOD\n", "set output 'search.png'\n", "set title ",
      GnuplotQuote(absl::StrCat(
          "Review threshold vs ", queue::PriorityClassName(o.target_class),
          "-class SLA breaches (auto-report <= ", sr.auto_threshold, ")")),
      "\n", "set xlabel 'review threshold'\nset xrange [", sr.auto_threshold,
      ":64]\n", "set ylabel 'SLA breaches, % of the class'\nset yrange [0:*]\n",
      "set y2label 'known material missed per week'\nset y2tics\n"
      "set ytics nomirror\nset y2range [0:*]\n",
      "set key top center\n");
  absl::StrAppend(&s, "set arrow from graph 0, first ",
                  Fixed(100 * o.max_breach_fraction, 3), " to graph 1, first ",
                  Fixed(100 * o.max_breach_fraction, 3),
                  " nohead dt 2 lc rgb '#d62728'\n");
  if (sr.best >= 0) {
    const int r = sr.points[sr.best].review_threshold;
    absl::StrAppend(&s, "set arrow from ", r, ", graph 0 to ", r,
                    ", graph 1 nohead lw 2 lc rgb '#2ca02c'\n",
                    "set label 'chosen: ", r, "' at ", r,
                    ", graph 0.92 offset 0.5,0 tc rgb '#2ca02c'\n");
  }
  absl::StrAppend(
      &s,
      "plot $data using 1:2 with linespoints pt 7 lw 2 lc rgb '#d62728' title "
      "'SLA breaches (%)', \\\n",
      "     $data using 1:3 axes x1y2 with linespoints pt 5 lw 2 lc rgb "
      "'#1f77b4' title "
      "'material missed per week'\n");
  return s;
}

// "09:00" for 9.0, "22:30" for 22.5; hours past midnight wrap.
std::string ClockTime(double hours) {
  const int minutes = static_cast<int>(std::lround(hours * 60)) % (24 * 60);
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

std::string ShiftsText(const CapacityOptions& o) {
  std::string s;
  for (const ShiftSpec& sh : o.shifts) {
    absl::StrAppend(&s, s.empty() ? "" : ", ", sh.moderators, " moderator",
                    sh.moderators == 1 ? "" : "s", " ",
                    ClockTime(sh.start_hour), "-",
                    ClockTime(sh.start_hour + sh.hours));
  }
  return absl::StrCat(s, "; ", o.days_per_week, " day",
                      o.days_per_week == 1 ? "" : "s", " a week; ",
                      Fixed(o.items_per_hour, 1), " items/hour each");
}

absl::StatusOr<std::string> CapacityHtml(const CapacityReportInput& in,
                                         const CapacityOptions& o,
                                         const CapacityResult& r,
                                         const SearchResult* sr) {
  HtmlReport html("hashwatch moderator-capacity plan");
  const Flows& f = r.flows;
  const WaitStats& top = r.by_class[static_cast<int>(o.target_class)];
  html.Paragraph(RenderTemplate(
      "capacity_intro.html",
      {{"days", Fixed(r.hours / 24, 1)},
       {"team", HtmlEscape(ShiftsText(o))},
       {"auto_threshold", absl::StrCat(o.auto_threshold)},
       {"review_threshold", absl::StrCat(o.review_threshold)},
       {"arrivals", absl::StrCat(r.all.arrivals)},
       {"served", absl::StrCat(r.all.served)},
       {"waiting", absl::StrCat(r.all.waiting_end)},
       {"target_class", HtmlEscape(queue::PriorityClassName(o.target_class))},
       {"breaches", absl::StrCat(top.breaches)},
       {"target_arrivals", absl::StrCat(top.arrivals)},
       {"utilisation", Fixed(100 * f.utilization, 0)}}));
  if (sr != nullptr) {
    if (sr->best >= 0) {
      const SearchPoint& p = sr->points[sr->best];
      html.Raw(RenderTemplate(
          "capacity_search_found.html",
          {{"auto_threshold", absl::StrCat(p.auto_threshold)},
           {"review_threshold", absl::StrCat(p.review_threshold)},
           {"target_class",
            HtmlEscape(queue::PriorityClassName(o.target_class))},
           {"breach_percent", Fixed(100 * p.target_breach_fraction, 1)},
           {"max_breach_percent", Fixed(100 * o.max_breach_fraction, 1)},
           {"missed_per_week", Fixed(p.missed_per_week, 1)},
           {"auto_reason", HtmlEscape(sr->auto_reason)}}));
    } else {
      html.Raw(RenderTemplate(
          "capacity_search_none.html",
          {{"target_class",
            HtmlEscape(queue::PriorityClassName(o.target_class))},
           {"auto_threshold", absl::StrCat(sr->auto_threshold)}}));
    }
  }

  html.Heading(2, "How to read this report");
  html.Raw(Template("capacity_guide.html"));

  html.Heading(2, "Flows over the period");
  {
    std::vector<std::vector<HtmlCell>> rows = {
        {"uploads scanned", Count(f.uploads)},
        {"known material among them", Count(f.known_uploads)},
        {"material reported automatically", Count(f.auto_reported_material)},
        {HtmlCell("false automatic reports"),
         HtmlCell(
             Count(f.false_auto_reports),
             !std::isnan(f.false_auto_reports) && f.false_auto_reports > 0.5
                 ? "#ffb3b3"
                 : "")},
        {"material sent to review (list matches)", Count(f.review_material)},
        {"false matches sent to review", Count(f.review_benign)},
        {"novel items (classifier)", Count(f.novel)},
        {"user reports", Count(f.user_reports)},
        {HtmlCell("<b>known material missed by the thresholds</b>"),
         HtmlCell(Count(f.missed_by_thresholds))},
        {"material still unreviewed at the end",
         absl::StrCat(f.material_unreviewed_end)},
        {"decisions made", absl::StrCat(f.decided)},
        {"escalations", absl::StrCat(f.escalated)},
        {"welfare refusals (breaks)", absl::StrCat(f.welfare_refusals)},
        {"moderator hours on shift", Fixed(f.moderator_hours, 0)},
        {"review work arriving (hours at the given speed)",
         Fixed(f.offered_hours, 0)},
        {"utilisation", absl::StrCat(Fixed(100 * f.utilization, 0), "%")},
    };
    html.Table({"flow", "items"}, rows);
    if (f.offered_hours > f.moderator_hours) {
      html.Raw(
          RenderTemplate("capacity_overload.html",
                         {{"offered_hours", Fixed(f.offered_hours, 0)},
                          {"moderator_hours", Fixed(f.moderator_hours, 0)}}));
    }
  }

  html.Heading(2, "Waits per priority class and lane");
  {
    std::vector<std::vector<HtmlCell>> rows;
    auto add = [&](const std::string& name, const WaitStats& w) {
      const bool bad = !std::isnan(w.breach_fraction) && w.breach_fraction > 0;
      rows.push_back(
          {HtmlEscape(name), absl::StrCat(w.arrivals),
           absl::StrCat(w.waiting_end), Duration(w.mean_minutes, w.lower_bound),
           Duration(w.p50_minutes, w.lower_bound),
           Duration(w.p90_minutes, w.lower_bound),
           Duration(w.p95_minutes, w.lower_bound),
           Duration(w.max_minutes, w.lower_bound), Duration(w.sla_minutes),
           HtmlCell(std::isnan(w.breach_fraction)
                        ? absl::StrCat(w.breaches)
                        : absl::StrCat(w.breaches, " (",
                                       Fixed(100 * w.breach_fraction, 1), "%)"),
                    bad ? "#ffd0c0" : "")});
    };
    for (int c = 0; c < kPriorityClassCount; ++c)
      add(ClassName(c), r.by_class[c]);
    for (const auto& [lane, w] : r.by_lane) add(absl::StrCat("lane ", lane), w);
    add("all", r.all);
    html.Table({"group", "items", "never picked up", "mean wait", "median",
                "90th pct", "95th pct", "longest", "SLA", "SLA breaches"},
               rows);
  }

  html.Heading(2, "Plots");
  if (in.plots) {
    HW_RETURN_IF_ERROR(html.Image(Join(in.out_dir, "waits.png"), "waits",
                                  Template("capacity_waits_caption.html")));
    HW_RETURN_IF_ERROR(html.Image(Join(in.out_dir, "backlog.png"), "backlog",
                                  Template("capacity_backlog_caption.html")));
    if (sr != nullptr) {
      HW_RETURN_IF_ERROR(html.Image(Join(in.out_dir, "search.png"), "search",
                                    Template("capacity_search_caption.html")));
    }
  } else {
    html.Paragraph("Plots were not drawn (--no-plots).");
  }

  if (sr != nullptr) {
    html.Heading(2, "Threshold search");
    html.Paragraph(absl::StrCat("Auto-report threshold ", sr->auto_threshold,
                                ": ", HtmlEscape(sr->auto_reason), "."));
    std::vector<std::vector<HtmlCell>> rows;
    for (size_t i = 0; i < sr->points.size(); ++i) {
      const SearchPoint& p = sr->points[i];
      rows.push_back(
          {absl::StrCat(p.review_threshold,
                        static_cast<int>(i) == sr->best ? " (chosen)" : ""),
           Fixed(p.review_per_hour, 1),
           HtmlCell(absl::StrCat(Fixed(100 * p.target_breach_fraction, 1), "%"),
                    p.feasible ? "#d8f0d0" : "#ffd0c0"),
           Duration(p.target_p95_minutes, p.target_lower_bound),
           Fixed(p.missed_per_week, 1), Fixed(p.false_auto_per_week, 2)});
    }
    html.Table(
        {"review threshold", "review items/hour",
         absl::StrCat(queue::PriorityClassName(o.target_class),
                      " SLA breaches"),
         "95th pct wait", "material missed/week", "false auto-reports/week"},
        rows);
  }

  html.Heading(2, "Inputs");
  {
    std::string severity, signals;
    for (const auto& [c, w] : o.severity) {
      absl::StrAppend(&severity, severity.empty() ? "" : ", ", c, "=",
                      Fixed(w, 3));
    }
    for (const auto& [s, p] : o.signals) {
      absl::StrAppend(&signals, signals.empty() ? "" : ", ", s, "=",
                      Fixed(p, 3));
    }
    std::string lanes;
    for (const queue::LaneOptions& l : o.lanes) {
      absl::StrAppend(&lanes, lanes.empty() ? "" : "; ", l.name,
                      l.served_first ? " (served first)"
                                     : absl::StrCat(" weight ", l.weight));
    }
    std::vector<std::vector<HtmlCell>> rows = {
        {"load",
         HtmlEscape(
             f.from_sweep
                 ? absl::StrCat(
                       Fixed(o.uploads_per_hour, 0),
                       " uploads/hour, known-material prevalence ",
                       o.known_prevalence, ", rates from ", in.sweep_path,
                       o.bank_size > 0 ? absl::StrCat(" scaled to a bank of ",
                                                      o.bank_size, " entries")
                                       : "")
                 : absl::StrCat(Fixed(o.match_review_per_hour, 2),
                                " list matches/hour to review, ",
                                Fixed(100 * o.match_material_share, 0),
                                "% material"))},
        {"novel items, user reports",
         absl::StrCat(Fixed(o.novel_per_hour, 2), " and ",
                      Fixed(o.user_reports_per_hour, 2), " per hour, ",
                      Fixed(100 * o.novel_material_share, 0), "% material")},
        {"severity mix (list matches)", HtmlEscape(severity)},
        {"signal probabilities", HtmlEscape(signals)},
        {"team", HtmlEscape(ShiftsText(o))},
        {"welfare limits",
         absl::StrCat(o.welfare.max_items_per_hour, " items/hour, ",
                      o.welfare.max_items_per_shift, " per ",
                      absl::FormatDuration(o.welfare.shift_length),
                      ", break of ",
                      absl::FormatDuration(o.welfare.break_length), " after ",
                      o.welfare.break_after_items, " items (0 = no limit)")},
        {"lanes", HtmlEscape(lanes)},
        {"escalations",
         absl::StrCat(Fixed(100 * o.escalate_fraction, 1), "% of decisions")},
        {"false-match model",
         in.rates == nullptr || o.bank_size == 0
             ? std::string("none: the sweep's own distractor match rate (no "
                           "--bank-size)")
         : in.rates->has_model
             ? absl::StrCat(
                   "per-pair rate: the larger of the sweep's observed rate and "
                   "a binomial "
                   "fit (Daugman) to ",
                   in.rates->impostor_pairs,
                   " different-picture distances (mean ",
                   Fixed(in.rates->impostor_mean, 1), ", sd ",
                   Fixed(in.rates->impostor_sd, 1), " bits, ",
                   Fixed(in.rates->impostor_dof, 0),
                   " effective bits): at the review threshold ",
                   absl::StrFormat(
                       "%.2e", in.rates->model_pair_rate[o.review_threshold]),
                   " per pair, scaled to ", o.bank_size, " entries")
             : absl::StrCat("the sweep's observed per-pair rate scaled to ",
                            o.bank_size,
                            " entries (no distances.csv beside the sweep)")},
        {"seed", absl::StrCat(o.seed)},
    };
    html.Table({"input", "value"}, rows, false);
  }
  html.Raw(absl::StrCat(
      "<pre>",
      HtmlEscape(in.command_line.empty() ? "(library call)" : in.command_line),
      "</pre>"));
  return html.Finish();
}

}  // namespace

std::string CapacityCsv(const CapacityResult& r) {
  std::string out =
      "group,arrivals,served,waiting_end,mean_wait_min,p50_wait_min,p90_wait_"
      "min,p95_wait_min,"
      "p99_wait_min,max_wait_min,sla_min,sla_breaches,breach_fraction,lower_"
      "bound\n";
  for (int c = 0; c < kPriorityClassCount; ++c) {
    out += WaitRow(absl::StrCat("class:", ClassName(c)), r.by_class[c]);
  }
  for (const auto& [lane, w] : r.by_lane)
    out += WaitRow(absl::StrCat("lane:", lane), w);
  out += WaitRow("all", r.all);
  return out;
}

std::string FlowsCsv(const CapacityResult& r) {
  const Flows& f = r.flows;
  std::string out = "flow,items,per_hour\n";
  auto row = [&](const char* name, double v) {
    out += CsvLine({name, Fixed(v, 3), Fixed(v / r.hours, 6)});
  };
  row("uploads", f.uploads);
  row("known_uploads", f.known_uploads);
  row("auto_reported_material", f.auto_reported_material);
  row("false_auto_reports", f.false_auto_reports);
  row("review_material", f.review_material);
  row("review_benign", f.review_benign);
  row("novel", f.novel);
  row("user_reports", f.user_reports);
  row("missed_by_thresholds", f.missed_by_thresholds);
  row("material_unreviewed_end",
      static_cast<double>(f.material_unreviewed_end));
  row("decided", static_cast<double>(f.decided));
  row("escalated", static_cast<double>(f.escalated));
  row("welfare_refusals", static_cast<double>(f.welfare_refusals));
  row("moderator_hours", f.moderator_hours);
  row("offered_review_hours", f.offered_hours);
  out += CsvLine({"utilization", Fixed(f.utilization, 6), ""});
  return out;
}

std::string BacklogCsv(const CapacityResult& r) {
  std::string out = "hour,critical,high,normal,low,overdue,on_shift,busy\n";
  for (const BacklogSample& b : r.backlog) {
    out += CsvLine({Fixed(b.hour, 3), absl::StrCat(b.waiting[0]),
                    absl::StrCat(b.waiting[1]), absl::StrCat(b.waiting[2]),
                    absl::StrCat(b.waiting[3]), absl::StrCat(b.overdue),
                    absl::StrCat(b.on_shift), absl::StrCat(b.busy)});
  }
  return out;
}

std::string SearchCsv(const SearchResult& s) {
  std::string out =
      "auto_threshold,review_threshold,review_per_hour,target_breach_fraction,"
      "target_p95_wait_min,target_lower_bound,missed_per_week,false_auto_per_"
      "week,feasible,"
      "chosen\n";
  for (size_t i = 0; i < s.points.size(); ++i) {
    const SearchPoint& p = s.points[i];
    out += CsvLine(
        {absl::StrCat(p.auto_threshold), absl::StrCat(p.review_threshold),
         Fixed(p.review_per_hour, 4), Fixed(p.target_breach_fraction, 6),
         Fixed(p.target_p95_minutes, 2), p.target_lower_bound ? "1" : "0",
         Fixed(p.missed_per_week, 4), Fixed(p.false_auto_per_week, 4),
         p.feasible ? "1" : "0", static_cast<int>(i) == s.best ? "1" : "0"});
  }
  return out;
}

absl::Status WriteCapacityOutputs(const CapacityReportInput& in,
                                  const CapacityOptions& o,
                                  const CapacityResult& r,
                                  const SearchResult* search) {
  if (in.plots && !GnuplotAvailable()) {
    return absl::FailedPreconditionError(
        "capacity: gnuplot is not installed (Debian package gnuplot-nox; "
        "scripts/install-deps.sh installs it); pass --no-plots to skip the "
        "plots");
  }
  HW_RETURN_IF_ERROR(MakeDirs(in.out_dir));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(in.out_dir, "capacity.csv"), CapacityCsv(r)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(in.out_dir, "flows.csv"), FlowsCsv(r)));
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(in.out_dir, "backlog.csv"), BacklogCsv(r)));
  if (search != nullptr) {
    HW_RETURN_IF_ERROR(
        WriteWholeFile(Join(in.out_dir, "search.csv"), SearchCsv(*search)));
  }
  if (in.plots) {
    HW_RETURN_IF_ERROR(RunGnuplot(in.out_dir, WaitsPlot(r)));
    HW_RETURN_IF_ERROR(RunGnuplot(in.out_dir, BacklogPlot(r)));
    if (search != nullptr)
      HW_RETURN_IF_ERROR(RunGnuplot(in.out_dir, SearchPlot(o, *search)));
  }
  HW_ASSIGN_OR_RETURN(std::string html, CapacityHtml(in, o, r, search));
  return WriteWholeFile(Join(in.out_dir, "report.html"), html);
}

std::string CapacitySummary(const CapacityOptions& o, const CapacityResult& r,
                            const SearchResult* search) {
  std::string s;
  if (search != nullptr) {
    if (search->best >= 0) {
      const SearchPoint& p = search->points[search->best];
      absl::StrAppend(
          &s,
          absl::StrFormat(
              "search: auto-report <= %d, review <= %d keeps %s within SLA "
              "(%.1f%% breached, allowed %.1f%%); material missed %.1f/week\n",
              p.auto_threshold, p.review_threshold,
              queue::PriorityClassName(o.target_class),
              100 * p.target_breach_fraction, 100 * o.max_breach_fraction,
              p.missed_per_week));
    } else {
      absl::StrAppend(
          &s, absl::StrFormat("search: no review threshold keeps %s within SLA "
                              "with this team\n",
                              queue::PriorityClassName(o.target_class)));
    }
    absl::StrAppend(&s, "auto threshold ", search->auto_threshold, ": ",
                    search->auto_reason, "\n");
  }
  absl::StrAppend(
      &s, absl::StrFormat("capacity: %.1f days, thresholds %d/%d, %s\n",
                          r.hours / 24, o.auto_threshold, o.review_threshold,
                          ShiftsText(o)));
  absl::StrAppend(&s,
                  "| class | items | never picked up | median | p90 | p95 | "
                  "SLA | breaches |\n"
                  "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  auto plain = [](double m, bool lb) {
    std::string d = Duration(m, lb);
    if (d.rfind("&ge; ", 0) == 0) d = ">=" + d.substr(5);
    return d;
  };
  auto line = [&](const std::string& name, const WaitStats& w) {
    absl::StrAppend(
        &s,
        absl::StrFormat(
            "| %s | %d | %d | %s | %s | %s | %s | %d%s |\n", name, w.arrivals,
            w.waiting_end, plain(w.p50_minutes, w.lower_bound),
            plain(w.p90_minutes, w.lower_bound),
            plain(w.p95_minutes, w.lower_bound), plain(w.sla_minutes, false),
            w.breaches,
            std::isnan(w.breach_fraction)
                ? ""
                : absl::StrCat(" (", Fixed(100 * w.breach_fraction, 1), "%)")));
  };
  for (int c = 0; c < kPriorityClassCount; ++c)
    line(ClassName(c), r.by_class[c]);
  line("all", r.all);
  const Flows& f = r.flows;
  absl::StrAppend(
      &s, absl::StrFormat(
              "auto-reported material %s, false auto-reports %s, material "
              "missed by thresholds "
              "%s, material unreviewed at the end %d; utilisation %s%%, "
              "welfare breaks %d\n",
              Count(f.auto_reported_material), Count(f.false_auto_reports),
              Count(f.missed_by_thresholds), f.material_unreviewed_end,
              Fixed(100 * f.utilization, 0), f.welfare_refusals));
  return s;
}

}  // namespace hashwatch::bench
