#include "cli/hash_command.h"

#include <atomic>
#include <optional>
#include <ostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/read_input.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

struct Outcome {
  absl::StatusOr<matcher::ImageHashes> hashes;
};

absl::StatusOr<matcher::ImageHashes> HashOne(const std::string& path,
                                             const matcher::HashOptions& opts) {
  absl::StatusOr<std::string> bytes = ReadInput(path, opts.decode.max_bytes);
  if (!bytes.ok()) return bytes.status();
  return matcher::HashImage(*bytes, opts);
}

std::string TextLine(const matcher::ImageHashes& h, const std::string& path) {
  std::vector<std::string> fields = {h.pdq.hash.ToHex(),
                                     absl::StrCat(h.pdq.quality), h.md5, h.sha1,
                                     h.sha256};
  if (h.pdq.has_dihedral) {
    for (const matcher::PdqHash& v : h.pdq.dihedral) fields.push_back(v.ToHex());
  }
  fields.push_back(path);
  return absl::StrJoin(fields, "\t");
}

std::string JsonLine(const matcher::ImageHashes& h, const std::string& path) {
  nlohmann::ordered_json j;
  j["path"] = path;
  j["pdq"] = h.pdq.hash.ToHex();
  j["quality"] = h.pdq.quality;
  j["md5"] = h.md5;
  j["sha1"] = h.sha1;
  j["sha256"] = h.sha256;
  j["width"] = h.width;
  j["height"] = h.height;
  if (h.pdq.has_dihedral) {
    nlohmann::ordered_json d;
    for (int i = 0; i < matcher::kNumDihedral; ++i) {
      d[std::string(matcher::DihedralName(static_cast<matcher::Dihedral>(i)))] =
          h.pdq.dihedral[i].ToHex();
    }
    j["dihedral"] = std::move(d);
  }
  // Paths are not guaranteed UTF-8; replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void SetupHashCommand(CLI::App& command, HashCommandOptions& options) {
  CLI::App* cmd = &command;
  cmd->add_flag_callback(
      "--compat",
      [&options] { options.hash.decode.mode = matcher::DecodeMode::kCompat; },
      "Reproduce the reference PDQ command-line hasher exactly (full decode, "
      "512x512 nearest-neighbour resize)");
  cmd->add_flag("--dihedral", options.hash.dihedral,
                "Also print the eight dihedral PDQ variants (docs/pdq.md order)");
  cmd->add_flag("--json", options.json, "One JSON object per line");
  cmd->add_option("--threads", options.threads,
                  "Worker threads (0 = one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--max-pixels", options.hash.decode.max_pixels,
                  "Refuse images whose declared size exceeds this many pixels")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-bytes", options.hash.decode.max_bytes,
                  "Refuse inputs larger than this many bytes")
      ->check(CLI::PositiveNumber);
  cmd->add_option("inputs", options.inputs, "Image files, or - for stdin")
      ->required();
}

int RunHashCommand(const HashCommandOptions& options, std::ostream& out,
                   std::ostream& err) {
  const size_t n = options.inputs.size();
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(threads, n));

  // Workers hash inputs in any order; this thread prints them in input
  // order as soon as each is ready, freeing results as it goes.
  std::vector<std::optional<Outcome>> results(n);
  absl::Mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      Outcome outcome{HashOne(options.inputs[i], options.hash)};
      absl::MutexLock lock(&mu);
      results[i] = std::move(outcome);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  int failures = 0;
  for (size_t i = 0; i < n; ++i) {
    Outcome outcome;
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](std::optional<Outcome>* r) { return r->has_value(); },
          &results[i]));
      outcome = std::move(*results[i]);
      results[i].reset();
    }
    const std::string& path = options.inputs[i];
    if (!outcome.hashes.ok()) {
      ++failures;
      err << "hashwatch: " << path << ": " << outcome.hashes.status().message()
          << "\n";
      continue;
    }
    out << (options.json ? JsonLine(*outcome.hashes, path)
                         : TextLine(*outcome.hashes, path))
        << "\n";
  }
  for (std::thread& t : pool) t.join();
  out.flush();
  return failures == 0 ? 0 : 1;
}

}  // namespace hashwatch::cli
