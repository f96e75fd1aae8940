#include "cli/match_command.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/common_flags.h"
#include "cli/local_db.h"
#include "common/read_input.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "matcher/lookup.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using matcher::BankStore;
using matcher::Match;
using matcher::SignalType;

// Keeps one match per entry: the closest, the earlier path on a tie.
std::vector<Match> OnePerEntry(std::vector<Match> all) {
  std::vector<Match> out;
  for (Match& m : all) {
    auto same = std::find_if(out.begin(), out.end(), [&](const Match& o) {
      return o.entry.id == m.entry.id;
    });
    if (same == out.end()) {
      out.push_back(std::move(m));
    } else if (m.distance < same->distance) {
      *same = std::move(m);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Match>> MatchHashes(const BankStore& store,
                                               const matcher::ImageHashes& h,
                                               const MatchCommandOptions& o) {
  matcher::ContentHashes digests;
  digests.md5 = h.md5;
  digests.sha1 = h.sha1;
  digests.sha256 = h.sha256;
  HW_ASSIGN_OR_RETURN(
      std::vector<Match> all,
      matcher::LookUp(store, matcher::PathsOf(h), digests,
                      {.radius = o.radius,
                       .dihedral_all_banks = o.dihedral,
                       .own = h.own.has_value() ? &*h.own : nullptr}));
  return OnePerEntry(std::move(all));
}

absl::StatusOr<std::vector<Match>> MatchHexMatches(const BankStore& store,
                                                   const std::string& hex,
                                                   int radius) {
  switch (hex.size()) {
    case 32:
      return store.MatchExact(SignalType::kMd5, hex);
    case 40:
      return store.MatchExact(SignalType::kSha1, hex);
    case 64: {
      // PDQ by default; a SHA-256 with the same digits is looked up too.
      HW_ASSIGN_OR_RETURN(matcher::PdqHash pdq, matcher::PdqHash::FromHex(hex));
      HW_ASSIGN_OR_RETURN(std::vector<Match> all,
                          store.MatchPdq({pdq}, radius));
      HW_ASSIGN_OR_RETURN(std::vector<Match> sha,
                          store.MatchExact(SignalType::kSha256, hex));
      for (Match& m : sha) {
        const bool seen = std::any_of(all.begin(), all.end(), [&](auto& a) {
          return a.entry.id == m.entry.id;
        });
        if (!seen) all.push_back(std::move(m));
      }
      return all;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("hash has %d characters; want 32 (md5), 40 (sha1) or "
                          "64 (pdq/sha256) hex digits",
                          hex.size()));
  }
}

// The path a match was found along ("whole" for exact hashes and hashes
// given on the command line).
std::string PathOf(const Match& m) {
  if (m.path_kind == matcher::PathKind::kLocalFeatures)
    return absl::StrCat(m.path, " (", m.own_inliers, " inliers)");
  return m.path.empty() ? "whole" : m.path;
}

void Print(const std::string& query, const std::vector<Match>& found, bool json,
           std::ostream& out) {
  if (!json) {
    for (const Match& m : found) {
      out << query << "\t" << m.bank << "\t" << m.distance << "\t"
          << m.entry.category << "\t" << m.entry.id << "\t"
          << matcher::DihedralName(static_cast<matcher::Dihedral>(m.variant))
          << "\t" << matcher::SignalTypeName(m.entry.signal) << "\t"
          << m.entry.value << "\t" << PathOf(m) << "\n";
    }
    return;
  }
  nlohmann::ordered_json j;
  j["query"] = query;
  j["matches"] = nlohmann::ordered_json::array();
  for (const Match& m : found) {
    nlohmann::ordered_json e;
    e["bank"] = m.bank;
    e["bank_kind"] = std::string(matcher::BankKindName(m.kind));
    e["signal"] = std::string(matcher::SignalTypeName(m.entry.signal));
    e["hash"] = m.entry.value;
    e["distance"] = m.distance;
    e["category"] = m.entry.category;
    e["entry_id"] = m.entry.id;
    e["variant"] = std::string(
        matcher::DihedralName(static_cast<matcher::Dihedral>(m.variant)));
    e["path"] = PathOf(m);
    j["matches"].push_back(std::move(e));
  }
  out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
      << "\n";
}

}  // namespace

void SetupMatchCommand(CLI::App& command, MatchCommandOptions& o) {
  CLI::App* cmd = &command;
  cmd->add_option("--db", o.db,
                  "Database directory (must exist; `bank create` makes one)")
      ->default_val(kDefaultDbDir);
  cmd->add_option("--radius", o.radius,
                  "PDQ Hamming radius, 0..64 (default: the widest "
                  "review_distance of any bank, as a scan)")
      ->check(CLI::Range(-1, 64));
  cmd->add_flag(
      "--dihedral", o.dihedral,
      "Match rotated and mirrored copies for every bank, as "
      "scan.dihedral (default: the banks whose policy says so, by default only "
      "the bank of confirmed material)");
  cmd->add_option("--max-regions", o.max_regions,
                  "Pictures recovered from borders, bars and larger canvases "
                  "(files only), as scan.max_regions; 0: whole picture only")
      ->check(CLI::Range(0, 16))
      ->default_val(6);
  cmd->add_flag("--json", o.json, "One JSON object per query");
  cmd->add_flag("--compat", o.compat,
                "Hash files as the reference PDQ hasher does");
  cmd->add_option("--hash", o.hashes, "A hash to look up (hex; repeatable)");
  cmd->add_option("files", o.files, "Image files; - for stdin");
}

int RunMatchCommand(const MatchCommandOptions& o, std::ostream& out,
                    std::ostream& err) {
  if (o.files.empty() && o.hashes.empty()) {
    err << "hashwatch: match needs at least one FILE or --hash (see --help)\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<BankStore>> store =
      OpenBankStore(o.db, {.load_index = true});
  if (!store.ok()) return Fail(err, store.status());
  matcher::HashOptions hash_options;
  hash_options.dihedral = matcher::WantsDihedral(**store, o.dihedral);
  hash_options.recover = o.max_regions > 0;
  hash_options.regions.max_regions = o.max_regions;
  if (o.compat) hash_options.decode.mode = matcher::DecodeMode::kCompat;
  // As a scan: pictures are matched by local features too while the banks
  // hold own-material signatures.
  hash_options.own_signature = (*store)->OwnSignatureCount() > 0;
  hash_options.own.decode = hash_options.decode;
  int failures = 0;
  for (const std::string& path : o.files) {
    absl::StatusOr<std::vector<Match>> matches =
        [&]() -> absl::StatusOr<std::vector<Match>> {
      HW_ASSIGN_OR_RETURN(std::string bytes,
                          ReadInput(path, hash_options.decode.max_bytes));
      HW_ASSIGN_OR_RETURN(matcher::ImageHashes h,
                          matcher::HashImage(bytes, hash_options));
      return MatchHashes(**store, h, o);
    }();
    if (!matches.ok()) {
      ++failures;
      err << "hashwatch: " << path << ": " << matches.status().message()
          << "\n";
      continue;
    }
    Print(path, *matches, o.json, out);
  }
  for (const std::string& hex : o.hashes) {
    absl::StatusOr<std::vector<Match>> matches = MatchHexMatches(
        **store, hex,
        o.radius >= 0 ? o.radius : matcher::WidestReviewDistance(**store));
    if (!matches.ok()) {
      ++failures;
      err << "hashwatch: " << hex << ": " << matches.status().message() << "\n";
      continue;
    }
    Print(hex, *matches, o.json, out);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace hashwatch::cli
