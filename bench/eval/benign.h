// The benign set: many pictures that are not any known picture, to show
// false matches (`hashwatch-bench benign`, and the sweep's --benign).
//
//   BenignOptions options;
//   options.out_dir = "/var/cache/hashwatch/benign";
//   HW_ASSIGN_OR_RETURN(BenignSummary s, WriteBenignSet(options));
//
// Families (manifest.csv says each file's family and how it was made):
//  - wallpaper_rescale, wallpaper_tile: rescales and tiles of the
//    wallpapers the Debian packages gnome-backgrounds, mate-backgrounds,
//    plasma-workspace-wallpapers, sway-backgrounds and desktop-base install
//    (whatever of their folders exist; one file per folder of size
//    variants);
//  - hard negatives aimed at picture recovery and the overlays of the
//    evaluation set: a different picture (a wallpaper tile, or synthetic
//    shapes) under the same watermark, caption, border, letterbox bars or
//    page-like canvas as the evaluation set's copies (the very transforms
//    of bench/eval/transforms.h), and inside the same image-viewer window;
//  - rendered text documents, flat colours, gradients, near-blank pictures,
//    synthetic shapes;
//  - screenshots of generated UI and web pages taken by headless Chromium
//    (skipped with a note when `chromium` is absent).
// Sides are 256..1280 pixels; JPEG, except flat and screenshot pictures
// (PNG).
//
// Reproducible: file i depends only on (seed, i, the wallpaper files found
// and the installed fonts), never on the count, the thread count or on
// timing, so the same seed on the same machine gives byte-identical files
// (a smaller count gives a prefix of a larger one). Chromium's
// rendering depends on its version.
//
// Thread-safety: WriteBenignSet is thread-safe and uses options.threads
// workers.
#ifndef HASHWATCH_BENCH_EVAL_BENIGN_H_
#define HASHWATCH_BENCH_EVAL_BENIGN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/eval/evalset.h"

namespace hashwatch::bench {

// The folders the wallpaper packages install into.
std::vector<std::string> DefaultWallpaperDirs();

struct BenignOptions {
  std::string out_dir;  // created if absent; files in it are replaced
  int count = 20000;    // pictures to write, >= 1
  uint64_t seed = 1;
  int threads = 0;  // 0: one per core
  // Searched recursively for wallpapers (jpg, jpeg, png, webp, svg);
  // missing folders are skipped.
  std::vector<std::string> wallpaper_dirs = DefaultWallpaperDirs();
  // The Chromium executable (a name looked up on PATH, or a path); empty
  // skips the screenshot family.
  std::string chromium = "chromium";
  // Folders (not recursive) of pictures the set must not contain copies
  // of, e.g. the evaluation corpus, which comes from the same wallpaper
  // packages: a wallpaper whose PDQ hash is within kExcludeDistance bits
  // of any dihedral variant of one of them is not used at all (neither
  // rescaled nor tiled nor under an overlay).
  std::vector<std::string> exclude_dirs;
};

inline constexpr int kExcludeDistance = 64;

// InvalidArgument naming the bad field.
absl::Status ValidateBenignOptions(const BenignOptions& options);

struct BenignSummary {
  int written = 0;
  int wallpapers = 0;  // wallpaper files used (after picking one per folder)
  int excluded = 0;    // wallpapers left out as near-copies of exclude_dirs'
  std::map<std::string, int> families;  // pictures per family
  // What was left out and why ("no wallpapers found in ...", "chromium not
  // found: screenshot family skipped").
  std::vector<std::string> notes;
  std::vector<Failure> failures;  // wallpapers that did not decode
  double seconds = 0;
};

// Writes options.count pictures NNNNNN_FAMILY.{jpg,png} and manifest.csv
// (file,family,how,width,height) into options.out_dir. InvalidArgument for
// bad options; Unavailable / PermissionDenied when the folder or a file
// cannot be written (checked before any picture is made); Internal when a
// picture cannot be made.
absl::StatusOr<BenignSummary> WriteBenignSet(const BenignOptions& options);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_BENIGN_H_
