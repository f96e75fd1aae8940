#include "cli/match_command.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_format.h"
#include "cli/common_flags.h"
#include "cli/local_db.h"
#include "common/read_input.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using matcher::BankStore;
using matcher::Match;
using matcher::SignalType;

// A match and the path that found it: "whole", "unbordered" or
// "region X,Y,W,H" (matcher/hashes.h).
struct Found {
  Match match;
  std::string path;
};

// Adds `more` (found by `path`) to `all`: an entry already there keeps the
// smaller distance, the earlier path on a tie.
void Merge(std::vector<Found>* all, std::vector<Match> more,
           const std::string& path) {
  for (Match& m : more) {
    auto same = std::find_if(all->begin(), all->end(), [&](const Found& f) {
      return f.match.entry.id == m.entry.id;
    });
    if (same == all->end()) {
      all->push_back({std::move(m), path});
    } else if (m.distance < same->match.distance) {
      *same = {std::move(m), path};
    }
  }
}

absl::StatusOr<std::vector<Match>> MatchPdq(const BankStore& store,
                                            const matcher::PdqResult& pdq,
                                            int radius) {
  if (pdq.hash.IsZero()) return std::vector<Match>();  // a tiny image
  std::vector<matcher::PdqHash> queries = {pdq.hash};
  if (pdq.has_dihedral)
    queries.assign(pdq.dihedral.begin(), pdq.dihedral.end());
  return store.MatchPdq(queries, radius);
}

absl::StatusOr<std::vector<Found>> MatchHashes(const BankStore& store,
                                               const matcher::ImageHashes& h,
                                               int radius) {
  std::vector<Found> all;
  HW_ASSIGN_OR_RETURN(std::vector<Match> whole, MatchPdq(store, h.pdq, radius));
  Merge(&all, std::move(whole), "whole");
  for (const matcher::RegionHash& r : h.regions) {
    HW_ASSIGN_OR_RETURN(std::vector<Match> m, MatchPdq(store, r.pdq, radius));
    Merge(&all, std::move(m), r.path);
  }
  const std::pair<SignalType, const std::string*> exact[] = {
      {SignalType::kMd5, &h.md5},
      {SignalType::kSha1, &h.sha1},
      {SignalType::kSha256, &h.sha256}};
  for (const auto& [signal, value] : exact) {
    if (value->empty()) continue;
    HW_ASSIGN_OR_RETURN(std::vector<Match> m, store.MatchExact(signal, *value));
    Merge(&all, std::move(m), "whole");
  }
  return all;
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

// A hash given on the command line: what it matches, found "whole".
absl::StatusOr<std::vector<Found>> MatchHex(const BankStore& store,
                                            const std::string& hex,
                                            int radius) {
  HW_ASSIGN_OR_RETURN(std::vector<Match> matches,
                      MatchHexMatches(store, hex, radius));
  std::vector<Found> all;
  Merge(&all, std::move(matches), "whole");
  return all;
}

void Print(const std::string& query, const std::vector<Found>& found, bool json,
           std::ostream& out) {
  if (!json) {
    for (const auto& [m, path] : found) {
      out << query << "\t" << m.bank << "\t" << m.distance << "\t"
          << m.entry.category << "\t" << m.entry.id << "\t"
          << matcher::DihedralName(static_cast<matcher::Dihedral>(m.variant))
          << "\t" << matcher::SignalTypeName(m.entry.signal) << "\t"
          << m.entry.value << "\t" << path << "\n";
    }
    return;
  }
  nlohmann::ordered_json j;
  j["query"] = query;
  j["matches"] = nlohmann::ordered_json::array();
  for (const auto& [m, path] : found) {
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
    e["path"] = path;
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
  cmd->add_option("--radius", o.radius, "PDQ Hamming radius, 0..64")
      ->check(CLI::Range(0, 64))
      ->default_val(31);
  cmd->add_flag("--dihedral", o.dihedral,
                "Also match rotated and mirrored copies (files only)");
  cmd->add_flag("--regions", o.regions,
                "Also match the pictures inside borders, bars and larger "
                "canvases (files only; each match says its path)");
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
  hash_options.dihedral = o.dihedral;
  hash_options.recover = o.regions;
  if (o.compat) hash_options.decode.mode = matcher::DecodeMode::kCompat;
  int failures = 0;
  for (const std::string& path : o.files) {
    absl::StatusOr<std::vector<Found>> matches =
        [&]() -> absl::StatusOr<std::vector<Found>> {
      HW_ASSIGN_OR_RETURN(std::string bytes,
                          ReadInput(path, hash_options.decode.max_bytes));
      HW_ASSIGN_OR_RETURN(matcher::ImageHashes h,
                          matcher::HashImage(bytes, hash_options));
      return MatchHashes(**store, h, o.radius);
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
    absl::StatusOr<std::vector<Found>> matches =
        MatchHex(**store, hex, o.radius);
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
