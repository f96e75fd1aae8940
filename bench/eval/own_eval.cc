#include "bench/eval/own_eval.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "bench/eval/csv.h"
#include "bench/eval/io.h"
#include "common/clock.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "matcher/hashes.h"
#include "matcher/lookup.h"
#include "matcher/own_pictures.h"
#include "matcher/own_signature.h"
#include "matcher/routing.h"

namespace hashwatch::bench {
namespace {

namespace m = ::hashwatch::matcher;
using SteadyClock = std::chrono::steady_clock;

double MsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t)
      .count();
}

std::string Join(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

// The path a routed match was found along, as OwnEvalCopy::path says it.
std::string PathName(const m::Match& match) {
  if (match.path_kind == m::PathKind::kLocalFeatures) return "local features";
  if (match.entry.signal != m::SignalType::kPdq) return "exact";
  if (match.variant != 0) return "dihedral";
  switch (match.path_kind) {
    case m::PathKind::kWhole:
      return "whole";
    case m::PathKind::kUnbordered:
      return "unbordered";
    case m::PathKind::kRegion:
      return "region";
    case m::PathKind::kLocalFeatures:
      break;
  }
  return "local features";
}

// Known picture (by source name) of each bank entry value.
using EntryOwners = absl::flat_hash_map<std::string, std::string>;
std::string OwnerKey(m::SignalType signal, absl::string_view value) {
  return absl::StrCat(static_cast<int>(signal), ":", value);
}

struct Query {
  std::string file;  // as reported
  std::string path;  // on disk
  int copy = -1;     // index into result.copies, else a negative
  int negative = -1;
};

// What one scan measured.
struct Scanned {
  bool ok = false;
  std::string error;
  double hash_ms = 0, own_ms = -1, lookup_ms = 0, match_own_ms = 0;
};

// The margin index: the known signatures, searched with every verification
// kept (no threshold), so that a negative's best candidates report their
// inliers whatever they are. Candidate retrieval as the bank's (the shipped
// OwnIndexOptions), only with one vote enough to be verified.
m::OwnIndexOptions MarginIndexOptions() {
  m::OwnIndexOptions o;
  o.match.min_inliers = 0;
  o.match.min_central = 0;
  o.match.min_spread = 0;
  o.min_votes = 1;
  return o;
}

}  // namespace

absl::StatusOr<OwnEvalResult> RunOwnEval(const OwnEvalOptions& options) {
  if (options.evalset_dir.empty())
    return absl::InvalidArgumentError("own: an evaluation set is required");
  if (options.threads < 0 || options.max_regions < 0 ||
      options.timing_every < 1) {
    return absl::InvalidArgumentError(
        "own: threads and max_regions must be >= 0, timing_every >= 1");
  }
  HW_ASSIGN_OR_RETURN(const std::vector<ManifestRow> rows,
                      ReadManifest(options.evalset_dir));
  const ParallelForOptions parallel{.threads = options.threads};

  OwnEvalResult result;
  result.threads = ResolveThreadCount(options.threads);
  const m::OwnMatchOptions shipped;
  result.min_inliers = shipped.min_inliers;
  result.min_central = shipped.min_central;
  result.min_spread = shipped.min_spread;

  // 1. The bank, as `hashwatch bank add-images` builds it.
  HW_ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> scratch,
                      ScratchDir::Create("hashwatch-own-eval"));
  m::BankStoreOptions store_options;
  store_options.path = Join(scratch->path(), "banks");
  store_options.sync_writes = false;
  HW_ASSIGN_OR_RETURN(std::unique_ptr<m::BankStore> store,
                      m::BankStore::Open(store_options, Clock::Real()));
  // The shipped policy of an own-material bank: that of the bank of
  // confirmed material (the default, plus rotated and mirrored copies, as
  // `bank create NAME --dihedral` and the server's own bank have it).
  const std::string bank = "own";
  m::BankPolicy policy;
  policy.dihedral = true;
  HW_RETURN_IF_ERROR(
      store->CreateBank(bank, m::BankKind::kMatch, policy).status());

  std::vector<const ManifestRow*> known;
  for (const ManifestRow& r : rows) {
    if (r.role == Role::kKnown) known.push_back(&r);
  }
  result.known = static_cast<int>(known.size());
  std::vector<absl::StatusOr<m::OwnPicture>> prepared(
      known.size(), absl::UnknownError("not prepared"));
  ParallelFor(known.size(), parallel, [&](size_t i) {
    absl::StatusOr<std::string> bytes =
        ReadWholeFile(Join(options.evalset_dir, known[i]->file));
    prepared[i] = bytes.ok() ? m::PrepareOwnPicture(*bytes, {})
                             : absl::StatusOr<m::OwnPicture>(bytes.status());
  });
  EntryOwners owners;
  std::vector<m::PdqHash> known_pdq;
  m::OwnSignatureIndex margin_index(MarginIndexOptions());
  for (size_t i = 0; i < known.size(); ++i) {
    if (!prepared[i].ok()) {
      result.not_added.push_back(
          {known[i]->file, std::string(prepared[i].status().message())});
      continue;
    }
    const m::OwnPicture& p = *prepared[i];
    m::OwnPictureLabels labels;
    labels.note = known[i]->source;
    HW_RETURN_IF_ERROR(m::AddOwnPictures(*store, bank, {p}, labels).status());
    const std::string& name = known[i]->source;
    owners[OwnerKey(m::SignalType::kPdq, p.hashes.pdq)] = name;
    owners[OwnerKey(m::SignalType::kMd5, p.hashes.md5)] = name;
    owners[OwnerKey(m::SignalType::kSha1, p.hashes.sha1)] = name;
    owners[OwnerKey(m::SignalType::kSha256, p.hashes.sha256)] = name;
    HW_ASSIGN_OR_RETURN(m::PdqHash pdq, m::PdqHash::FromHex(p.hashes.pdq));
    known_pdq.push_back(pdq);
    if (p.signature.has_value()) {
      HW_RETURN_IF_ERROR(margin_index.Add(i, *p.signature));
    } else {
      result.unsigned_known.push_back({known[i]->file, p.no_signature});
    }
  }

  // 2. The queries: copies, distractors, benign pictures.
  std::vector<Query> queries;
  for (const ManifestRow& r : rows) {
    if (r.role == Role::kCopy) {
      queries.push_back({r.file, Join(options.evalset_dir, r.file),
                         static_cast<int>(result.copies.size()), -1});
      OwnEvalCopy c;
      c.file = r.file;
      c.source = r.source;
      c.transform = r.transform;
      c.family = r.family;
      result.copies.push_back(std::move(c));
    } else if (r.role == Role::kDistractor) {
      queries.push_back({r.file, Join(options.evalset_dir, r.file), -1,
                         static_cast<int>(result.negatives.size())});
      OwnEvalNegative n;
      n.file = r.file;
      result.negatives.push_back(std::move(n));
    }
  }
  if (!options.benign_dir.empty()) {
    HW_ASSIGN_OR_RETURN(FolderListing listing, ListFolder(options.benign_dir));
    for (const std::string& name : listing.images) {
      queries.push_back({absl::StrCat("benign/", name),
                         Join(options.benign_dir, name), -1,
                         static_cast<int>(result.negatives.size())});
      OwnEvalNegative n;
      n.file = absl::StrCat("benign/", name);
      n.benign = true;
      result.negatives.push_back(std::move(n));
    }
  }

  m::HashOptions hash_options;
  hash_options.dihedral = true;
  hash_options.recover = options.max_regions > 0;
  hash_options.regions.max_regions = options.max_regions;
  hash_options.own_signature = true;
  hash_options.own.decode = hash_options.decode;

  std::vector<Scanned> scanned(queries.size());
  ParallelFor(queries.size(), parallel, [&](size_t qi) {
    const Query& q = queries[qi];
    Scanned& s = scanned[qi];
    absl::StatusOr<std::string> bytes = ReadWholeFile(q.path);
    if (!bytes.ok()) {
      s.error = std::string(bytes.status().message());
      return;
    }
    auto t0 = SteadyClock::now();
    absl::StatusOr<m::ImageHashes> h = m::HashImage(*bytes, hash_options);
    s.hash_ms = MsSince(t0);
    if (!h.ok()) {
      s.error = std::string(h.status().message());
      return;
    }
    if (qi % options.timing_every == 0) {
      thread_local m::Decoder decoder;
      m::LumaImage luma;
      if (decoder.DecodeLuma(*bytes, hash_options.decode, &luma).ok()) {
        auto t1 = SteadyClock::now();
        (void)m::ComputeOwnSignatureFromLuma(luma, hash_options.own);
        s.own_ms = MsSince(t1);
      }
    }
    const m::OwnSignature* own = h->own.has_value() ? &*h->own : nullptr;
    const std::vector<m::PathQueries> paths = m::PathsOf(*h);
    const m::ContentHashes content{.pdq = h->pdq.hash.ToHex(),
                                   .pdq_quality = h->pdq.quality,
                                   .md5 = h->md5,
                                   .sha1 = h->sha1,
                                   .sha256 = h->sha256};
    auto t2 = SteadyClock::now();
    absl::StatusOr<std::vector<m::Match>> matches =
        m::LookUp(*store, paths, content, {.own = own});
    s.lookup_ms = MsSince(t2);
    if (!matches.ok()) {
      s.error = std::string(matches.status().message());
      return;
    }
    if (own != nullptr) {
      auto t3 = SteadyClock::now();
      (void)store->MatchOwn(*own);
      s.match_own_ms = MsSince(t3);
    }
    const m::RoutingDecision decision =
        m::Route(*matches, h->pdq.quality, q.file, m::ScanContext{},
                 m::RoutingOptions{}, /*flood_guard=*/nullptr);
    s.ok = true;

    if (q.copy >= 0) {
      OwnEvalCopy& c = result.copies[q.copy];
      c.has_signature = own != nullptr;
      const m::RoutedMatch* best = nullptr;
      for (const m::RoutedMatch& r : decision.matches) {
        if (r.covered_by_allow) continue;
        auto owner =
            owners.find(OwnerKey(r.match.entry.signal, r.match.entry.value));
        if (owner == owners.end() || owner->second != c.source) continue;
        const bool local = r.match.path_kind == m::PathKind::kLocalFeatures;
        c.by_local_features |= local;
        c.auto_report |= r.auto_report;
        // The strongest: one that auto-reports, else the first PDQ or exact
        // match (routing orders them closest first), else local features.
        if (best == nullptr || (r.auto_report && !best->auto_report) ||
            (!local && !best->auto_report &&
             best->match.path_kind == m::PathKind::kLocalFeatures)) {
          best = &r;
        }
      }
      if (best != nullptr) {
        c.found = true;
        c.path = PathName(best->match);
        c.local_only = best->match.path_kind == m::PathKind::kLocalFeatures;
      }
      return;
    }

    OwnEvalNegative& n = result.negatives[q.negative];
    n.has_signature = own != nullptr;
    std::set<std::string> found_paths, matched;
    for (const m::RoutedMatch& r : decision.matches) {
      if (r.covered_by_allow) continue;
      found_paths.insert(PathName(r.match));
      auto owner =
          owners.find(OwnerKey(r.match.entry.signal, r.match.entry.value));
      if (owner != owners.end()) matched.insert(owner->second);
      n.auto_report |= r.auto_report;
    }
    n.paths.assign(found_paths.begin(), found_paths.end());
    n.matched.assign(matched.begin(), matched.end());
    if (own != nullptr) {
      for (const m::OwnMatch& om : margin_index.Search(*own)) {
        const m::OwnVerification& v = om.verification;
        if (v.inliers > n.max_inliers) {
          n.max_inliers = v.inliers;
          n.max_inliers_known = known[om.id]->source;
        }
        if (v.central >= shipped.min_central && v.spread >= shipped.min_spread)
          n.max_shaped_inliers = std::max(n.max_shaped_inliers, v.inliers);
      }
    }
    for (const m::PathQueries& p : paths) {
      for (size_t v = 0; v < p.queries.size(); ++v) {
        for (const m::PdqHash& k : known_pdq) {
          const int d = m::HammingDistance(p.queries[v], k);
          if (d < n.closest_pdq) {
            n.closest_pdq = d;
            n.closest_pdq_path =
                v == 0 ? p.path
                       : absl::StrCat(
                             p.path, "/",
                             m::DihedralName(static_cast<m::Dihedral>(v)));
          }
        }
      }
    }
  });

  int n = 0;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    const Scanned& s = scanned[qi];
    if (!s.ok) {
      result.failures.push_back({queries[qi].file, s.error});
      continue;
    }
    ++n;
    result.hash_ms += s.hash_ms;
    result.lookup_ms += s.lookup_ms;
    result.match_own_ms += s.match_own_ms;
    if (s.own_ms >= 0) {
      result.own_signature_ms += s.own_ms;
      ++result.own_signature_timed;
    }
  }
  // Pictures that could not be scanned leave the counts (listed as
  // failures), so that recall is over scanned copies.
  std::vector<OwnEvalCopy> copies;
  std::vector<OwnEvalNegative> negatives;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    if (!scanned[qi].ok) continue;
    if (queries[qi].copy >= 0) {
      copies.push_back(std::move(result.copies[queries[qi].copy]));
    } else {
      negatives.push_back(std::move(result.negatives[queries[qi].negative]));
    }
  }
  result.copies = std::move(copies);
  result.negatives = std::move(negatives);
  if (n > 0) {
    result.hash_ms /= n;
    result.lookup_ms /= n;
    result.match_own_ms /= n;
  }
  if (result.own_signature_timed > 0)
    result.own_signature_ms /= result.own_signature_timed;
  return result;
}

std::map<std::string, OwnEvalGroup> OwnEvalGroups(const OwnEvalResult& r,
                                                  absl::string_view by) {
  std::map<std::string, OwnEvalGroup> out;
  for (const OwnEvalCopy& c : r.copies) {
    const std::string& key = by == "family" ? c.family : c.transform;
    for (OwnEvalGroup* g : {&out[key], &out["all"]}) {
      ++g->copies;
      g->found += c.found;
      g->local_only += c.local_only;
      g->auto_reported += c.auto_report;
    }
  }
  return out;
}

OwnEvalFalse OwnEvalFalseFigures(const OwnEvalResult& r) {
  OwnEvalFalse f;
  for (const OwnEvalNegative& n : r.negatives) {
    ++(n.benign ? f.benign : f.distractors);
    f.with_signature += n.has_signature;
    f.false_matches += !n.paths.empty();
    for (const std::string& p : n.paths) ++f.by_path[p];
    f.false_auto_reports += n.auto_report;
    if (f.max_inliers_file.empty() || n.max_inliers > f.max_inliers) {
      f.max_inliers = n.max_inliers;
      f.max_inliers_file = n.file;
    }
    if (f.max_shaped_inliers_file.empty() ||
        n.max_shaped_inliers > f.max_shaped_inliers) {
      f.max_shaped_inliers = n.max_shaped_inliers;
      f.max_shaped_inliers_file = n.file;
    }
    if (n.paths.empty() &&
        (f.max_unmatched_shaped_inliers_file.empty() ||
         n.max_shaped_inliers > f.max_unmatched_shaped_inliers)) {
      f.max_unmatched_shaped_inliers = n.max_shaped_inliers;
      f.max_unmatched_shaped_inliers_file = n.file;
    }
    if (n.closest_pdq < f.closest_pdq) {
      f.closest_pdq = n.closest_pdq;
      f.closest_pdq_file = n.file;
      f.closest_pdq_path = n.closest_pdq_path;
    }
  }
  return f;
}

namespace {

std::string Percent(int k, int n) {
  return n > 0 ? Fixed(100.0 * k / n, 1) : "";
}

}  // namespace

std::string OwnEvalCsv(const OwnEvalResult& r) {
  std::string out = CsvLine({"group", "name", "copies", "found", "recall_pct",
                             "local_features_only", "auto_reported"});
  for (absl::string_view by : {"transform", "family"}) {
    for (const auto& [name, g] : OwnEvalGroups(r, by)) {
      if (name == "all") continue;
      out +=
          CsvLine({std::string(by), name, absl::StrCat(g.copies),
                   absl::StrCat(g.found), Percent(g.found, g.copies),
                   absl::StrCat(g.local_only), absl::StrCat(g.auto_reported)});
    }
  }
  const OwnEvalGroup all = OwnEvalGroups(r, "transform")["all"];
  out +=
      CsvLine({"all", "all", absl::StrCat(all.copies), absl::StrCat(all.found),
               Percent(all.found, all.copies), absl::StrCat(all.local_only),
               absl::StrCat(all.auto_reported)});
  return out;
}

std::string OwnEvalCopiesCsv(const OwnEvalResult& r) {
  std::string out = CsvLine({"file", "source", "transform", "family", "found",
                             "path", "by_local_features", "local_only",
                             "auto_report", "has_signature"});
  auto flag = [](bool b) { return std::string(b ? "1" : "0"); };
  for (const OwnEvalCopy& c : r.copies) {
    out += CsvLine({c.file, c.source, c.transform, c.family, flag(c.found),
                    c.path, flag(c.by_local_features), flag(c.local_only),
                    flag(c.auto_report), flag(c.has_signature)});
  }
  return out;
}

namespace {

std::string NegativePicturesCsv(const OwnEvalResult& r, bool matched_only) {
  std::string out =
      CsvLine({"file", "paths", "matched", "auto_report", "max_inliers",
               "max_inliers_known", "max_shaped_inliers", "closest_pdq"});
  for (const OwnEvalNegative& n : r.negatives) {
    if (matched_only && n.paths.empty()) continue;
    out += CsvLine({n.file, absl::StrJoin(n.paths, ";"),
                    absl::StrJoin(n.matched, ";"), n.auto_report ? "1" : "0",
                    absl::StrCat(n.max_inliers), n.max_inliers_known,
                    absl::StrCat(n.max_shaped_inliers),
                    absl::StrCat(n.closest_pdq)});
  }
  return out;
}

}  // namespace

std::string OwnEvalNegativeMatchesCsv(const OwnEvalResult& r) {
  return NegativePicturesCsv(r, /*matched_only=*/true);
}

std::string OwnEvalNegativePicturesCsv(const OwnEvalResult& r) {
  return NegativePicturesCsv(r, /*matched_only=*/false);
}

std::string OwnEvalNegativesCsv(const OwnEvalResult& r) {
  const OwnEvalFalse f = OwnEvalFalseFigures(r);
  std::string out = CsvLine({"metric", "value", "file"});
  auto row = [&](const std::string& metric, int value,
                 const std::string& file = "") {
    out += CsvLine({metric, absl::StrCat(value), file});
  };
  row("distractors", f.distractors);
  row("benign", f.benign);
  row("with_signature", f.with_signature);
  row("false_matches", f.false_matches);
  for (const auto& [path, k] : f.by_path)
    row(absl::StrCat("false_matches_by ", path), k);
  row("false_auto_reports", f.false_auto_reports);
  row("max_inliers", f.max_inliers, f.max_inliers_file);
  row("max_shaped_inliers", f.max_shaped_inliers, f.max_shaped_inliers_file);
  row("max_unmatched_shaped_inliers", f.max_unmatched_shaped_inliers,
      f.max_unmatched_shaped_inliers_file);
  row("min_inliers", r.min_inliers);
  row("closest_pdq", f.closest_pdq,
      absl::StrCat(f.closest_pdq_file, " ", f.closest_pdq_path));
  return out;
}

std::string OwnEvalText(const OwnEvalResult& r) {
  std::string out = absl::StrFormat(
      "own: %d known pictures, %d added to the bank (%zu refused by "
      "add-images)\n",
      r.known, r.known - static_cast<int>(r.not_added.size()),
      r.not_added.size());
  for (const Failure& f : r.not_added)
    absl::StrAppend(&out, "  not added: ", f.file, ": ", f.reason, "\n");
  for (const Failure& f : r.unsigned_known)
    absl::StrAppend(&out, "  no signature (hashes only): ", f.file, ": ",
                    f.reason, "\n");
  for (absl::string_view by : {"family", "transform"}) {
    absl::StrAppendFormat(&out, "\n%-28s %6s %6s %7s %8s %6s\n", by, "copies",
                          "found", "recall", "local-only", "auto");
    for (const auto& [name, g] : OwnEvalGroups(r, by)) {
      if (name == "all") continue;
      absl::StrAppendFormat(&out, "%-28s %6d %6d %6s%% %8d %6d\n", name,
                            g.copies, g.found, Percent(g.found, g.copies),
                            g.local_only, g.auto_reported);
    }
  }
  const OwnEvalGroup all = OwnEvalGroups(r, "transform")["all"];
  absl::StrAppendFormat(&out, "%-28s %6d %6d %6s%% %8d %6d\n", "all",
                        all.copies, all.found, Percent(all.found, all.copies),
                        all.local_only, all.auto_reported);
  int copies_signed = 0;
  for (const OwnEvalCopy& c : r.copies) copies_signed += c.has_signature;
  absl::StrAppendFormat(&out, "copies with an own signature: %d of %zu\n",
                        copies_signed, r.copies.size());

  const OwnEvalFalse f = OwnEvalFalseFigures(r);
  absl::StrAppendFormat(
      &out,
      "\nnegatives: %d distractors + %d benign pictures (%d with an own "
      "signature)\n"
      "false matches (pictures with any routed match): %d\n",
      f.distractors, f.benign, f.with_signature, f.false_matches);
  for (const auto& [path, k] : f.by_path)
    absl::StrAppendFormat(&out, "  by %s: %d\n", path, k);
  absl::StrAppendFormat(&out, "false automatic reports: %d (must be 0)\n",
                        f.false_auto_reports);
  absl::StrAppendFormat(
      &out,
      "margin, local features: most inliers of a negative against a known "
      "picture %d (%s); of a pair also passing the central (>= %d) and "
      "spread (>= %d) rules %d (%s); a match needs %d\n",
      f.max_inliers, f.max_inliers_file, r.min_central, r.min_spread,
      f.max_shaped_inliers, f.max_shaped_inliers_file, r.min_inliers);
  absl::StrAppendFormat(
      &out,
      "  of a negative without a routed match: %d (%s); the rule's margin "
      "over pictures it did not match\n",
      f.max_unmatched_shaped_inliers, f.max_unmatched_shaped_inliers_file);
  absl::StrAppendFormat(&out,
                        "margin, PDQ: closest distance of a negative to a "
                        "known picture %d (%s, %s); review at <= %d, "
                        "auto-report at <= %d\n",
                        f.closest_pdq, f.closest_pdq_file, f.closest_pdq_path,
                        m::BankPolicy{}.review_distance,
                        m::BankPolicy{}.auto_report_distance);
  absl::StrAppendFormat(
      &out,
      "\nper picture (%d threads): HashImage %.1f ms (own signature alone "
      "%.1f ms, %d sampled), LookUp %.2f ms (MatchOwn alone %.2f ms)\n",
      r.threads, r.hash_ms, r.own_signature_ms, r.own_signature_timed,
      r.lookup_ms, r.match_own_ms);
  if (!r.failures.empty())
    absl::StrAppendFormat(&out, "%zu pictures could not be scanned\n",
                          r.failures.size());
  return out;
}

}  // namespace hashwatch::bench
