// Picture recovery: the rectangles of a decoded picture that may hold a
// known picture someone has framed, padded or pasted into something larger.
//
// Hash lists hold hashes of whole pictures, so a copy with a border, with
// letterbox or pillarbox bars, or inside a screenshot, a web page or a
// collage hashes far from the listed hash. FindRegions looks at the
// luminance the hasher sees and proposes rectangles to hash besides the
// whole picture:
//  - kUnbordered: the picture with near-uniform border lines of any colour
//    stripped from every side (uneven widths, JPEG noise, borders nested up
//    to options.max_border_passes deep, bars on two sides);
//  - kRegion: a textured rectangle inside a flatter canvas whose outline is
//    backed by edges (a picture in a viewer window, on a page, in a collage
//    cell): long straight lines of OpenCV Sobel edges on a copy shrunk to
//    about 256 px (options.outline_side), each side then placed on the
//    strongest step of the full picture near it, and kept only with canvas
//    (mostly one grey level) beside all its inner sides but one.
// At most options.max_regions rectangles come back, largest first, none
// smaller than options.min_side on a side or options.min_area of the
// picture, none nearly the whole picture (that is hashed anyway) and no two
// nearly the same.
//
// Cost (bench/regions_probe, CPU time): about the cost of one PDQ hash of
// the 512 x 512 buffer per picture, and a plain photograph gets a region
// (a hash and its searches) about once in two or three pictures.
//
// Thread-safety: FindRegions is thread-safe; it keeps per-thread scratch
// buffers so a thread allocates nothing after warm-up for one picture size.
#ifndef HASHWATCH_MATCHER_REGIONS_H_
#define HASHWATCH_MATCHER_REGIONS_H_

#include <string>
#include <vector>

#include "absl/types/span.h"

namespace hashwatch::matcher {

enum class RegionKind { kUnbordered, kRegion };

// A rectangle in the coordinates of the luminance buffer it was found in.
struct Region {
  RegionKind kind = RegionKind::kRegion;
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;

  friend bool operator==(const Region&, const Region&) = default;
};

struct RegionOptions {
  // Candidate rectangles besides the whole picture (0 turns recovery off).
  int max_regions = 6;
  // No side of a candidate below this many pixels of the buffer (the
  // hasher's input, at most 512 x 512), and no candidate below this share
  // of the picture's area: smaller ones hash too little of anything.
  int min_side = 48;
  double min_area = 0.06;
  // Candidates covering more than this share of the picture are left out,
  // except an unbordered picture, which needs only lose a visible border.
  double max_area = 0.92;
  // Border lines: at least `border_fill` of the line's pixels within
  // `border_tolerance` luminance levels of the line's median, and each line
  // within `border_drift` levels of the one outside it (gradual shading).
  float border_tolerance = 12.0f;
  float border_drift = 10.0f;
  double border_fill = 0.94;
  // A border narrower than this share of its side (and 2 pixels) is left
  // alone: it changes the hash by less than JPEG noise does.
  double min_border = 0.02;
  // Borders inside borders: how many times to strip again.
  int max_border_passes = 3;
  // Outlines are looked for on a copy shrunk by the largest whole factor
  // that leaves its long side at least this long (the hasher's 512 x 512
  // buffer: 256 x 256; a 512 x 288 picture: 256 x 144), then each side is
  // placed on the full picture; 0 looks at full resolution. Borders are
  // always stripped at full resolution.
  int outline_side = 256;
};

struct RegionSearch {
  std::vector<Region> regions;  // largest first
  // Why a candidate was not proposed, for logs and tests: "too small for
  // regions", "only border", "recovered region is flat", ... Empty when
  // nothing was set aside.
  std::vector<std::string> notes;
};

// Candidate rectangles of `luma` (row-major, width x height, 0..255).
// Degenerate input (sides under 2 * min_side, a single colour, all border)
// gives no candidates and a note. Requires luma.size() == width * height.
RegionSearch FindRegions(absl::Span<const float> luma, int width, int height,
                         const RegionOptions& options = {});

// Copies `region` of `luma` (row-major, `width` wide) into `out`, row-major,
// region.width x region.height. The region must lie inside the buffer.
void CopyRegion(absl::Span<const float> luma, int width, const Region& region,
                std::vector<float>* out);

// How a match was found, as the API, the CLI and reports say it: "whole",
// "unbordered", or "region X,Y,W,H" in the source picture's pixels (the
// buffer's rectangle scaled by source / buffer size on each axis).
std::string RegionPath(const Region& region, int buffer_width,
                       int buffer_height, int source_width, int source_height);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_REGIONS_H_
