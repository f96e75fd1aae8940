// Lookup: what one picture's hashes match in a BankStore, by every path the
// picture was hashed along (docs/design.md, "Recovered pictures"). A scan
// (review_api/engine_scan.cc) and `hashwatch match` both look up through
// here, so a list checked offline finds exactly what the server finds.
//
// A picture is queried along paths: "whole" (as uploaded), "unbordered"
// and "region X,Y,W,H" (pictures recovered from inside it, matcher/
// regions.h), each with its eight dihedral variants when those were
// hashed. Every match says its path (Match::path_kind, path, path_quality),
// and one entry may be found along several paths: routing (matcher/
// routing.h) keeps the strongest finding of each entry.
//
// Thread-safety: pure functions over a BankStore, which is thread-safe.
#ifndef HASHWATCH_MATCHER_LOOKUP_H_
#define HASHWATCH_MATCHER_LOOKUP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "matcher/bank_store.h"
#include "matcher/evidence.h"
#include "matcher/hashes.h"
#include "matcher/pdq.h"

namespace hashwatch::matcher {

// The PDQ queries of one path: queries[i] is dihedral variant i (one query
// when the variants were not hashed).
struct PathQueries {
  PathKind kind = PathKind::kWhole;
  std::string path;  // "whole", "unbordered", "region X,Y,W,H"
  int quality = -1;  // the path's PDQ quality; -1: the scan's
  std::vector<PdqHash> queries;
};

// The paths of a hashed picture: the whole first, then its recovered
// regions, largest first. A zero hash (a picture too small to hash) gives
// no path.
std::vector<PathQueries> PathsOf(const ImageHashes& hashes);
// The one path of a PDQ hash given by a caller.
std::vector<PathQueries> PathsOf(const PdqHash& given);

// The PDQ matches of every path within `radius`, each with its path set:
// Match::path is the path, followed by "/" and the variant's name when a
// rotation or mirror matched (MatchEvidence::path). An entry found along
// several paths appears once per path. Errors as BankStore::MatchPdq.
// `turned_only`: search the dihedral banks alone (BankStore::MatchTurnedPdq).
absl::StatusOr<std::vector<Match>> MatchPaths(
    const BankStore& store, absl::Span<const PathQueries> paths, int radius,
    bool turned_only = false);

// The exact-hash matches of the content's MD5, SHA-1 and SHA-256 (those
// not empty).
absl::StatusOr<std::vector<Match>> MatchDigests(const BankStore& store,
                                                const ContentHashes& hashes);

struct LookUpOptions {
  // PDQ search radius; -1: the widest review_distance of any bank.
  int radius = -1;
  // Rotated and mirrored copies count for every bank (the server's
  // scan.dihedral); otherwise only for banks whose policy says dihedral.
  bool dihedral_all_banks = false;
  // The picture's own-material signature (HashOptions::own_signature), when
  // it has one: it is matched against the signatures banks hold
  // (BankStore::MatchOwn), path "local features".
  const OwnSignature* own = nullptr;
};

// The widest review_distance of any bank (0 with no banks): the radius a
// scan searches.
int WidestReviewDistance(const BankStore& store);

// Whether a picture's dihedral variants are needed: for every bank, or
// because some bank whose policy matches rotated copies holds PDQ entries.
bool WantsDihedral(const BankStore& store, bool dihedral_all_banks);

// Everything a scan looks up: the PDQ matches of every path, the exact
// matches of the digests and the local-feature matches of its signature. A
// variant match (Match::variant != 0) is kept only for banks that match rotated
// copies (options); the as-uploaded queries are searched for every bank.
absl::StatusOr<std::vector<Match>> LookUp(const BankStore& store,
                                          absl::Span<const PathQueries> paths,
                                          const ContentHashes& hashes,
                                          const LookUpOptions& options);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_LOOKUP_H_
