// libFuzzer target for the proto-to-engine conversions: the input's first
// byte picks a request message (or a stored or answered message the CLI and
// the engine convert back), the rest is parsed as that message, and what
// parses goes through RequestValidator (validation.h) and the conversions
// of convert.h, bank_convert.h and scan_record.h, as the engine takes it.
//
// What fails the run is a crash, a sanitizer report, a hang, or one of the
// invariants below (HW_CHECK aborts, so libFuzzer saves the input): a
// refusal is InvalidArgument, ResourceExhausted or PermissionDenied with a
// message; what is accepted holds no control character in its ids and only
// canonical hashes; a scan record converted from an answer encodes, decodes
// and encodes again to the same bytes. Run briefly by CTest as
// fuzz.convert_short.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "matcher/bank.h"
#include "review_api/bank_convert.h"
#include "review_api/config.h"
#include "review_api/convert.h"
#include "review_api/scan_record.h"
#include "review_api/validation.h"

namespace hashwatch::review_api {
namespace {

const RequestValidator& Validator() {
  static const ServerConfig* const config = new ServerConfig();
  static const RequestValidator* const validator = new RequestValidator(
      *config, {"proactive", "user_report", "escalation"}, "escalation");
  return *validator;
}

void CheckRefusal(const absl::Status& s) {
  if (s.ok()) return;
  HW_CHECK(absl::IsInvalidArgument(s) || absl::IsResourceExhausted(s) ||
               absl::IsPermissionDenied(s),
           "a request was refused with an unexpected code");
  HW_CHECK(!s.message().empty(), "a refusal has no message");
}

bool HasControl(absl::string_view s) {
  for (const char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool IsLowerHex(absl::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void CheckHashes(const matcher::ContentHashes& h) {
  HW_CHECK(h.pdq.empty() || IsLowerHex(h.pdq, 64), "pdq not canonical");
  HW_CHECK(h.md5.empty() || IsLowerHex(h.md5, 32), "md5 not canonical");
  HW_CHECK(h.sha1.empty() || IsLowerHex(h.sha1, 40), "sha1 not canonical");
  HW_CHECK(h.sha256.empty() || IsLowerHex(h.sha256, 64),
           "sha256 not canonical");
  HW_CHECK(h.pdq.empty() || (h.pdq_quality >= 0 && h.pdq_quality <= 100),
           "pdq_quality out of range");
}

void Scan(const v1::ScanRequest& r) {
  const RequestValidator& v = Validator();
  const absl::Status checked = v.CheckScan(r);
  CheckRefusal(checked);
  if (checked.ok()) {
    HW_CHECK(!r.content_id().empty() && r.content_id().size() <= 256 &&
                 !HasControl(r.content_id()),
             "an accepted content_id is empty, long or has a control byte");
    HW_CHECK(!HasControl(r.context().uploader_id()),
             "an accepted uploader_id has a control byte");
    (void)FromProto(r.context());
  }
  if (r.has_hashes()) {
    absl::StatusOr<matcher::ContentHashes> given = v.GivenHashes(r.hashes());
    CheckRefusal(given.status());
    if (given.ok()) {
      CheckHashes(*given);
      HW_CHECK(ContentBinding(r.content_id(), false, *given).size() == 32,
               "a binding is not 32 digits");
      HW_CHECK(SameContent(*given, *given), "hashes differ from themselves");
    }
  }
  CheckRefusal(v.CheckImage(r.image()));
}

// A stored answer (a record written before ScanRecord) as the engine reads
// it back.
void Answer(const v1::ScanResponse& r) {
  const ScanRecord record = FromProto(r);
  const std::string bytes = EncodeScanRecord(record);
  absl::StatusOr<ScanRecord> back = DecodeScanRecord(bytes);
  HW_CHECK(back.ok(), "an encoded scan record does not decode");
  HW_CHECK(EncodeScanRecord(*back) == bytes,
           "a scan record does not round-trip");
  v1::ScanResponse out;
  ToProto(*back, &out);
  (void)DecodeScanRecord(r.SerializeAsString());
}

void Review(uint8_t which, absl::string_view body) {
  const RequestValidator& v = Validator();
  switch (which % 4) {
    case 0: {
      v1::DecideRequest r;
      if (!r.ParseFromString(std::string(body))) return;
      auto d = v.Decision(r);
      CheckRefusal(d.status());
      if (d.ok()) HW_CHECK(!HasControl(d->category), "category control byte");
      return;
    }
    case 1: {
      v1::LeaseRequest r;
      if (!r.ParseFromString(std::string(body))) return;
      for (bool lead : {false, true}) {
        auto args = v.Lease(r, lead);
        CheckRefusal(args.status());
        if (args.ok()) HW_CHECK(args->max_items >= 1, "max_items below 1");
      }
      return;
    }
    case 2: {
      v1::RevealRequest r;
      if (!r.ParseFromString(std::string(body))) return;
      CheckRefusal(v.CheckReveal(r));
      return;
    }
    default: {
      v1::EnqueueCaseRequest r;
      if (!r.ParseFromString(std::string(body))) return;
      auto item = v.Case(r);
      CheckRefusal(item.status());
      if (item.ok()) {
        HW_CHECK(item->content_id == r.content_id(), "case content id");
        HW_CHECK(!HasControl(item->content_id), "case content id control");
      }
      return;
    }
  }
}

void Banks(uint8_t which, absl::string_view body) {
  const RequestValidator& v = Validator();
  const std::string bytes(body);
  switch (which % 7) {
    case 0: {
      v1::CreateBankRequest r;
      if (!r.ParseFromString(bytes)) return;
      CheckRefusal(v.BankKind(r.kind()).status());
      const matcher::BankPolicy policy = FromProto(r.policy());
      v1::BankPolicy again;
      ToProto(policy, &again);
      (void)matcher::ValidatePolicy(policy);
      return;
    }
    case 1: {
      v1::AddEntriesRequest r;
      if (!r.ParseFromString(bytes)) return;
      std::string bank;
      CheckRefusal(v.CheckSameBank(r.bank(), &bank));
      for (int i = 0; i < r.entries_size(); ++i) {
        auto entry = v.Entry(r.entries(i), i);
        CheckRefusal(entry.status());
        if (entry.ok()) {
          HW_CHECK(!HasControl(entry->category) && !HasControl(entry->source),
                   "an accepted entry has a control byte");
        }
      }
      return;
    }
    case 2: {
      v1::RemoveEntriesRequest r;
      if (!r.ParseFromString(bytes)) return;
      for (int i = 0; i < r.values_size(); ++i) {
        auto value = v.EntryValue(r.values(i), i);
        CheckRefusal(value.status());
        if (!value.ok()) continue;
        auto canonical =
            matcher::CanonicalHashValue(value->first, value->second);
        HW_CHECK(canonical.ok() && *canonical == value->second,
                 "an accepted value is not canonical");
      }
      return;
    }
    case 3: {
      v1::DisableEntryRequest r;
      if (!r.ParseFromString(bytes)) return;
      CheckRefusal(v.Disable(r).status());
      return;
    }
    case 4: {
      v1::ImportListRequest r;
      if (!r.ParseFromString(bytes)) return;
      CheckRefusal(v.Import(r).status());
      return;
    }
    case 5: {
      v1::AddImagesRequest r;
      if (!r.ParseFromString(bytes)) return;
      const absl::Status s = v.AddImages(r);
      CheckRefusal(s);
      if (s.ok()) {
        HW_CHECK(!r.images().empty() && r.images_size() <= kMaxAddImages,
                 "an accepted AddImages has no or too many pictures");
        for (const auto& image : r.images())
          HW_CHECK(!HasControl(image.name()), "picture name control byte");
      }
      return;
    }
    default: {
      // What a server answers, as `hashwatch bank` reads it back.
      v1::Entry e;
      if (!e.ParseFromString(bytes)) return;
      v1::Entry again;
      ToProto(FromProto(e), &again);
      return;
    }
  }
}

void Reports(uint8_t which, absl::string_view body) {
  const RequestValidator& v = Validator();
  const std::string bytes(body);
  switch (which % 3) {
    case 0: {
      v1::ListReportsRequest r;
      if (!r.ParseFromString(bytes)) return;
      auto filter = v.ReportFilter(r);
      CheckRefusal(filter.status());
      if (filter.ok()) {
        HW_CHECK(filter->limit >= 1 && filter->limit <= 10'000,
                 "a list limit out of range");
      }
      CheckRefusal(v.ExportFilter(r).status());
      return;
    }
    case 1: {
      v1::MarkSubmittedRequest r;
      if (!r.ParseFromString(bytes)) return;
      CheckRefusal(v.CheckMarkSubmitted(r));
      return;
    }
    default: {
      v1::GetReportRequest r;
      if (!r.ParseFromString(bytes)) return;
      const absl::Status s = v.CheckReportId(r.id());
      CheckRefusal(s);
      if (s.ok()) HW_CHECK(!HasControl(r.id()), "report id control byte");
      return;
    }
  }
}

}  // namespace
}  // namespace hashwatch::review_api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hashwatch::review_api;
  if (size == 0) return 0;
  const uint8_t which = data[0];
  const absl::string_view body(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  switch (which % 5) {
    case 0: {
      hashwatch::v1::ScanRequest r;
      if (r.ParseFromString(std::string(body))) Scan(r);
      break;
    }
    case 1: {
      hashwatch::v1::ScanResponse r;
      if (r.ParseFromString(std::string(body))) Answer(r);
      break;
    }
    case 2:
      Review(which / 5, body);
      break;
    case 3:
      Banks(which / 5, body);
      break;
    default:
      Reports(which / 5, body);
      break;
  }
  return 0;
}
