#include "matcher/lookup.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace hashwatch::matcher {
namespace {

PathQueries QueriesOf(const PdqResult& pdq, PathKind kind, std::string path,
                      int quality) {
  PathQueries out{
      .kind = kind, .path = std::move(path), .quality = quality, .queries = {}};
  if (pdq.has_dihedral) {
    out.queries.assign(pdq.dihedral.begin(), pdq.dihedral.end());
  } else {
    out.queries.push_back(pdq.hash);
  }
  return out;
}

PathKind KindOf(const RegionHash& region) {
  return region.region.kind == RegionKind::kUnbordered ? PathKind::kUnbordered
                                                       : PathKind::kRegion;
}

}  // namespace

std::vector<PathQueries> PathsOf(const ImageHashes& hashes) {
  std::vector<PathQueries> out;
  if (hashes.pdq.hash.IsZero()) return out;
  out.push_back(QueriesOf(hashes.pdq, PathKind::kWhole, "whole", -1));
  for (const RegionHash& r : hashes.regions) {
    out.push_back(QueriesOf(r.pdq, KindOf(r), r.path, r.pdq.quality));
  }
  return out;
}

std::vector<PathQueries> PathsOf(const PdqHash& given) {
  return {PathQueries{.kind = PathKind::kWhole,
                      .path = "whole",
                      .quality = -1,
                      .queries = {given}}};
}

absl::StatusOr<std::vector<Match>> MatchPaths(
    const BankStore& store, absl::Span<const PathQueries> paths, int radius,
    bool turned_only) {
  std::vector<Match> out;
  for (const PathQueries& p : paths) {
    HW_ASSIGN_OR_RETURN(std::vector<Match> found,
                        turned_only ? store.MatchTurnedPdq(p.queries, radius)
                                    : store.MatchPdq(p.queries, radius));
    for (Match& m : found) {
      m.path_kind = p.kind;
      m.path_quality = p.quality;
      m.path =
          m.variant == 0
              ? p.path
              : absl::StrCat(p.path, "/",
                             DihedralName(static_cast<Dihedral>(m.variant)));
      out.push_back(std::move(m));
    }
  }
  return out;
}

absl::StatusOr<std::vector<Match>> MatchDigests(const BankStore& store,
                                                const ContentHashes& hashes) {
  const std::pair<SignalType, const std::string*> digests[] = {
      {SignalType::kMd5, &hashes.md5},
      {SignalType::kSha1, &hashes.sha1},
      {SignalType::kSha256, &hashes.sha256}};
  std::vector<Match> out;
  for (const auto& [signal, value] : digests) {
    if (value->empty()) continue;
    HW_ASSIGN_OR_RETURN(std::vector<Match> exact,
                        store.MatchExact(signal, *value));
    out.insert(out.end(), std::make_move_iterator(exact.begin()),
               std::make_move_iterator(exact.end()));
  }
  return out;
}

int WidestReviewDistance(const BankStore& store) {
  int radius = 0;
  for (const Bank& b : store.ListBanks()) {
    radius = std::max(radius, b.policy.review_distance);
  }
  return radius;
}

bool WantsDihedral(const BankStore& store, bool dihedral_all_banks) {
  return dihedral_all_banks || store.TurnedPdqEntries() > 0;
}

absl::StatusOr<std::vector<Match>> LookUp(const BankStore& store,
                                          absl::Span<const PathQueries> paths,
                                          const ContentHashes& hashes,
                                          const LookUpOptions& options) {
  const std::vector<Bank> banks = store.ListBanks();
  const int radius =
      options.radius >= 0 ? options.radius : WidestReviewDistance(store);
  size_t dihedral_banks = 0;
  for (const Bank& b : banks) dihedral_banks += b.policy.dihedral ? 1 : 0;
  const bool all = options.dihedral_all_banks || dihedral_banks == banks.size();
  std::vector<PathQueries> plain(paths.begin(), paths.end());
  for (PathQueries& p : plain)
    p.queries.resize(std::min<size_t>(1, p.queries.size()));
  HW_ASSIGN_OR_RETURN(
      std::vector<Match> matches,
      MatchPaths(store, all ? paths : absl::MakeConstSpan(plain), radius));
  const bool turned_queries =
      std::any_of(paths.begin(), paths.end(),
                  [](const PathQueries& p) { return p.queries.size() > 1; });
  if (!all && turned_queries && store.TurnedPdqEntries() > 0) {
    // The turned variants against the dihedral banks' own index only (the
    // upright ones were found above).
    HW_ASSIGN_OR_RETURN(std::vector<Match> turned,
                        MatchPaths(store, paths, radius, /*turned_only=*/true));
    for (Match& m : turned) {
      if (m.variant != 0) matches.push_back(std::move(m));
    }
  }
  HW_ASSIGN_OR_RETURN(std::vector<Match> exact, MatchDigests(store, hashes));
  matches.insert(matches.end(), std::make_move_iterator(exact.begin()),
                 std::make_move_iterator(exact.end()));
  if (options.own != nullptr && store.OwnSignatureCount() > 0) {
    HW_ASSIGN_OR_RETURN(std::vector<Match> own, store.MatchOwn(*options.own));
    matches.insert(matches.end(), std::make_move_iterator(own.begin()),
                   std::make_move_iterator(own.end()));
  }
  return matches;
}

}  // namespace hashwatch::matcher
