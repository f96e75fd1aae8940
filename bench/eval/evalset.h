// The labelled evaluation set: a folder of benign pictures split into a
// deterministic "known" part (the pictures a bank holds) and a "distractor"
// part (pictures it does not), plus transformed copies of every known
// picture (bench/eval/transforms.h) with the ground truth in a manifest.
//
//   HW_ASSIGN_OR_RETURN(FolderListing listing,
//   ListFolder("testdata/pictures")); HW_ASSIGN_OR_RETURN(std::vector<Role>
//   roles, SplitKnown(listing.images, 0.5, 1));
//   HW_RETURN_IF_ERROR(ForEachEvalPicture(listing, roles, options, visit,
//   &failures));
//
// The split sorts the file names by StableHash(name, seed) and takes the
// first share as known, so it does not depend on directory order, on the
// folder's path, or on the other files' names' order (only on the set of
// names), and mixes sources that sort together by name.
//
// Thread-safety: functions are thread-safe; ForEachEvalPicture calls the
// visitor from several threads at once.
#ifndef HASHWATCH_BENCH_EVAL_EVALSET_H_
#define HASHWATCH_BENCH_EVAL_EVALSET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bench/eval/transforms.h"
#include "matcher/decode.h"

namespace hashwatch::bench {

// File extensions (lowercase, without the dot) taken as pictures.
absl::Span<const absl::string_view> PictureExtensions();

struct FolderListing {
  std::string dir;
  std::vector<std::string> images;   // names with a picture extension, sorted
  std::vector<std::string> ignored;  // other regular files, sorted
};

// The regular files directly in `dir` (not recursive; hidden files
// skipped). NotFound: no such folder. InvalidArgument: not a folder, or no
// file with a picture extension. PermissionDenied: the folder cannot be
// read.
absl::StatusOr<FolderListing> ListFolder(const std::string& dir);

enum class Role { kKnown = 0, kDistractor = 1, kCopy = 2 };
absl::string_view RoleName(Role role);  // "known", "distractor", "copy"
absl::StatusOr<Role> ParseRole(absl::string_view name);

// Roles for `names` (kKnown or kDistractor, aligned with `names`): the
// round(n * known_fraction) names first by StableHash(name, seed) are known,
// clamped so that each side has at least one. InvalidArgument: fewer than
// two names, duplicate names, or known_fraction outside (0, 1).
absl::StatusOr<std::vector<Role>> SplitKnown(
    absl::Span<const std::string> names, double known_fraction, uint64_t seed);

// "b001.jpg" + "jpeg_q50" + "jpg" -> "b001__jpeg_q50.jpg".
std::string CopyName(absl::string_view source_name,
                     const TransformSpec& transform,
                     absl::string_view extension);

// One row of manifest.csv. The header is
//   file,role,source,transform,family,width,height
// `file` is relative to the evaluation set's folder; `source` is the known
// picture's name for a copy and the file's own name otherwise; `transform`
// and `family` are empty except for copies; width and height are the
// decoded size.
struct ManifestRow {
  std::string file;
  Role role = Role::kKnown;
  std::string source;
  std::string transform;
  std::string family;
  int width = 0;
  int height = 0;
};

std::string ManifestCsv(absl::Span<const ManifestRow> rows);
// InvalidArgument naming the line of the first problem: wrong header, wrong
// field count, unknown role, bad number, a copy without source or transform.
absl::StatusOr<std::vector<ManifestRow>> ParseManifest(absl::string_view csv);
// Reads and parses `evalset_dir`/manifest.csv; a parse error names the file.
absl::StatusOr<std::vector<ManifestRow>> ReadManifest(
    const std::string& evalset_dir);

// A picture that could not be used, and why.
struct Failure {
  std::string file;
  std::string reason;
};

struct EvalSetOptions {
  // Share of the folder's pictures that become known (bank) pictures.
  double known_fraction = 0.5;
  // Salt of the split and of every transform's random choices.
  uint64_t seed = 1;
  // Transforms applied to each known picture; empty means all of them.
  std::vector<TransformSpec> transforms;
  // Worker threads; 0 means one per core.
  int threads = 0;
  // Every input must decode completely with the production decoder
  // (matcher/decode.h) in each of these modes before it, or any copy of
  // it, is used: the sweep hashes with that decoder, and libvips' own
  // loader, which the transforms start from, accepts files the matcher
  // refuses (a truncated JPEG decodes with grey rows). Default: both
  // modes, so a written set sweeps with or without --compat; the sweep
  // itself checks the one mode it hashes with.
  std::vector<matcher::DecodeMode> decode_modes = {
      matcher::DecodeMode::kFast, matcher::DecodeMode::kCompat};
};

// One picture of the evaluation set, handed to a visitor.
struct EvalPicture {
  Role role = Role::kKnown;
  int input = 0;  // index into FolderListing::images of the file (or source)
  int transform = -1;  // index into EvalSetOptions::transforms (copies only)
  std::string name;    // file name: the input's, or CopyName(...) for a copy
  std::string source;  // the input's file name
  const TransformSpec* spec = nullptr;  // copies only
  const std::string* bytes = nullptr;  // encoded picture, valid during the call
  int width = 0;                       // decoded size
  int height = 0;
};

// Reads and decodes every picture of `listing` and calls `visit` for it
// and, when it is known, for each of its transformed copies, from
// `options.threads` worker threads (0: one per core; `worker` is
// 0..threads-1, see common/parallel_for.h). A file that
// cannot be read, or does not decode completely in every one of
// options.decode_modes, or a transform that fails on it, is added to
// `failures` (sorted by file name at the end) and skipped: neither it nor
// its copies reach `visit`. Stops at the
// first error `visit` returns and returns it; InvalidArgument for bad
// options. `roles` is aligned with listing.images.
absl::Status ForEachEvalPicture(
    const FolderListing& listing, absl::Span<const Role> roles,
    const EvalSetOptions& options,
    const std::function<absl::Status(int worker, const EvalPicture&)>& visit,
    std::vector<Failure>* failures);

struct EvalSetSummary {
  int known = 0;
  int distractors = 0;
  int copies = 0;
  std::vector<Failure> failures;
  std::vector<std::string> ignored;  // files without a picture extension
};

// Writes the evaluation set for the pictures in `images_dir` to `out_dir`
// (created if absent): known/NAME, distractors/NAME (byte copies),
// copies/CopyName(...), and manifest.csv. Errors as ListFolder and
// SplitKnown; Unavailable when a file cannot be written. Undecodable
// pictures (as ForEachEvalPicture decides) are not errors: they are listed
// in the summary's failures and left out of the set.
absl::StatusOr<EvalSetSummary> WriteEvalSet(const std::string& images_dir,
                                            const std::string& out_dir,
                                            const EvalSetOptions& options);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_EVALSET_H_
