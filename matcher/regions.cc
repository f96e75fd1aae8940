#include "matcher/regions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hashwatch::matcher {
namespace {

// A candidate whose luminance varies less than this (standard deviation,
// levels) holds no picture: its PDQ hash would be noise.
constexpr double kFlatStdDev = 4.0;
// Two candidates whose sides are all within this share of the picture's
// size of each other are one candidate (a few pixels change PDQ little;
// a strip of text or border changes it a lot).
constexpr double kSameRegion = 0.015;
// Outline of a kRegion candidate: each side not on the picture's own edge
// lies on a straight edge line (edge pixels within kEdgeBand of it) along
// at least kSideSupport of its length, and the backed sides make at least
// kMinOutline of the perimeter.
constexpr int kEdgeBand = 1;
constexpr double kSideSupport = 0.75;
// One inner side may be weaker (text or a caption laid over the picture's
// edge), down to this.
constexpr double kWeakSide = 0.4;
constexpr double kMinOutline = 0.2;
// An edge line across this share of a candidate splits it.
constexpr double kSplitLine = 0.9;
// Lines of each orientation considered, the longest first.
constexpr int kMaxLines = 16;
// An edge: a Sobel gradient of at least this across the line, a step of
// about 20 levels (chosen on generated evaluation sets: lower finds more
// lines in photographs and no more pictures).
constexpr int kEdgeStep = 80;
// Canvas beside an inner side: kCanvasFill of a strip kCanvasBand lines
// wide near one grey level (CanvasBeside).
constexpr int kCanvasBand = 4;
constexpr double kCanvasFill = 0.6;
// Outline candidates looked at closely (sides placed, canvas and flatness
// checked) at most, best backed first.
constexpr int kMaxExamined = 64;

enum class Side { kTop, kBottom, kLeft, kRight };
constexpr std::array<Side, 4> kSides = {Side::kTop, Side::kBottom, Side::kLeft,
                                        Side::kRight};

struct Scratch {
  cv::Mat gray;                  // 8-bit luminance
  cv::Mat small;                 // `gray` shrunk for the outline search
  cv::Mat gx, gy;                // Sobel gradients, for the edges' orientation
  cv::Mat ax, ay;                // their magnitudes, 8-bit
  cv::Mat horizontal, vertical;  // edges by orientation, thickened
  cv::Mat vertical_t;            // `vertical` transposed
  std::vector<uint8_t> line;
};

Scratch& LocalScratch() {
  thread_local Scratch s;
  return s;
}

bool Vertical(Side side) { return side == Side::kLeft || side == Side::kRight; }

// The pixels of line `i` (0 = outermost) on `side` of `r`.
void ReadLine(const cv::Mat& g, const cv::Rect& r, Side side, int i,
              std::vector<uint8_t>* out) {
  out->clear();
  if (!Vertical(side)) {
    const int y = side == Side::kTop ? r.y + i : r.y + r.height - 1 - i;
    const uint8_t* row = g.ptr<uint8_t>(y);
    out->assign(row + r.x, row + r.x + r.width);
    return;
  }
  const int x = side == Side::kLeft ? r.x + i : r.x + r.width - 1 - i;
  for (int y = r.y; y < r.y + r.height; ++y)
    out->push_back(g.at<uint8_t>(y, x));
}

// The median of `n` values counted in `hist` (into *median), and how many
// of them lie within `tolerance` levels of it.
int NearMedian(const std::array<int, 256>& hist, int n, float tolerance,
               int* median) {
  int m = 0;
  for (int seen = hist[0]; seen * 2 <= n && m < 255;) seen += hist[++m];
  const int tol = static_cast<int>(std::lround(tolerance));
  int within = 0;
  for (int v = std::max(0, m - tol); v <= std::min(255, m + tol); ++v)
    within += hist[v];
  *median = m;
  return within;
}

// Whether `line` is a border line: most pixels near its median, and the
// median near `outer` (the median of the line outside it; -1 for the
// outermost line). Sets *median.
bool IsBorderLine(const std::vector<uint8_t>& line, int outer,
                  const RegionOptions& o, int* median) {
  std::array<int, 256> hist{};
  for (uint8_t v : line) ++hist[v];
  const int n = static_cast<int>(line.size());
  int m = 0;
  const int within = NearMedian(hist, n, o.border_tolerance, &m);
  *median = m;
  if (within < o.border_fill * n) return false;
  return outer < 0 || std::abs(m - outer) <= o.border_drift;
}

// How many border lines `side` of `r` has, leaving at least o.min_side.
int BorderRun(const cv::Mat& g, const cv::Rect& r, Side side,
              const RegionOptions& o, std::vector<uint8_t>* line) {
  const int limit = (Vertical(side) ? r.width : r.height) - o.min_side;
  int outer = -1, n = 0;
  while (n < limit) {
    ReadLine(g, r, side, n, line);
    int median = 0;
    if (!IsBorderLine(*line, outer, o, &median)) break;
    outer = median;
    ++n;
  }
  return std::max(0, n);
}

bool IsFlat(const cv::Mat& g, const cv::Rect& r) {
  cv::Scalar mean, stddev;
  cv::meanStdDev(g(r), mean, stddev);
  return stddev[0] < kFlatStdDev;
}

// The picture inside near-uniform borders, if it has a visible one.
std::optional<cv::Rect> StripBorders(const cv::Mat& g, const RegionOptions& o,
                                     Scratch* s, RegionSearch* out) {
  cv::Rect r(0, 0, g.cols, g.rows);
  for (int pass = 0; pass <= o.max_border_passes; ++pass) {
    std::array<int, 4> run{};
    for (int k = 0; k < 4; ++k)
      run[k] = BorderRun(g, r, kSides[k], o, &s->line);
    if (run[0] + run[1] + run[2] + run[3] == 0) break;
    r = cv::Rect(r.x + run[2], r.y + run[0], r.width - run[2] - run[3],
                 r.height - run[0] - run[1]);
    if (r.width < o.min_side || r.height < o.min_side) {
      out->notes.push_back("only border: nothing of the minimum size inside");
      return std::nullopt;
    }
  }
  const int dx = std::max(2, static_cast<int>(o.min_border * g.cols));
  const int dy = std::max(2, static_cast<int>(o.min_border * g.rows));
  const bool visible = r.x >= dx || g.cols - r.x - r.width >= dx || r.y >= dy ||
                       g.rows - r.y - r.height >= dy;
  if (!visible) return std::nullopt;
  if (IsFlat(g, r)) {
    out->notes.push_back("the picture inside the border is flat");
    return std::nullopt;
  }
  return r;
}

// Straight edge lines of one orientation: rows (for horizontal lines) or
// columns with a long run of edge pixels, and prefix sums along each so the
// share of any stretch that is edge costs O(1).
struct EdgeLines {
  std::vector<int> at;                // row or column; first and last are the
                                      // picture's own edges
  std::vector<std::vector<int>> sum;  // sum[k][i]: edge pixels before i
  int length = 0;                     // pixels along a line

  double Share(int k, int from, int to) const {  // [from, to]
    if (k == 0 || k + 1 == static_cast<int>(at.size())) return -1;  // edge
    return static_cast<double>(sum[k][to + 1] - sum[k][from]) / (to - from + 1);
  }
};

// `mask` holds the edge pixels of one orientation, thickened across the
// line by kEdgeBand, one line a row (vertical lines come transposed).
EdgeLines FindLines(const cv::Mat& mask, const RegionOptions& o) {
  const int count = mask.rows;
  const int length = mask.cols;
  std::vector<std::pair<int, int>> runs;  // (longest run, line)
  for (int line = 1; line + 1 < count; ++line) {
    // Most lines of a photograph hold too few edge pixels for any run.
    if (cv::countNonZero(mask.row(line)) < o.min_side) continue;
    const uint8_t* p = mask.ptr<uint8_t>(line);
    int best = 0, run = 0;
    for (int i = 0; i < length; ++i) {
      run = p[i] != 0 ? run + 1 : 0;
      best = std::max(best, run);
    }
    if (best >= o.min_side) runs.emplace_back(best, line);
  }
  std::sort(runs.rbegin(), runs.rend());
  EdgeLines out;
  out.length = length;
  out.at = {0, count - 1};
  for (const std::pair<int, int>& run : runs) {
    const int line = run.second;
    if (static_cast<int>(out.at.size()) >= kMaxLines + 2) break;
    const bool near = std::any_of(out.at.begin(), out.at.end(), [&](int a) {
      return std::abs(a - line) <= 2 * kEdgeBand;
    });
    if (!near) out.at.push_back(line);
  }
  std::sort(out.at.begin(), out.at.end());
  out.sum.resize(out.at.size());
  for (size_t k = 0; k < out.at.size(); ++k) {
    const uint8_t* p = mask.ptr<uint8_t>(out.at[k]);
    out.sum[k].assign(length + 1, 0);
    for (int i = 0; i < length; ++i)
      out.sum[k][i + 1] = out.sum[k][i] + (p[i] != 0);
  }
  return out;
}

// Whether an edge line strictly between lines `first` and `last` crosses
// [from, to]: nearly whole (kSplitLine) for a rectangle between two edge
// lines, enough to back a side (kSideSupport) when one of its sides is the
// picture's own edge, which shows nothing. Such a rectangle holds two
// things (collage cells, a frame and its inside, a picture and its caption
// bar), not one picture.
bool Split(const EdgeLines& lines, int first, int last, int from, int to) {
  const bool open = first == 0 || last + 1 == static_cast<int>(lines.at.size());
  const double limit = open ? kSideSupport : kSplitLine;
  for (int k = first + 1; k < last; ++k) {
    if (lines.Share(k, from, to) >= limit) return true;
  }
  return false;
}

// A rectangle between four edge lines, in the coordinates of the image the
// lines were found in: lines x0 < x1 (columns) and y0 < y1 (rows), each
// either an edge line inside the picture or the picture's own edge.
struct Candidate {
  int x0, y0, x1, y1;
  std::array<bool, 4> inner;  // kSides order: the side lies on an edge line
  double outline;             // share of the perimeter backed by edge lines
  int area;
};

// Edge pixels of `g` split by orientation into s->horizontal (rows where
// the luminance steps from one row to the next) and s->vertical, each
// thickened across its lines by kEdgeBand. An edge pixel's Sobel gradient
// across its line is at least kEdgeStep, no weaker than along the line, and
// a local maximum across it (a thin edge, as Canny's non-maximum
// suppression makes it; straight lines need no hysteresis, and this one
// pass costs a small part of Canny).
void SplitEdges(const cv::Mat& g, Scratch* s) {
  cv::Sobel(g, s->gx, CV_16S, 1, 0, 3, 1, 0, cv::BORDER_REPLICATE);
  cv::Sobel(g, s->gy, CV_16S, 0, 1, 3, 1, 0, cv::BORDER_REPLICATE);
  // Half the magnitudes in 8 bits: a step of up to 127 levels keeps its
  // own value (for the local maxima), steeper ones saturate.
  cv::convertScaleAbs(s->gx, s->ax, 0.5);
  cv::convertScaleAbs(s->gy, s->ay, 0.5);
  s->horizontal.create(g.size(), CV_8U);
  s->vertical.create(g.size(), CV_8U);
  const int w = g.cols;
  const uint8_t step = kEdgeStep / 2;
  for (int y = 0; y < g.rows; ++y) {
    const uint8_t* ax = s->ax.ptr<uint8_t>(y);
    const uint8_t* ay = s->ay.ptr<uint8_t>(y);
    const uint8_t* up = s->ay.ptr<uint8_t>(std::max(0, y - 1));
    const uint8_t* down = s->ay.ptr<uint8_t>(std::min(g.rows - 1, y + 1));
    uint8_t* h = s->horizontal.ptr<uint8_t>(y);
    uint8_t* v = s->vertical.ptr<uint8_t>(y);
    // Branch-free, so that the compiler vectorises both loops.
    for (int x = 0; x < w; ++x) {
      h[x] = ((ay[x] >= step) & (ay[x] >= ax[x]) & (ay[x] >= up[x]) &
              (ay[x] > down[x]))
                 ? 255
                 : 0;
    }
    for (int x = 1; x + 1 < w; ++x) {
      v[x] = ((ax[x] >= step) & (ax[x] > ay[x]) & (ax[x] >= ax[x - 1]) &
              (ax[x] > ax[x + 1]))
                 ? 255
                 : 0;
    }
    v[0] = ((ax[0] >= step) & (ax[0] > ay[0]) & (ax[0] > ax[1])) ? 255 : 0;
    v[w - 1] = 0;  // like the last row: no step beyond the picture
  }
  const int band = 2 * kEdgeBand + 1;
  cv::dilate(s->horizontal, s->horizontal,
             cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1, band)));
  cv::dilate(s->vertical, s->vertical,
             cv::getStructuringElement(cv::MORPH_RECT, cv::Size(band, 1)));
  cv::transpose(s->vertical, s->vertical_t);
}

// An inner side backed along less than kWeakSide of its length (a side on
// the picture's own edge, share -1, is never weak).
bool Weak(double share) { return share >= 0 && share < kWeakSide; }

// Rectangles whose sides lie on straight edge lines: a picture pasted on a
// page, in a viewer, in a collage cell, or above or below a caption. Loops
// top line, left and right lines, then bottom line, so that a top side
// without backing rules out every rectangle below it at once.
std::vector<Candidate> Outlines(const cv::Mat& g, const RegionOptions& o,
                                Scratch* s) {
  SplitEdges(g, s);
  const EdgeLines rows = FindLines(s->horizontal, o);
  const EdgeLines cols = FindLines(s->vertical_t, o);
  std::vector<Candidate> out;
  const int nr = static_cast<int>(rows.at.size());
  const int nc = static_cast<int>(cols.at.size());
  for (int t = 0; t + 1 < nr; ++t) {
    for (int l = 0; l < nc; ++l) {
      for (int r = l + 1; r < nc; ++r) {
        const int x0 = cols.at[l], x1 = cols.at[r];
        if (x1 - x0 + 1 < o.min_side || Weak(rows.Share(t, x0, x1))) continue;
        for (int b = t + 1; b < nr; ++b) {
          const int y0 = rows.at[t], y1 = rows.at[b];
          if (y1 - y0 + 1 < o.min_side || Weak(rows.Share(b, x0, x1))) continue;
          // Each inner side well backed; sides on the picture's edge say
          // nothing either way.
          const std::array<std::pair<double, int>, 4> sides = {
              std::pair{rows.Share(t, x0, x1), x1 - x0 + 1},
              std::pair{rows.Share(b, x0, x1), x1 - x0 + 1},
              std::pair{cols.Share(l, y0, y1), y1 - y0 + 1},
              std::pair{cols.Share(r, y0, y1), y1 - y0 + 1}};
          double backed = 0;
          int weak = 0;
          bool ok = true;
          for (const auto& [share, len] : sides) {
            if (share < 0) continue;
            ok &= share >= kWeakSide;
            weak += share < kSideSupport;
            backed += share * len;
          }
          if (!ok || weak > 1 || backed == 0) continue;
          if (Split(rows, t, b, x0, x1) || Split(cols, l, r, y0, y1)) continue;
          const int w = x1 - x0 + 1, h = y1 - y0 + 1;
          out.push_back({x0,
                         y0,
                         x1,
                         y1,
                         {sides[0].first >= 0, sides[1].first >= 0,
                          sides[2].first >= 0, sides[3].first >= 0},
                         backed / (2.0 * (w + h)),
                         w * h});
        }
      }
    }
  }
  // Best backed first, then largest; ties by position, so the order is the
  // same on every run.
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.outline != b.outline) return a.outline > b.outline;
    if (a.area != b.area) return a.area > b.area;
    return std::tie(a.y0, a.x0) < std::tie(b.y0, b.x0);
  });
  return out;
}

// The boundary near `line` of an image shrunk by `f`, in `g` at full
// resolution: the b in a few pixels around f * line whose step between
// lines b - 1 and b (rows, or columns when `vertical`), summed over
// [from, to) along the line, is the strongest. The picture starts at b
// (top and left sides) or ends just before it (bottom and right).
int Boundary(const cv::Mat& g, bool vertical, int line, int f, int from,
             int to) {
  const int n = vertical ? g.cols : g.rows;
  const int lo = std::max(1, f * line - f);
  const int hi = std::min(n - 1, f * line + 2 * f);
  int best = std::clamp(f * line, lo, hi);
  int best_step = -1;
  for (int b = lo; b <= hi; ++b) {
    int step = 0;
    if (vertical) {
      for (int i = from; i < to; ++i)
        step += std::abs(g.at<uint8_t>(i, b) - g.at<uint8_t>(i, b - 1));
    } else {
      const uint8_t* p = g.ptr<uint8_t>(b);
      const uint8_t* q = g.ptr<uint8_t>(b - 1);
      for (int i = from; i < to; ++i) step += std::abs(p[i] - q[i]);
    }
    if (step > best_step) best = b, best_step = step;
  }
  return best;
}

// A candidate found on a copy shrunk by `f`, as a rectangle of `g`: each
// side on an edge line moves to the strongest step near it (the edge line
// may lie on the canvas's last line or the picture's first), each side on
// the shrunk copy's own edge to `g`'s edge.
cv::Rect InFull(const cv::Mat& g, const Candidate& c, int f) {
  const int xa = f * c.x0, xb = std::min(g.cols, f * (c.x1 + 1));
  const int ya = f * c.y0, yb = std::min(g.rows, f * (c.y1 + 1));
  const int top = c.inner[0] ? Boundary(g, false, c.y0, f, xa, xb) : 0;
  const int bottom = c.inner[1] ? Boundary(g, false, c.y1, f, xa, xb) : g.rows;
  const int left = c.inner[2] ? Boundary(g, true, c.x0, f, ya, yb) : 0;
  const int right = c.inner[3] ? Boundary(g, true, c.x1, f, ya, yb) : g.cols;
  return cv::Rect(left, top, std::max(0, right - left),
                  std::max(0, bottom - top));
}

// Whether the strip just outside `side` of `r` (kCanvasBand lines, past
// the one line next to it that the boundary may blur) looks like canvas:
// at least kCanvasFill of its pixels near its median, as on a page, a
// viewer's background, a collage's gutter or a caption bar around its
// text. A photograph's own edges (a horizon, a stripe) have picture on
// both sides and fail.
bool CanvasBeside(const cv::Mat& g, const cv::Rect& r, Side side,
                  const RegionOptions& o) {
  cv::Rect band;
  switch (side) {
    case Side::kTop:
      band = cv::Rect(r.x, r.y - 1 - kCanvasBand, r.width, kCanvasBand);
      break;
    case Side::kBottom:
      band = cv::Rect(r.x, r.br().y + 1, r.width, kCanvasBand);
      break;
    case Side::kLeft:
      band = cv::Rect(r.x - 1 - kCanvasBand, r.y, kCanvasBand, r.height);
      break;
    case Side::kRight:
      band = cv::Rect(r.br().x + 1, r.y, kCanvasBand, r.height);
      break;
  }
  band &= cv::Rect(0, 0, g.cols, g.rows);
  if (band.empty()) return true;  // nothing outside to judge by
  std::array<int, 256> hist{};
  for (int y = band.y; y < band.br().y; ++y) {
    const uint8_t* p = g.ptr<uint8_t>(y);
    for (int x = band.x; x < band.br().x; ++x) ++hist[p[x]];
  }
  const int n = band.area();
  int m = 0;
  return NearMedian(hist, n, o.border_tolerance, &m) >= kCanvasFill * n;
}

// How much the outline search shrinks a width x height picture.
int OutlineFactor(int width, int height, const RegionOptions& o) {
  if (o.outline_side <= 0) return 1;
  return std::max(1, std::max(width, height) / o.outline_side);
}

bool Same(const cv::Mat& g, const cv::Rect& a, const cv::Rect& b) {
  const double dx = kSameRegion * g.cols, dy = kSameRegion * g.rows;
  return std::abs(a.x - b.x) <= dx && std::abs(a.y - b.y) <= dy &&
         std::abs(a.br().x - b.br().x) <= dx &&
         std::abs(a.br().y - b.br().y) <= dy;
}

// With borders on opposite sides that differ a lot, the wider one may have
// eaten into a flat edge of the picture: the same rectangle with the wider
// border cut back to the narrower one's width. `r` itself when no such pair.
cv::Rect Balanced(const cv::Mat& g, cv::Rect r) {
  auto balance = [](int& a, int& b) {
    if (a > 0 && b > 0 && std::max(a, b) > 2 * std::min(a, b) + 2)
      a = b = std::min(a, b);
  };
  int top = r.y, bottom = g.rows - r.br().y, left = r.x,
      right = g.cols - r.br().x;
  balance(top, bottom);
  balance(left, right);
  return cv::Rect(left, top, g.cols - left - right, g.rows - top - bottom);
}

bool BigEnough(const cv::Mat& g, const cv::Rect& r, const RegionOptions& o) {
  return r.width >= o.min_side && r.height >= o.min_side &&
         r.area() >= o.min_area * g.cols * g.rows;
}

}  // namespace

RegionSearch FindRegions(absl::Span<const float> luma, int width, int height,
                         const RegionOptions& o) {
  // One picture is too little work to share between threads: OpenCV runs
  // on the caller's thread, and callers hash pictures in parallel.
  static std::once_flag sequential;
  std::call_once(sequential, [] { cv::setNumThreads(0); });
  RegionSearch out;
  if (o.max_regions <= 0) return out;
  if (width < 2 * o.min_side || height < 2 * o.min_side ||
      luma.size() != static_cast<size_t>(width) * height) {
    out.notes.push_back(absl::StrCat("too small for regions: ", width, "x",
                                     height, ", want both sides at least ",
                                     2 * o.min_side));
    return out;
  }
  Scratch& s = LocalScratch();
  cv::Mat(height, width, CV_32F, const_cast<float*>(luma.data()))
      .convertTo(s.gray, CV_8U);
  const cv::Mat& g = s.gray;
  std::vector<cv::Rect> kept;
  if (std::optional<cv::Rect> r = StripBorders(g, o, &s, &out)) {
    // Re-shared copies mostly get even borders: the balanced reading first.
    for (const cv::Rect& u : {Balanced(g, *r), *r}) {
      if (!kept.empty() && (Same(g, kept[0], u) || IsFlat(g, u))) continue;
      kept.push_back(u);
      out.regions.push_back(
          {RegionKind::kUnbordered, u.x, u.y, u.width, u.height});
    }
  }

  // Outlines on a shrunk copy (edge lines a few pixels long are no
  // outline), each candidate's sides then placed on the full picture.
  const int f = OutlineFactor(width, height, o);
  const cv::Mat* d = &g;
  RegionOptions shrunk = o;
  if (f > 1) {
    cv::resize(g, s.small, cv::Size(width / f, height / f), 0, 0,
               cv::INTER_AREA);
    d = &s.small;
    shrunk.min_side = (o.min_side + f - 1) / f;
  }
  const double whole = static_cast<double>(width) * height;
  int examined = 0;
  for (const Candidate& c : Outlines(*d, shrunk, &s)) {
    if (static_cast<int>(out.regions.size()) >= o.max_regions ||
        c.outline < kMinOutline || ++examined > kMaxExamined) {
      break;
    }
    // Placing the sides moves each by at most 2f: no closer look at a
    // candidate that cannot come out between the size limits.
    const double w = f * (c.x1 - c.x0 + 1), h = f * (c.y1 - c.y0 + 1);
    if ((w + 4 * f) * (h + 4 * f) < o.min_area * whole ||
        (w - 4 * f) * (h - 4 * f) > o.max_area * whole) {
      continue;
    }
    const cv::Rect r = InFull(g, c, f);
    if (!BigEnough(g, r, o) || r.area() > o.max_area * whole) continue;
    // Canvas beside the inner sides, all but one (a caption across the
    // picture's edge); a rectangle cut out of a photograph has none.
    int inner = 0, canvas = 0;
    for (int k = 0; k < 4; ++k) {
      if (!c.inner[k]) continue;
      ++inner;
      canvas += CanvasBeside(g, r, kSides[k], o);
    }
    if (canvas < std::max(1, inner - 1)) continue;
    const bool seen = std::any_of(kept.begin(), kept.end(),
                                  [&](const auto& k) { return Same(g, k, r); });
    if (seen || IsFlat(g, r)) continue;
    kept.push_back(r);
    out.regions.push_back({RegionKind::kRegion, r.x, r.y, r.width, r.height});
  }
  return out;
}

void CopyRegion(absl::Span<const float> luma, int width, const Region& region,
                std::vector<float>* out) {
  out->resize(static_cast<size_t>(region.width) * region.height);
  for (int y = 0; y < region.height; ++y) {
    const float* from =
        luma.data() + static_cast<size_t>(region.y + y) * width + region.x;
    std::copy(from, from + region.width,
              out->data() + static_cast<size_t>(y) * region.width);
  }
}

std::string RegionPath(const Region& region, int buffer_width,
                       int buffer_height, int source_width, int source_height) {
  if (region.kind == RegionKind::kUnbordered) return "unbordered";
  const double sx = static_cast<double>(source_width) / buffer_width;
  const double sy = static_cast<double>(source_height) / buffer_height;
  auto at = [](int v, double scale) {
    return static_cast<int>(std::lround(v * scale));
  };
  return absl::StrCat("region ", at(region.x, sx), ",", at(region.y, sy), ",",
                      at(region.width, sx), ",", at(region.height, sy));
}

}  // namespace hashwatch::matcher
