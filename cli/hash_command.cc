#include "cli/hash_command.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/parallel_for.h"
#include "common/read_input.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

absl::StatusOr<matcher::ImageHashes> HashOne(const std::string& path,
                                             const matcher::HashOptions& opts) {
  absl::StatusOr<std::string> bytes = ReadInput(path, opts.decode.max_bytes);
  if (!bytes.ok()) return bytes.status();
  return matcher::HashImage(*bytes, opts);
}

std::string TextLine(const matcher::ImageHashes& h, const std::string& path) {
  std::vector<std::string> fields = {
      h.pdq.hash.ToHex(), absl::StrCat(h.pdq.quality), h.md5, h.sha1, h.sha256};
  if (h.pdq.has_dihedral) {
    for (const matcher::PdqHash& v : h.pdq.dihedral)
      fields.push_back(v.ToHex());
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
  cmd->add_flag(
      "--dihedral", options.hash.dihedral,
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
  // Workers hash inputs in any order; this thread prints them in input
  // order as soon as each is ready.
  int failures = 0;
  ParallelForOrdered<absl::StatusOr<matcher::ImageHashes>>(
      options.inputs.size(), {.threads = options.threads},
      [&](size_t i) { return HashOne(options.inputs[i], options.hash); },
      [&](size_t i, absl::StatusOr<matcher::ImageHashes> hashes) {
        const std::string& path = options.inputs[i];
        if (!hashes.ok()) {
          ++failures;
          err << "hashwatch: " << path << ": " << hashes.status().message()
              << "\n";
          return;
        }
        out << (options.json ? JsonLine(*hashes, path)
                             : TextLine(*hashes, path))
            << "\n";
      });
  out.flush();
  return failures == 0 ? 0 : 1;
}

}  // namespace hashwatch::cli
