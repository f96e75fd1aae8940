// Own-material matching measured end to end, as the product does it
// (`hashwatch-bench own`): the known pictures of an evaluation set go into
// one match bank through PrepareOwnPicture and AddOwnPictures (what
// `hashwatch bank add-images` does), and every copy, distractor and benign
// picture is scanned as the server scans an upload: HashImage (dihedral
// variants, recovered regions, own-material signature), matcher::LookUp
// with the signature, matcher::Route at the shipped defaults.
//
//   OwnEvalOptions o;
//   o.evalset_dir = "~/.cache/hashwatch/evalset-base";
//   HW_ASSIGN_OR_RETURN(OwnEvalResult r, RunOwnEval(o));
//   std::cout << OwnEvalText(r);
//
// A copy is found when a routed match (review or auto-report) is one of its
// own source picture's entries; the path of the strongest such match says
// how. A distractor or benign picture with any routed match is a false
// match. The margin is the most inliers any of them reaches when its
// signature is verified against its best candidate known pictures (the
// candidates the index's vote picks, as MatchOwn's search does, verified
// whatever their score), next to the min_inliers a match needs.
//
// Thread-safety: RunOwnEval is thread-safe (its own scratch bank).
#ifndef HASHWATCH_BENCH_EVAL_OWN_EVAL_H_
#define HASHWATCH_BENCH_EVAL_OWN_EVAL_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/eval/evalset.h"

namespace hashwatch::bench {

struct OwnEvalOptions {
  // An evaluation set (hashwatch-bench evalset: manifest.csv). Required.
  std::string evalset_dir;
  // A benign set (hashwatch-bench benign): more negatives. Optional.
  std::string benign_dir;
  // Worker threads; 0 means one per core.
  int threads = 0;
  // Recovered regions per picture, as the server's scan.max_regions
  // (default 6).
  int max_regions = 6;
  // Time the own-signature computation on every timing_every-th scanned
  // picture (a second decode; the signature itself is timed). >= 1.
  int timing_every = 8;
};

// How one copy fared.
struct OwnEvalCopy {
  std::string file;  // relative to the evaluation set
  std::string source;
  std::string transform;
  std::string family;
  bool found = false;  // a routed match of its source picture's entries
  // The strongest such match's path: "exact", "whole", "dihedral",
  // "unbordered", "region" or "local features"; "" when not found.
  std::string path;
  bool by_local_features = false;  // a local-feature match of its source
  bool local_only = false;         // found, and by local features alone
  bool auto_report = false;        // a match of its source would auto-report
  bool has_signature = false;      // the copy got an own signature
};

// How one negative (distractor or benign picture) fared.
struct OwnEvalNegative {
  std::string file;
  bool benign = false;
  // Paths of its routed matches (as OwnEvalCopy::path), sorted, unique;
  // empty when it matched nothing.
  std::vector<std::string> paths;
  // The known pictures (source names) of its routed matches, sorted,
  // unique: which picture to look at when judging a false match.
  std::vector<std::string> matched;
  bool auto_report = false;
  bool has_signature = false;
  // Verification against its best candidate known pictures: the most
  // inliers, and the most inliers of a pair that passes the other rules of
  // a match (central inliers and spread).
  int max_inliers = 0;
  int max_shaped_inliers = 0;
  std::string max_inliers_known;  // the known picture of max_inliers
  // The closest PDQ distance of any of its paths and variants to any known
  // picture's hash (256 when it has no hash).
  int closest_pdq = 256;
  std::string closest_pdq_path;
};

struct OwnEvalResult {
  int known = 0;  // known pictures in the manifest
  // Known pictures that could not be added (not decodable, too small):
  // add-images refuses them, so their copies cannot be found.
  std::vector<Failure> not_added;
  // Known pictures added with their hashes only (too little detail for a
  // signature): their copies are found by PDQ paths alone.
  std::vector<Failure> unsigned_known;
  std::vector<OwnEvalCopy> copies;
  std::vector<OwnEvalNegative> negatives;
  // Copies and negatives that could not be scanned.
  std::vector<Failure> failures;
  int min_inliers = 0;  // what a local-feature match needs (the shipped one)
  int min_central = 0;
  int min_spread = 0;
  // Mean milliseconds per scanned picture: HashImage (all of it), the own
  // signature alone (sampled, from the decoded luminance), LookUp (with
  // MatchOwn) and MatchOwn alone.
  double hash_ms = 0;
  double own_signature_ms = 0;
  int own_signature_timed = 0;
  double lookup_ms = 0;
  double match_own_ms = 0;
  int threads = 0;
};

// Builds the bank, scans every copy and negative. InvalidArgument: bad
// options or manifest; NotFound: a missing folder. A picture that cannot be
// read or decoded is a failure in the result, not an error.
absl::StatusOr<OwnEvalResult> RunOwnEval(const OwnEvalOptions& options);

// Per-group counts of copies.
struct OwnEvalGroup {
  int copies = 0;
  int found = 0;
  int local_only = 0;
  int auto_reported = 0;
};
// Copies grouped by "transform" or "family" (by name), plus "all".
std::map<std::string, OwnEvalGroup> OwnEvalGroups(const OwnEvalResult& r,
                                                  absl::string_view by);

// The negatives' figures.
struct OwnEvalFalse {
  int distractors = 0;
  int benign = 0;
  int with_signature = 0;
  int false_matches = 0;               // pictures with any routed match
  std::map<std::string, int> by_path;  // pictures with a match of each path
  int false_auto_reports = 0;          // must be 0
  int max_inliers = 0;                 // over every negative
  std::string max_inliers_file;
  int max_shaped_inliers = 0;
  std::string max_shaped_inliers_file;
  // The same over the negatives without a routed match: how close the rule
  // came to a false match it did not make.
  int max_unmatched_shaped_inliers = 0;
  std::string max_unmatched_shaped_inliers_file;
  int closest_pdq = 256;
  std::string closest_pdq_file;
  std::string closest_pdq_path;
};
OwnEvalFalse OwnEvalFalseFigures(const OwnEvalResult& r);

// own.csv: one line per group ("transform" rows, "family" rows, then
// "all"): copies, found, recall, found by local features only,
// auto-reported.
std::string OwnEvalCsv(const OwnEvalResult& r);
// own_copies.csv: one line per copy (OwnEvalCopy).
std::string OwnEvalCopiesCsv(const OwnEvalResult& r);
// own_negative_matches.csv: one line per negative with a routed match
// (file, paths, known pictures matched, auto-report, inliers).
std::string OwnEvalNegativeMatchesCsv(const OwnEvalResult& r);
// own_negative_pictures.csv: the same for every negative, matched or not
// (to recompute the margins over a subset, e.g. leaving out benign
// pictures found to be copies of known ones).
std::string OwnEvalNegativePicturesCsv(const OwnEvalResult& r);
// own_negatives.csv: the negatives' figures (OwnEvalFalse), metric,value,
// file.
std::string OwnEvalNegativesCsv(const OwnEvalResult& r);
// The same as a printed table, with the margin and the times.
std::string OwnEvalText(const OwnEvalResult& r);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_OWN_EVAL_H_
