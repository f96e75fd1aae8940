#include "bench/eval/sweep.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/eval/io.h"
#include "common/clock.h"
#include "common/parallel_for.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "matcher/hashes.h"
#include "matcher/pdq.h"

namespace hashwatch::bench {
namespace {

using matcher::PdqHash;
using matcher::PdqResult;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string Join(absl::string_view dir, absl::string_view name) {
  return absl::StrCat(dir, dir.empty() || dir.back() == '/' ? "" : "/", name);
}

// One hash a picture is matched with, and the path it came from.
struct PathHash {
  MatchPath path = MatchPath::kWhole;
  PdqHash hash;
  int quality = 0;
};

// A hashed picture.
struct Hashed {
  bool ok = false;
  PdqResult pdq;
  int width = 0;
  int height = 0;
  // Every hash in path order (whole, its 7 other dihedral variants, then
  // the unbordered picture's and the regions' variants), so that a mode's
  // hashes are a prefix.
  std::vector<PathHash> hashes;
  int regions = 0;
};

Hashed MakeHashed(const matcher::ImageHashes& h, int width, int height) {
  Hashed out;
  out.ok = true;
  out.pdq = h.pdq;
  out.width = width;
  out.height = height;
  out.hashes.push_back({MatchPath::kWhole, h.pdq.hash, h.pdq.quality});
  if (h.pdq.has_dihedral) {
    for (size_t v = 1; v < h.pdq.dihedral.size(); ++v) {
      out.hashes.push_back(
          {MatchPath::kDihedral, h.pdq.dihedral[v], h.pdq.quality});
    }
  }
  std::vector<PathHash> recovered;
  for (const matcher::RegionHash& r : h.regions) {
    const MatchPath path =
        r.path == "unbordered" ? MatchPath::kUnbordered : MatchPath::kRegion;
    if (r.pdq.has_dihedral) {
      for (const PdqHash& v : r.pdq.dihedral)
        recovered.push_back({path, v, r.pdq.quality});
    } else {
      recovered.push_back({path, r.pdq.hash, r.pdq.quality});
    }
  }
  std::stable_sort(
      recovered.begin(), recovered.end(),
      [](const PathHash& a, const PathHash& b) { return a.path < b.path; });
  out.hashes.insert(out.hashes.end(), recovered.begin(), recovered.end());
  out.regions = static_cast<int>(h.regions.size());
  return out;
}

// How many of `h.hashes` mode `mode` matches with.
size_t HashesOfMode(const Hashed& h, MatchMode mode) {
  size_t n = 0;
  while (n < h.hashes.size() &&
         static_cast<int>(h.hashes[n].path) < PathsOfMode(mode)) {
    ++n;
  }
  return n;
}

// What both inputs (a folder, an evaluation set) boil down to.
struct Hashes {
  std::vector<std::string> known_names;
  std::vector<Hashed> known;
  struct Query {
    std::string file;
    Role role = Role::kCopy;
    int source = -1;  // index into known (copies)
    int group = -1;
    Hashed hashed;
    bool benign = false;
  };
  std::vector<Query> queries;
  std::vector<SweepGroup> groups;
  std::vector<Failure> failures;
  std::vector<std::string> ignored;
  int64_t pictures = 0;
};

matcher::HashOptions HashOptionsFor(const SweepOptions& options) {
  matcher::HashOptions h;
  h.decode.mode = options.decode_mode;
  h.dihedral = true;
  h.digests = false;
  h.recover = true;  // the robust mode's regions
  return h;
}

SweepGroup GroupOf(const TransformSpec& t) {
  return {std::string(t.name), std::string(t.family),
          std::string(t.description)};
}

absl::StatusOr<Hashes> HashFolder(const SweepOptions& options) {
  HW_ASSIGN_OR_RETURN(FolderListing listing, ListFolder(options.images_dir));
  HW_ASSIGN_OR_RETURN(std::vector<Role> roles,
                      SplitKnown(listing.images, options.evalset.known_fraction,
                                 options.evalset.seed));
  // The built-in order, whatever order --transforms named them in, so the
  // CSVs match a sweep of the same evaluation set read from its folder.
  std::vector<TransformSpec> transforms = options.evalset.transforms;
  if (transforms.empty())
    transforms.assign(AllTransforms().begin(), AllTransforms().end());
  std::sort(transforms.begin(), transforms.end(),
            [](const TransformSpec& a, const TransformSpec& b) {
              return a.id < b.id;
            });
  transforms.erase(
      std::unique(transforms.begin(), transforms.end(),
                  [](const TransformSpec& a, const TransformSpec& b) {
                    return a.id == b.id;
                  }),
      transforms.end());
  const size_t n = listing.images.size(), t_count = transforms.size();
  std::vector<Hashed> inputs(n), copies(n * t_count);
  std::vector<std::string> copy_names(n * t_count);
  absl::Mutex mu;
  std::vector<Failure> failures;
  const matcher::HashOptions hash_options = HashOptionsFor(options);
  auto visit = [&](int, const EvalPicture& p) -> absl::Status {
    absl::StatusOr<matcher::ImageHashes> h =
        matcher::HashImage(*p.bytes, hash_options);
    if (!h.ok()) {
      absl::MutexLock lock(&mu);
      failures.push_back(
          {p.name, absl::StrCat("matcher: ", h.status().message())});
      return absl::OkStatus();
    }
    // Each slot is written by exactly one visit, so no lock is needed.
    Hashed& slot = p.role == Role::kCopy
                       ? copies[p.input * t_count + p.transform]
                       : inputs[p.input];
    slot = MakeHashed(*h, p.width, p.height);
    if (p.role == Role::kCopy)
      copy_names[p.input * t_count + p.transform] = p.name;
    return absl::OkStatus();
  };
  EvalSetOptions evalset = options.evalset;
  evalset.transforms = transforms;
  // Inputs the hasher below would refuse are failures before any copy of
  // them is made.
  evalset.decode_modes = {options.decode_mode};
  HW_RETURN_IF_ERROR(
      ForEachEvalPicture(listing, roles, evalset, visit, &failures));

  Hashes out;
  out.ignored = listing.ignored;
  for (const TransformSpec& t : transforms) out.groups.push_back(GroupOf(t));
  std::vector<int> known_index(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (roles[i] != Role::kKnown || !inputs[i].ok) continue;
    known_index[i] = static_cast<int>(out.known.size());
    out.known_names.push_back(listing.images[i]);
    out.known.push_back(inputs[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (roles[i] != Role::kKnown) continue;
    for (size_t t = 0; t < t_count; ++t) {
      const Hashed& c = copies[i * t_count + t];
      if (!c.ok) continue;
      ++out.pictures;
      if (known_index[i] < 0) {
        failures.push_back({copy_names[i * t_count + t],
                            "skipped: its known picture could not be hashed"});
        continue;
      }
      out.queries.push_back({copy_names[i * t_count + t], Role::kCopy,
                             known_index[i], static_cast<int>(t), c});
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!inputs[i].ok) continue;
    ++out.pictures;
    if (roles[i] != Role::kDistractor) continue;
    out.queries.push_back(
        {listing.images[i], Role::kDistractor, -1, -1, inputs[i]});
  }
  std::sort(failures.begin(), failures.end(),
            [](const Failure& a, const Failure& b) { return a.file < b.file; });
  out.failures = std::move(failures);
  return out;
}

absl::StatusOr<Hashes> HashEvalSet(const SweepOptions& options) {
  HW_ASSIGN_OR_RETURN(std::vector<ManifestRow> rows,
                      ReadManifest(options.evalset_dir));
  std::vector<Hashed> hashed(rows.size());
  std::vector<Failure> failures;
  absl::Mutex mu;
  const matcher::HashOptions hash_options = HashOptionsFor(options);
  ParallelFor(rows.size(), {.threads = options.evalset.threads}, [&](size_t i) {
    absl::StatusOr<std::string> bytes =
        ReadWholeFile(Join(options.evalset_dir, rows[i].file));
    absl::StatusOr<matcher::ImageHashes> h =
        bytes.ok() ? matcher::HashImage(*bytes, hash_options)
                   : absl::StatusOr<matcher::ImageHashes>(bytes.status());
    if (!h.ok()) {
      absl::MutexLock lock(&mu);
      failures.push_back({rows[i].file, std::string(h.status().message())});
      return;
    }
    hashed[i] = MakeHashed(*h, h->width, h->height);
  });

  Hashes out;
  // Known pictures by their source name (a known row's source is its name).
  std::map<std::string, int> known_by_name;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].role != Role::kKnown) continue;
    ++out.pictures;
    if (!hashed[i].ok) continue;
    if (!known_by_name
             .emplace(rows[i].source, static_cast<int>(out.known.size()))
             .second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Join(options.evalset_dir, "manifest.csv"),
          ": two known pictures have the source name '", rows[i].source, "'"));
    }
    out.known_names.push_back(rows[i].source);
    out.known.push_back(hashed[i]);
  }
  // Groups: the built-in transforms in their order, then other labels by name.
  std::map<std::string, std::string> labels;  // name -> family
  for (const ManifestRow& r : rows) {
    if (r.role == Role::kCopy) labels.emplace(r.transform, r.family);
  }
  for (const TransformSpec& t : AllTransforms()) {
    auto it = labels.find(std::string(t.name));
    if (it == labels.end()) continue;
    out.groups.push_back(
        {it->first, it->second.empty() ? std::string(t.family) : it->second,
         std::string(t.description)});
    labels.erase(it);
  }
  for (const auto& [name, family] : labels) {
    out.groups.push_back({name, family.empty() ? "other" : family, ""});
  }
  std::map<std::string, int> group_index;
  for (size_t g = 0; g < out.groups.size(); ++g)
    group_index[out.groups[g].name] = g;
  std::vector<std::pair<std::tuple<int, int, std::string>, Hashes::Query>>
      copies;
  std::vector<Hashes::Query> distractors;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ManifestRow& r = rows[i];
    if (r.role == Role::kKnown) continue;
    ++out.pictures;
    if (!hashed[i].ok) continue;
    if (r.role == Role::kDistractor) {
      distractors.push_back({r.file, Role::kDistractor, -1, -1, hashed[i]});
      continue;
    }
    auto k = known_by_name.find(r.source);
    if (k == known_by_name.end()) {
      failures.push_back(
          {r.file, absl::StrCat("skipped: its source '", r.source,
                                "' is not a hashed known picture")});
      continue;
    }
    const int g = group_index[r.transform];
    copies.push_back({{k->second, g, r.file},
                      {r.file, Role::kCopy, k->second, g, hashed[i]}});
  }
  std::sort(copies.begin(), copies.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::sort(distractors.begin(), distractors.end(),
            [](const auto& a, const auto& b) { return a.file < b.file; });
  for (auto& c : copies) out.queries.push_back(std::move(c.second));
  for (auto& d : distractors) out.queries.push_back(std::move(d));
  std::sort(failures.begin(), failures.end(),
            [](const Failure& a, const Failure& b) { return a.file < b.file; });
  out.failures = std::move(failures);
  return out;
}

// Hashes the benign set's pictures and appends them to `out` as
// distractors (sorted by file name), failures to out->failures.
absl::Status HashBenign(const SweepOptions& options, Hashes* out) {
  HW_ASSIGN_OR_RETURN(FolderListing listing, ListFolder(options.benign_dir));
  const size_t n = listing.images.size();
  std::vector<Hashed> hashed(n);
  std::vector<Failure> failures;
  absl::Mutex mu;
  const matcher::HashOptions hash_options = HashOptionsFor(options);
  ParallelFor(n, {.threads = options.evalset.threads}, [&](size_t i) {
    absl::StatusOr<std::string> bytes =
        ReadWholeFile(Join(options.benign_dir, listing.images[i]));
    absl::StatusOr<matcher::ImageHashes> h =
        bytes.ok() ? matcher::HashImage(*bytes, hash_options)
                   : absl::StatusOr<matcher::ImageHashes>(bytes.status());
    if (!h.ok()) {
      absl::MutexLock lock(&mu);
      failures.push_back({absl::StrCat("benign/", listing.images[i]),
                          std::string(h.status().message())});
      return;
    }
    hashed[i] = MakeHashed(*h, h->width, h->height);
  });
  for (size_t i = 0; i < n; ++i) {
    ++out->pictures;
    if (!hashed[i].ok) continue;
    Hashes::Query q{listing.images[i], Role::kDistractor, -1, -1,
                    std::move(hashed[i])};
    q.benign = true;
    out->queries.push_back(std::move(q));
  }
  std::sort(failures.begin(), failures.end(),
            [](const Failure& a, const Failure& b) { return a.file < b.file; });
  out->failures.insert(out->failures.end(), failures.begin(), failures.end());
  return absl::OkStatus();
}

// A BankStore in a fresh scratch folder, removed on destruction.
class TempBank {
 public:
  static absl::StatusOr<std::unique_ptr<TempBank>> Create(size_t max_matches) {
    HW_ASSIGN_OR_RETURN(std::unique_ptr<ScratchDir> dir,
                        ScratchDir::Create("hashwatch-sweep"));
    auto bank = std::unique_ptr<TempBank>(new TempBank(std::move(dir)));
    matcher::BankStoreOptions o;
    o.path = bank->dir_->path() + "/banks";
    o.sync_writes = false;  // a throwaway store
    o.max_matches = max_matches;
    HW_ASSIGN_OR_RETURN(bank->store_,
                        matcher::BankStore::Open(o, Clock::Real()));
    return bank;
  }
  ~TempBank() { store_.reset(); }  // close the database before its folder goes
  matcher::BankStore& store() { return *store_; }

 private:
  explicit TempBank(std::unique_ptr<ScratchDir> dir) : dir_(std::move(dir)) {}
  std::unique_ptr<ScratchDir> dir_;
  std::unique_ptr<matcher::BankStore> store_;
};

}  // namespace

absl::string_view MatchModeName(MatchMode mode) {
  switch (mode) {
    case MatchMode::kPlain:
      return "plain";
    case MatchMode::kDihedral:
      return "dihedral";
    case MatchMode::kRobust:
      return "robust";
  }
  return "?";
}

absl::string_view MatchPathName(MatchPath path) {
  static constexpr absl::string_view kNames[] = {"whole", "dihedral",
                                                 "unbordered", "region"};
  return kNames[static_cast<int>(path)];
}

int PathsOfMode(MatchMode mode) {
  return mode == MatchMode::kPlain ? 1 : mode == MatchMode::kDihedral ? 2 : 4;
}

absl::Status ValidateSweepOptions(const SweepOptions& o) {
  if (o.images_dir.empty() == o.evalset_dir.empty()) {
    return absl::InvalidArgumentError(
        "sweep: give exactly one of --images and --evalset");
  }
  if (o.out_dir.empty())
    return absl::InvalidArgumentError("sweep: --out is required");
  auto range = [](const char* name, int v, int lo, int hi) -> absl::Status {
    if (v < lo || v > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep: ", name, " is ", v, ", want ", lo, "..", hi));
    }
    return absl::OkStatus();
  };
  HW_RETURN_IF_ERROR(
      range("auto threshold", o.auto_threshold, 0, kMaxThreshold));
  HW_RETURN_IF_ERROR(
      range("review threshold", o.review_threshold, 0, kMaxThreshold));
  HW_RETURN_IF_ERROR(range("min quality", o.min_quality, 0, 100));
  if (o.auto_threshold > o.review_threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep: auto threshold ", o.auto_threshold,
                     " is above the review threshold ", o.review_threshold));
  }
  if (o.evalset.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep: threads is ", o.evalset.threads, ", want >= 0"));
  }
  if (!(o.evalset.known_fraction > 0 && o.evalset.known_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("sweep: known fraction is ",
                                                   o.evalset.known_fraction,
                                                   ", want 0 < f < 1"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SweepResult> RunSweep(const SweepOptions& options) {
  HW_RETURN_IF_ERROR(ValidateSweepOptions(options));
  const auto start = std::chrono::steady_clock::now();
  HW_ASSIGN_OR_RETURN(Hashes h, options.images_dir.empty()
                                    ? HashEvalSet(options)
                                    : HashFolder(options));
  if (!options.benign_dir.empty()) HW_RETURN_IF_ERROR(HashBenign(options, &h));
  SweepResult r;
  r.input =
      options.images_dir.empty() ? options.evalset_dir : options.images_dir;
  r.threads = ResolveThreadCount(options.evalset.threads);
  r.hash_seconds = Since(start);
  r.pictures_hashed = h.pictures;
  r.failures = std::move(h.failures);
  r.ignored = std::move(h.ignored);
  r.groups = std::move(h.groups);
  for (const SweepGroup& g : r.groups) {
    if (std::find(r.families.begin(), r.families.end(), g.family) ==
        r.families.end()) {
      r.families.push_back(g.family);
    }
  }
  r.known = static_cast<int>(h.known.size());
  for (const auto& q : h.queries) {
    (q.role == Role::kCopy ? r.copies : r.distractors)++;
    r.benign += q.benign;
  }
  if (r.known == 0 || r.distractors == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sweep: ", r.input, " gave ", r.known, " hashable known and ",
        r.distractors,
        " hashable distractor pictures; want at least one of each (",
        r.failures.size(), " failed)"));
  }

  const auto match_start = std::chrono::steady_clock::now();
  // The bank: one entry per distinct PDQ hash of the known pictures.
  absl::flat_hash_map<std::string, std::vector<int>> known_by_hex;
  std::vector<matcher::NewEntry> entries;
  for (int k = 0; k < r.known; ++k) {
    std::string hex = h.known[k].pdq.hash.ToHex();
    std::vector<int>& same = known_by_hex[hex];
    if (same.empty()) {
      matcher::NewEntry e;
      e.signal = matcher::SignalType::kPdq;
      e.value = hex;
      e.source = h.known_names[k];
      entries.push_back(std::move(e));
    }
    same.push_back(k);
  }
  r.bank_entries = static_cast<int64_t>(entries.size());
  // A query matches with up to 255 hashes, each may hit every entry.
  HW_ASSIGN_OR_RETURN(auto bank, TempBank::Create(entries.size() * 256 + 1));
  matcher::BankPolicy policy;
  policy.auto_report_distance = options.auto_threshold;
  policy.review_distance = options.review_threshold;
  policy.min_quality = options.min_quality;
  HW_RETURN_IF_ERROR(
      bank->store()
          .CreateBank("sweep-known", matcher::BankKind::kMatch, policy)
          .status());
  HW_RETURN_IF_ERROR(bank->store().AddEntries("sweep-known", entries).status());

  std::vector<std::string> known_hex(r.known);
  for (int k = 0; k < r.known; ++k) known_hex[k] = h.known[k].pdq.hash.ToHex();
  const size_t nq = h.queries.size();
  r.queries.resize(nq);
  for (auto& o : r.outcomes) o.resize(nq);
  struct Local {
    std::array<std::array<int64_t, 257>, kMatchModes> same{}, different{};
  };
  const ParallelForOptions parallel{.threads = r.threads};
  std::vector<Local> locals(ParallelWorkerCount(nq, parallel));
  absl::Mutex mu;
  absl::Status error;
  ParallelForWithWorker(nq, parallel, [&](int w, size_t i) {
    Local& local = locals[w];
    const Hashes::Query& q = h.queries[i];
    SweepQuery& sq = r.queries[i];
    sq.file = q.file;
    sq.role = q.role;
    sq.benign = q.benign;
    sq.source = q.source >= 0 ? h.known_names[q.source] : "";
    sq.group = q.group;
    sq.quality = q.hashed.pdq.quality;
    sq.width = q.hashed.width;
    sq.height = q.hashed.height;
    sq.regions = q.hashed.regions;
    const std::vector<PathHash>& hashes = q.hashed.hashes;
    // Brute force over the known pictures: the full distances per path
    // (the oracle the bank's answer must agree with), and the least
    // distance over the hashes allowed to auto-report that pass the gate.
    std::vector<std::array<int, kMatchPaths>> by_path(r.known);
    int auto_best = kBeyond, auto_quality = 0;
    for (int k = 0; k < r.known; ++k) {
      by_path[k].fill(257);
      for (const PathHash& v : hashes) {
        const int d = matcher::HammingDistance(v.hash, h.known[k].pdq.hash);
        int& slot = by_path[k][static_cast<int>(v.path)];
        slot = std::min(slot, d);
        if (v.path != MatchPath::kRegion && v.quality >= options.min_quality &&
            d <= kMaxThreshold &&
            (d < auto_best || (d == auto_best && v.quality > auto_quality))) {
          auto_best = d;
          auto_quality = v.quality;
        }
      }
      for (int p = 0; p < kMatchPaths; ++p) {
        const int d = by_path[k][p];
        if (d > 256) continue;  // no hash on this path
        if (k == q.source) {
          sq.path_source_distance[p] = d;
          continue;
        }
        int& nearest = sq.path_nearest_other[p];
        nearest = nearest < 0 ? d : std::min(nearest, d);
        sq.path_review_pairs[p] += d <= options.review_threshold;
      }
    }
    for (int m = 0; m < kMatchModes; ++m) {
      const MatchMode mode = static_cast<MatchMode>(m);
      const int paths = PathsOfMode(mode);
      std::map<std::string, int> expected;  // hex -> distance, within radius
      int source_d = -1, other_d = -1;
      for (int k = 0; k < r.known; ++k) {
        int d = 257;
        for (int p = 0; p < paths; ++p) d = std::min(d, by_path[k][p]);
        if (k == q.source) {
          source_d = d;
          ++local.same[m][d];
        } else {
          other_d = other_d < 0 ? d : std::min(other_d, d);
          ++local.different[m][d];
        }
        if (d <= kMaxThreshold) expected[known_hex[k]] = d;
      }
      sq.source_distance[m] = source_d;
      sq.nearest_other[m] = other_d;

      std::vector<PdqHash> variants;
      for (size_t j = 0; j < HashesOfMode(q.hashed, mode); ++j)
        variants.push_back(hashes[j].hash);
      absl::StatusOr<std::vector<matcher::Match>> matches =
          bank->store().MatchPdq(variants, kMaxThreshold);
      if (!matches.ok()) {
        absl::MutexLock lock(&mu);
        if (error.ok()) error = matches.status();
        return;
      }
      std::map<std::string, int> got;
      for (const matcher::Match& match : *matches) {
        auto [it, inserted] = got.emplace(match.entry.value, match.distance);
        if (!inserted) it->second = std::min(it->second, match.distance);
      }
      if (got != expected) {
        absl::MutexLock lock(&mu);
        if (error.ok()) {
          error = absl::InternalError(absl::StrCat(
              "sweep: the bank index returned ", got.size(), " entries within ",
              kMaxThreshold, " of ", q.file, " (", MatchModeName(mode),
              "), brute force ", expected.size()));
        }
        return;
      }
      QueryOutcome& o = r.outcomes[m][i];
      o.is_copy = q.role == Role::kCopy;
      o.group = q.group;
      o.quality = q.hashed.pdq.quality;
      if (mode == MatchMode::kRobust) {
        o.auto_distance = auto_best;
        o.auto_quality = auto_quality;
      }
      for (const auto& [hex, d] : got) {
        const std::vector<int>& owners = known_by_hex.at(hex);
        const bool own = o.is_copy && std::find(owners.begin(), owners.end(),
                                                q.source) != owners.end();
        if (own) {
          o.true_distance = d;
        } else {
          o.wrong_distances.push_back(d);
        }
      }
      std::sort(o.wrong_distances.begin(), o.wrong_distances.end());
    }
  });
  HW_RETURN_IF_ERROR(error);
  for (const Local& l : locals) {
    for (int m = 0; m < kMatchModes; ++m) {
      for (int d = 0; d <= 256; ++d) {
        r.same_histogram[m][d] += l.same[m][d];
        r.different_histogram[m][d] += l.different[m][d];
      }
    }
  }
  r.match_seconds = Since(match_start);
  return r;
}

}  // namespace hashwatch::bench
