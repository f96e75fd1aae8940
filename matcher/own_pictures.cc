#include "matcher/own_pictures.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "matcher/hashes.h"

namespace hashwatch::matcher {
namespace {

// Whether `bank` holds an enabled SHA-256 entry of `sha256`. NotFound for
// an unknown bank.
absl::StatusOr<bool> HoldsSha256(const BankStore& store, absl::string_view bank,
                                 const std::string& sha256) {
  HW_RETURN_IF_ERROR(store.GetBank(bank).status());
  HW_ASSIGN_OR_RETURN(const std::vector<Match> found,
                      store.MatchExact(SignalType::kSha256, sha256));
  for (const Match& m : found) {
    if (m.bank == bank) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<OwnPicture> PrepareOwnPicture(
    absl::string_view bytes, const OwnSignatureOptions& options) {
  HashOptions hash_options;
  hash_options.decode = options.decode;
  hash_options.own_signature = true;
  hash_options.own = options;
  HW_ASSIGN_OR_RETURN(ImageHashes h, HashImage(bytes, hash_options));
  if (h.width < kMinOwnPictureSide || h.height < kMinOwnPictureSide) {
    return absl::InvalidArgumentError(
        absl::StrCat("the picture is ", h.width, "x", h.height,
                     "; own material needs at least ", kMinOwnPictureSide,
                     " pixels on each side"));
  }
  OwnPicture out;
  if (!h.own.has_value())
    out.no_signature = std::string(h.own_status.message());
  out.hashes = {.pdq = h.pdq.hash.ToHex(),
                .pdq_quality = h.pdq.quality,
                .md5 = std::move(h.md5),
                .sha1 = std::move(h.sha1),
                .sha256 = std::move(h.sha256)};
  out.signature = std::move(h.own);
  return out;
}

absl::StatusOr<std::vector<OwnPictureResult>> AddOwnPictures(
    BankStore& store, absl::string_view bank,
    absl::Span<const OwnPicture> pictures, const OwnPictureLabels& labels) {
  std::vector<NewEntry> entries;
  std::vector<OwnPictureResult> results(pictures.size());
  for (size_t i = 0; i < pictures.size(); ++i) {
    const ContentHashes& h = pictures[i].hashes;
    bool held = false;
    if (pictures[i].signature.has_value()) {
      HW_ASSIGN_OR_RETURN(held, store.HasOwnSignature(bank, h.sha256));
    } else {
      HW_ASSIGN_OR_RETURN(held, HoldsSha256(store, bank, h.sha256));
    }
    results[i].added = !held;
    auto add = [&](SignalType signal, const std::string& value) {
      if (value.empty()) return;
      NewEntry e;
      e.signal = signal;
      e.value = value;
      e.category = labels.category;
      e.source = labels.source;
      e.note = labels.note;
      entries.push_back(std::move(e));
    };
    add(SignalType::kPdq, h.pdq);
    add(SignalType::kMd5, h.md5);
    add(SignalType::kSha1, h.sha1);
    add(SignalType::kSha256, h.sha256);
  }
  if (entries.empty()) return results;
  HW_RETURN_IF_ERROR(store.AddEntries(bank, entries).status());
  for (const OwnPicture& p : pictures) {
    if (!p.signature.has_value()) continue;
    HW_RETURN_IF_ERROR(
        store.AddOwnSignature(bank, p.hashes.sha256, *p.signature));
  }
  return results;
}

}  // namespace hashwatch::matcher
