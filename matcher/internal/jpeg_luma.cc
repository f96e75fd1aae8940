#include "matcher/internal/jpeg_luma.h"

// clang-format off
#include <csetjmp>
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_format.h"
#include "matcher/internal/luma.h"

namespace hashwatch::matcher::internal {
namespace {

// Progressive JPEGs with thousands of tiny scans make a small file decode for
// minutes; real encoders emit a dozen. libjpeg-turbo's own TurboJPEG API
// uses the same cap.
constexpr int kMaxScans = 500;

enum class Failure { kNone, kCorrupt, kTruncated, kTooLarge, kTooManyScans };

// Lives in the caller's frame, outside the function that calls setjmp, so it
// is never an automatic variable of the frame that longjmp returns to.
struct JpegErrorState {
  jpeg_error_mgr pub;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  Failure failure = Failure::kNone;
  char message[JMSG_LENGTH_MAX] = {};
};

JpegErrorState* StateOf(j_common_ptr cinfo) {
  return reinterpret_cast<JpegErrorState*>(cinfo->err);
}

[[noreturn]] void Fail(j_common_ptr cinfo, Failure failure) {
  JpegErrorState* state = StateOf(cinfo);
  state->failure = failure;
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

void OnErrorExit(j_common_ptr cinfo) { Fail(cinfo, Failure::kCorrupt); }

void OnMessage(j_common_ptr cinfo, int level) {
  // level -1 is a warning. Premature end of data means a truncated file: the
  // library would fill the rest with grey and a hash of that is wrong.
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    Fail(cinfo, Failure::kTruncated);
  }
  // Other warnings (extraneous bytes, bad restart markers) are common in
  // real uploads and the reference decodes through them too.
}

void OnProgress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    StateOf(cinfo)->failure = Failure::kTooManyScans;
    std::snprintf(StateOf(cinfo)->message, JMSG_LENGTH_MAX,
                  "more than %d progressive scans", kMaxScans);
    std::longjmp(StateOf(cinfo)->jump, 1);
  }
}

// The decode itself. Everything it touches that outlives a longjmp is owned
// by the caller; it declares no object with a destructor.
Failure RunDecode(jpeg_decompress_struct* cinfo, JpegErrorState* state,
                  absl::string_view bytes, const DecodeOptions& options,
                  std::vector<uint8_t>* row, LumaImage* out,
                  std::vector<int>* columns) {
  if (setjmp(state->jump) != 0) return state->failure;
  jpeg_mem_src(cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(cinfo, TRUE);
  out->source_width = static_cast<int>(cinfo->image_width);
  out->source_height = static_cast<int>(cinfo->image_height);
  if (static_cast<int64_t>(cinfo->image_width) * cinfo->image_height >
      options.max_pixels) {
    state->failure = Failure::kTooLarge;
    return state->failure;
  }
  const bool grey_source = cinfo->num_components == 1;
  const bool cmyk_source = cinfo->jpeg_color_space == JCS_CMYK ||
                           cinfo->jpeg_color_space == JCS_YCCK;
  if (cmyk_source) {
    cinfo->out_color_space = JCS_CMYK;  // libjpeg turns YCCK into CMYK
  } else {
    cinfo->out_color_space = grey_source ? JCS_GRAYSCALE : JCS_RGB;
  }
  cinfo->dct_method = JDCT_ISLOW;
  const bool resize =
      cinfo->image_width > kCompatSide || cinfo->image_height > kCompatSide;
  cinfo->scale_num =
      JpegScaleNumerator(static_cast<int>(cinfo->image_width),
                         static_cast<int>(cinfo->image_height), options);
  cinfo->scale_denom = 8;
  jpeg_calc_output_dimensions(cinfo);
  const int ow = static_cast<int>(cinfo->output_width);
  const int oh = static_cast<int>(cinfo->output_height);
  const int bands = cinfo->output_components;

  int width = ow, height = oh;
  if (resize) {
    width = height = kCompatSide;
    *columns = NearestIndices(ow, kCompatSide);
  } else {
    columns->clear();
  }
  out->width = width;
  out->height = height;
  out->pixels.resize(static_cast<size_t>(width) * height);
  row->resize(static_cast<size_t>(ow) * bands);

  state->progress.progress_monitor = OnProgress;
  cinfo->progress = &state->progress;
  jpeg_start_decompress(cinfo);
  JSAMPROW row_ptr = row->data();
  int out_y = 0;
  for (int sy = 0; sy < oh; ++sy) {
    jpeg_read_scanlines(cinfo, &row_ptr, 1);
    if (!resize) {
      RowToLuma(row->data(), bands, width, *columns,
                out->pixels.data() + static_cast<size_t>(sy) * width);
      continue;
    }
    // Output rows whose nearest source row is sy (none, one or several).
    while (out_y < height && static_cast<int64_t>(out_y) * oh / height == sy) {
      RowToLuma(row->data(), bands, width, *columns,
                out->pixels.data() + static_cast<size_t>(out_y) * width);
      ++out_y;
    }
  }
  jpeg_finish_decompress(cinfo);
  return Failure::kNone;
}

}  // namespace

int JpegScaleNumerator(int width, int height, const DecodeOptions& options) {
  if (options.mode != DecodeMode::kFast) return 8;
  // libjpeg's scaled size: ceil(side * m / 8). The nearest-neighbour resize
  // then samples the same grid as the reference, from pixels the scaled
  // IDCT has averaged; a side of 512 or less is never shrunk (the resize
  // stretches it, and would stretch fewer pixels).
  auto keeps = [](int side, int m) {
    return (static_cast<int64_t>(side) * m + 7) / 8 >=
           std::min(side, kCompatSide);
  };
  int m = 1;
  while (m < 8 && !(keeps(width, m) && keeps(height, m))) ++m;
  return m * std::max(1, options.min_fast_shrink) <= 8 ? m : 8;
}

bool LooksLikeJpeg(absl::string_view bytes) {
  return bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xFF &&
         static_cast<uint8_t>(bytes[1]) == 0xD8 &&
         static_cast<uint8_t>(bytes[2]) == 0xFF;
}

absl::Status DecodeJpegLuma(absl::string_view bytes,
                            const DecodeOptions& options,
                            std::vector<uint8_t>* row, LumaImage* out) {
  JpegErrorState state;
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&state.pub);
  state.pub.error_exit = OnErrorExit;
  state.pub.emit_message = OnMessage;
  state.progress = jpeg_progress_mgr{};
  jpeg_create_decompress(&cinfo);
  // Working memory beyond the pixel limit is refused by the library too.
  cinfo.mem->max_memory_to_use =
      static_cast<long>(std::min<int64_t>(options.max_pixels * 8, 1LL << 34));
  std::vector<int> columns;
  const Failure failure =
      RunDecode(&cinfo, &state, bytes, options, row, out, &columns);
  jpeg_destroy_decompress(&cinfo);
  switch (failure) {
    case Failure::kNone:
      break;
    case Failure::kTooLarge:
      return absl::ResourceExhaustedError(absl::StrFormat(
          "decode: image is %dx%d (%d pixels), over the limit of %d pixels",
          out->source_width, out->source_height,
          static_cast<int64_t>(out->source_width) * out->source_height,
          options.max_pixels));
    case Failure::kTruncated:
      return absl::InvalidArgumentError(
          "decode: jpeg is truncated (premature end of data)");
    case Failure::kTooManyScans:
      return absl::InvalidArgumentError(
          absl::StrCat("decode: jpeg rejected: ", state.message));
    case Failure::kCorrupt:
      return absl::InvalidArgumentError(
          absl::StrCat("decode: corrupt jpeg: ", state.message));
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::matcher::internal
