#include "bench/eval/evalset.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/eval/csv.h"
#include "bench/eval/io.h"
#include "common/errno_status.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"

namespace hashwatch::bench {
namespace {

constexpr absl::string_view kExtensions[] = {
    "jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "heic", "heif", "avif"};

constexpr char kManifestHeader[] =
    "file,role,source,transform,family,width,height";

bool HasPictureExtension(absl::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos) return false;
  const std::string ext = absl::AsciiStrToLower(name.substr(dot + 1));
  return std::find(std::begin(kExtensions), std::end(kExtensions), ext) !=
         std::end(kExtensions);
}

std::string Join(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, dir.empty() || dir.back() == '/' ? "" : "/", name);
}

// OK when `bytes` decode to the end with the matcher's decoder in every
// mode of `modes`; otherwise its error, naming the mode when the other one
// decodes.
absl::Status CheckDecodes(absl::string_view bytes,
                          absl::Span<const matcher::DecodeMode> modes,
                          matcher::Decoder& decoder, matcher::LumaImage& luma) {
  for (matcher::DecodeMode mode : modes) {
    matcher::DecodeOptions o;
    o.mode = mode;
    absl::Status s = decoder.DecodeLuma(bytes, o, &luma);
    if (s.ok()) continue;
    if (modes.size() > 1) {
      return absl::Status(
          s.code(),
          absl::StrCat(
              s.message(), " (",
              mode == matcher::DecodeMode::kCompat ? "--compat" : "fast",
              " mode)"));
    }
    return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const absl::string_view> PictureExtensions() { return kExtensions; }

absl::StatusOr<FolderListing> ListFolder(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("no such folder: ", dir));
    return ErrnoStatus(errno, absl::StrCat("cannot read folder ", dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, " is not a folder"));
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return ErrnoStatus(errno, absl::StrCat("cannot read folder ", dir));
  }
  FolderListing out;
  out.dir = dir;
  errno = 0;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    struct stat fst {};
    if (stat(Join(dir, name).c_str(), &fst) != 0 || !S_ISREG(fst.st_mode))
      continue;
    (HasPictureExtension(name) ? out.images : out.ignored).push_back(name);
  }
  const int err = errno;
  closedir(d);
  if (err != 0) {
    return ErrnoStatus(err, absl::StrCat("cannot read folder ", dir));
  }
  std::sort(out.images.begin(), out.images.end());
  std::sort(out.ignored.begin(), out.ignored.end());
  if (out.images.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no pictures in ", dir,
        " (looked for .jpg .jpeg .png .webp .gif .tif .tiff .heic .heif ",
        ".avif; ", out.ignored.size(), " other files)"));
  }
  return out;
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kKnown:
      return "known";
    case Role::kDistractor:
      return "distractor";
    case Role::kCopy:
      return "copy";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role r : {Role::kKnown, Role::kDistractor, Role::kCopy}) {
    if (RoleName(r) == name) return r;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role '", name, "' is not known, distractor or copy"));
}

absl::StatusOr<std::vector<Role>> SplitKnown(
    absl::Span<const std::string> names, double known_fraction, uint64_t seed) {
  if (!(known_fraction > 0 && known_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evalset: known fraction is ", known_fraction, ", want 0 < f < 1"));
  }
  const int n = static_cast<int>(names.size());
  if (n < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evalset: ", n,
        " usable picture(s); want at least 2 (one known, one distractor)"));
  }
  if (std::set<std::string>(names.begin(), names.end()).size() !=
      names.size()) {
    return absl::InvalidArgumentError("evalset: duplicate file names");
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const uint64_t ha = StableHash(names[a], seed),
                   hb = StableHash(names[b], seed);
    return ha != hb ? ha < hb : names[a] < names[b];
  });
  const int known =
      std::clamp(static_cast<int>(std::lround(n * known_fraction)), 1, n - 1);
  std::vector<Role> roles(n, Role::kDistractor);
  for (int i = 0; i < known; ++i) roles[order[i]] = Role::kKnown;
  return roles;
}

std::string CopyName(absl::string_view source_name,
                     const TransformSpec& transform,
                     absl::string_view extension) {
  absl::string_view stem = source_name;
  if (const size_t dot = stem.rfind('.');
      dot != absl::string_view::npos && dot > 0) {
    stem = stem.substr(0, dot);
  }
  return absl::StrCat(stem, "__", transform.name, ".", extension);
}

std::string ManifestCsv(absl::Span<const ManifestRow> rows) {
  std::string out = absl::StrCat(kManifestHeader, "\n");
  for (const ManifestRow& r : rows) {
    out +=
        CsvLine({r.file, std::string(RoleName(r.role)), r.source, r.transform,
                 r.family, absl::StrCat(r.width), absl::StrCat(r.height)});
  }
  return out;
}

absl::StatusOr<std::vector<ManifestRow>> ReadManifest(
    const std::string& evalset_dir) {
  const std::string path = Join(evalset_dir, "manifest.csv");
  HW_ASSIGN_OR_RETURN(std::string manifest, ReadWholeFile(path));
  absl::StatusOr<std::vector<ManifestRow>> parsed = ParseManifest(manifest);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", parsed.status().message()));
  }
  return parsed;
}

absl::StatusOr<std::vector<ManifestRow>> ParseManifest(absl::string_view csv) {
  HW_ASSIGN_OR_RETURN(auto records, ParseCsv(csv));
  if (records.empty() ||
      CsvLine(records[0]) != absl::StrCat(kManifestHeader, "\n")) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest: line 1: want the header ", kManifestHeader));
  }
  std::vector<ManifestRow> rows;
  for (size_t i = 1; i < records.size(); ++i) {
    const std::vector<std::string>& f = records[i];
    const size_t line = i + 1;
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    if (f.size() != 7) {
      return absl::InvalidArgumentError(absl::StrCat(
          "manifest: line ", line, ": ", f.size(), " fields, want 7"));
    }
    ManifestRow r;
    r.file = f[0];
    absl::StatusOr<Role> role = ParseRole(f[1]);
    if (!role.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: line ", line, ": ", role.status().message()));
    }
    r.role = *role;
    r.source = f[2];
    r.transform = f[3];
    r.family = f[4];
    if (!absl::SimpleAtoi(f[5], &r.width) ||
        !absl::SimpleAtoi(f[6], &r.height) || r.width < 0 || r.height < 0) {
      return absl::InvalidArgumentError(absl::StrCat("manifest: line ", line,
                                                     ": bad width/height '",
                                                     f[5], "','", f[6], "'"));
    }
    if (r.file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest: line ", line, ": empty file"));
    }
    if (r.role == Role::kCopy && (r.source.empty() || r.transform.empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "manifest: line ", line, ": a copy needs its source and transform"));
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

absl::Status ForEachEvalPicture(
    const FolderListing& listing, absl::Span<const Role> roles,
    const EvalSetOptions& options,
    const std::function<absl::Status(int worker, const EvalPicture&)>& visit,
    std::vector<Failure>* failures) {
  if (roles.size() != listing.images.size()) {
    return absl::InvalidArgumentError(
        "evalset: roles and pictures differ in number");
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("evalset: threads is ", options.threads, ", want >= 0"));
  }
  std::vector<TransformSpec> transforms = options.transforms;
  if (transforms.empty())
    transforms.assign(AllTransforms().begin(), AllTransforms().end());

  // Known pictures first: they carry the transforms, so the long jobs start
  // early and the threads finish together.
  std::vector<int> order(listing.images.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_partition(order.begin(), order.end(),
                        [&](int i) { return roles[i] == Role::kKnown; });

  std::atomic<bool> stop{false};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<Failure> failed;
  auto fail = [&](absl::string_view file, const absl::Status& s) {
    absl::MutexLock lock(&mu);
    failed.push_back({std::string(file), std::string(s.message())});
  };
  const ParallelForOptions parallel{.threads = options.threads};
  const int workers = ParallelWorkerCount(order.size(), parallel);
  // One decoder and buffer per worker (a Decoder is not thread-safe).
  std::vector<matcher::Decoder> decoders(workers);
  std::vector<matcher::LumaImage> lumas(workers);
  ParallelForWithWorker(order.size(), parallel, [&](int worker, size_t k) {
    if (stop) return;
    matcher::Decoder& decoder = decoders[worker];
    matcher::LumaImage& luma = lumas[worker];
    const int input = order[k];
    const std::string& name = listing.images[input];
    absl::StatusOr<std::string> bytes = ReadWholeFile(Join(listing.dir, name));
    if (!bytes.ok()) {
      fail(name, bytes.status());
      return;
    }
    if (absl::Status s =
            CheckDecodes(*bytes, options.decode_modes, decoder, luma);
        !s.ok()) {
      fail(name, s);
      return;
    }
    absl::StatusOr<SourcePicture> source = SourcePicture::Decode(*bytes);
    if (!source.ok()) {
      fail(name, source.status());
      return;
    }
    EvalPicture p;
    p.role = roles[input];
    p.input = input;
    p.name = name;
    p.source = name;
    p.bytes = &source->bytes();
    p.width = source->width();
    p.height = source->height();
    absl::Status s = visit(worker, p);
    if (s.ok() && roles[input] == Role::kKnown) {
      for (size_t t = 0; t < transforms.size() && s.ok() && !stop; ++t) {
        absl::StatusOr<TransformedImage> copy =
            ApplyTransform(*source, transforms[t],
                           TransformSeed(options.seed, name, transforms[t]));
        EvalPicture c;
        c.role = Role::kCopy;
        c.input = input;
        c.transform = static_cast<int>(t);
        c.source = name;
        c.spec = &transforms[t];
        if (!copy.ok()) {
          fail(CopyName(name, transforms[t], "jpg"), copy.status());
          continue;
        }
        c.name = CopyName(name, transforms[t], copy->extension);
        c.bytes = &copy->bytes;
        c.width = copy->width;
        c.height = copy->height;
        s = visit(worker, c);
      }
    }
    if (!s.ok()) {
      absl::MutexLock lock(&mu);
      if (first_error.ok()) first_error = s;
      stop = true;
    }
  });
  HW_RETURN_IF_ERROR(first_error);
  std::sort(failed.begin(), failed.end(),
            [](const Failure& a, const Failure& b) { return a.file < b.file; });
  failures->insert(failures->end(), failed.begin(), failed.end());
  return absl::OkStatus();
}

absl::StatusOr<EvalSetSummary> WriteEvalSet(const std::string& images_dir,
                                            const std::string& out_dir,
                                            const EvalSetOptions& options) {
  HW_ASSIGN_OR_RETURN(FolderListing listing, ListFolder(images_dir));
  HW_ASSIGN_OR_RETURN(
      std::vector<Role> roles,
      SplitKnown(listing.images, options.known_fraction, options.seed));
  for (const char* sub : {"known", "distractors", "copies"}) {
    HW_RETURN_IF_ERROR(MakeDirs(Join(out_dir, sub)));
  }
  absl::Mutex mu;
  std::vector<ManifestRow> rows;
  EvalSetSummary summary;
  summary.ignored = listing.ignored;
  auto visit = [&](int, const EvalPicture& p) -> absl::Status {
    const char* sub = p.role == Role::kKnown        ? "known"
                      : p.role == Role::kDistractor ? "distractors"
                                                    : "copies";
    const std::string file = absl::StrCat(sub, "/", p.name);
    HW_RETURN_IF_ERROR(WriteWholeFile(Join(out_dir, file), *p.bytes));
    ManifestRow r{file,
                  p.role,
                  p.source,
                  p.spec ? std::string(p.spec->name) : "",
                  p.spec ? std::string(p.spec->family) : "",
                  p.width,
                  p.height};
    absl::MutexLock lock(&mu);
    rows.push_back(std::move(r));
    return absl::OkStatus();
  };
  HW_RETURN_IF_ERROR(
      ForEachEvalPicture(listing, roles, options, visit, &summary.failures));
  std::sort(rows.begin(), rows.end(),
            [](const ManifestRow& a, const ManifestRow& b) {
              return a.file < b.file;
            });
  for (const ManifestRow& r : rows) {
    summary.known += r.role == Role::kKnown;
    summary.distractors += r.role == Role::kDistractor;
    summary.copies += r.role == Role::kCopy;
  }
  if (summary.known == 0 || summary.distractors == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evalset: ", images_dir, " has ", summary.known,
        " decodable known and ", summary.distractors,
        " decodable distractor pictures; want at least one of each"));
  }
  HW_RETURN_IF_ERROR(
      WriteWholeFile(Join(out_dir, "manifest.csv"), ManifestCsv(rows)));
  return summary;
}

}  // namespace hashwatch::bench
