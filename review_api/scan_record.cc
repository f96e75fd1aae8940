#include "review_api/scan_record.h"

#include "absl/strings/str_cat.h"
#include "hashwatch/v1/scan.pb.h"
#include "matcher/digests.h"
#include "nlohmann/json.hpp"
#include "review_api/convert.h"

namespace hashwatch::review_api {
namespace {

constexpr int kVersion = 1;

using Json = nlohmann::json;

absl::Status Malformed(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("scan record: ", why));
}

absl::StatusOr<matcher::Verdict> ParseVerdict(absl::string_view name) {
  for (matcher::Verdict v :
       {matcher::Verdict::kNoMatch, matcher::Verdict::kAutoReport,
        matcher::Verdict::kReview, matcher::Verdict::kAllowed}) {
    if (matcher::VerdictName(v) == name) return v;
  }
  return Malformed(
      absl::StrCat("unknown verdict \"", name.substr(0, 32), "\""));
}

Json HashesToJson(const matcher::ContentHashes& h) {
  return Json{{"pdq", h.pdq},
              {"pdq_quality", h.pdq_quality},
              {"md5", h.md5},
              {"sha1", h.sha1},
              {"sha256", h.sha256}};
}

matcher::ContentHashes HashesFromJson(const Json& j) {
  return {.pdq = j.value("pdq", ""),
          .pdq_quality = j.value("pdq_quality", -1),
          .md5 = j.value("md5", ""),
          .sha1 = j.value("sha1", ""),
          .sha256 = j.value("sha256", "")};
}

Json MatchToJson(const RecordedMatch& m) {
  const matcher::MatchEvidence& e = m.evidence;
  return Json{{"bank", e.bank},
              {"entry_id", e.entry_id},
              {"signal", e.signal},
              {"hash", e.hash},
              {"distance", e.distance},
              {"category", e.category},
              {"source", e.source},
              {"variant", m.dihedral_variant},
              {"allow_bank", m.allow_bank},
              {"covered_by_allow", m.covered_by_allow},
              {"auto_report", m.auto_report},
              {"flooding", m.flooding},
              {"path", e.path}};
}

RecordedMatch MatchFromJson(const Json& j) {
  RecordedMatch m;
  m.evidence = {.bank = j.value("bank", ""),
                .entry_id = j.value("entry_id", uint64_t{0}),
                .signal = j.value("signal", ""),
                .hash = j.value("hash", ""),
                .distance = j.value("distance", 0),
                .category = j.value("category", ""),
                .source = j.value("source", ""),
                .auto_report_distance = 0,
                .review_distance = 0,
                .path = j.value("path", "")};
  m.dihedral_variant = j.value("variant", 0);
  m.allow_bank = j.value("allow_bank", false);
  m.covered_by_allow = j.value("covered_by_allow", false);
  m.auto_report = j.value("auto_report", false);
  m.flooding = j.value("flooding", false);
  return m;
}

absl::StatusOr<ScanRecord> FromJson(const Json& j) {
  if (!j.is_object()) return Malformed("not a JSON object");
  if (!j.contains("v") || j.at("v") != kVersion) {
    return Malformed(
        absl::StrCat("version ", j.contains("v") ? j.at("v").dump() : "missing",
                     ", want ", kVersion));
  }
  ScanRecord r;
  auto verdict = ParseVerdict(j.value("verdict", ""));
  if (!verdict.ok()) return verdict.status();
  r.verdict = *verdict;
  r.novel = j.value("novel", false);
  r.reason = j.value("reason", "");
  for (const Json& m : j.value("matches", Json::array()))
    r.matches.push_back(MatchFromJson(m));
  if (j.contains("hashes")) r.hashes = HashesFromJson(j.at("hashes"));
  r.report_id = j.value("report_id", "");
  r.item_id = j.value("item_id", uint64_t{0});
  r.content_binding = j.value("content", "");
  return r;
}

}  // namespace

std::string ContentBinding(absl::string_view content_id, bool image,
                           const matcher::ContentHashes& hashes) {
  // Length-prefixed fields: no two inputs share a preimage.
  std::string in = absl::StrCat("hashwatch scan binding 1|", content_id.size(),
                                ":", content_id);
  if (image) {
    absl::StrAppend(&in, "|image|", hashes.sha256);
  } else {
    absl::StrAppend(&in, "|hashes|", hashes.pdq, "|", hashes.md5, "|",
                    hashes.sha1, "|", hashes.sha256);
  }
  return matcher::Sha256Hex(in).substr(0, 32);
}

bool SameContent(const matcher::ContentHashes& a,
                 const matcher::ContentHashes& b) {
  if (!a.sha256.empty() && !b.sha256.empty()) return a.sha256 == b.sha256;
  int compared = 0;
  for (auto field : {&matcher::ContentHashes::pdq, &matcher::ContentHashes::md5,
                     &matcher::ContentHashes::sha1}) {
    if ((a.*field).empty() || (b.*field).empty()) continue;
    if (a.*field != b.*field) return false;
    ++compared;
  }
  return compared > 0;
}

bool RecordIsFor(const ScanRecord& record, absl::string_view binding,
                 const matcher::ContentHashes& hashes) {
  if (!record.content_binding.empty()) return record.content_binding == binding;
  return SameContent(record.hashes, hashes);
}

std::string RefiledContentId(absl::string_view content_id,
                             absl::string_view binding) {
  return absl::StrCat(content_id.substr(0, 239), "#", binding.substr(0, 16));
}

std::string EncodeScanRecord(const ScanRecord& record) {
  Json j{{"v", kVersion},
         {"verdict", matcher::VerdictName(record.verdict)},
         {"novel", record.novel},
         {"reason", record.reason}};
  if (!record.matches.empty()) {
    Json matches = Json::array();
    for (const RecordedMatch& m : record.matches)
      matches.push_back(MatchToJson(m));
    j["matches"] = std::move(matches);
  }
  if (!record.hashes.empty()) j["hashes"] = HashesToJson(record.hashes);
  if (!record.report_id.empty()) j["report_id"] = record.report_id;
  if (record.item_id != 0) j["item_id"] = record.item_id;
  if (!record.content_binding.empty()) j["content"] = record.content_binding;
  // Categories and sources come from imported lists: bytes that are not
  // UTF-8 are replaced rather than thrown on.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<ScanRecord> DecodeScanRecord(absl::string_view bytes) {
  if (!bytes.empty() && bytes.front() == '{') {
    const Json j = Json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Malformed("not valid JSON");
    // value() throws when a field has another type than its default.
    try {
      return FromJson(j);
    } catch (const Json::exception& e) {
      return Malformed(e.what());
    }
  }
  // Written before ScanRecord existed: the answer itself.
  v1::ScanResponse legacy;
  if (!legacy.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Malformed("neither JSON nor a serialized ScanResponse");
  }
  return FromProto(legacy);
}

}  // namespace hashwatch::review_api
