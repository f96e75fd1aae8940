// Own-material pictures into a bank: what `hashwatch bank add-images` and
// BankService.AddImages do, and what a confirmed review item's picture
// becomes (docs/own-material.md).
//
// Each picture is decoded once; its PDQ hash, MD5, SHA-1 and SHA-256 become
// bank entries like any list's, and its own-material signature (matcher/
// own_signature.h) is kept under its SHA-256 entry, so that edited copies
// (crops, captions, watermarks, small rotations) match it by local
// features. The picture's bytes are never stored.
//
//   absl::StatusOr<OwnPicture> p = PrepareOwnPicture(bytes, {});
//   if (!p.ok()) ... a per-picture error: skip it, nothing was written
//   HW_ASSIGN_OR_RETURN(std::vector<OwnPictureResult> r,
//                       AddOwnPictures(store, "own", {*p}, {}));
//
// Thread-safety: as BankStore (any thread).
#ifndef HASHWATCH_MATCHER_OWN_PICTURES_H_
#define HASHWATCH_MATCHER_OWN_PICTURES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "matcher/bank_store.h"
#include "matcher/evidence.h"
#include "matcher/own_signature.h"

namespace hashwatch::matcher {

struct OwnPicture {
  ContentHashes hashes;  // PDQ with its quality, MD5, SHA-1, SHA-256
  // None for a picture with too little detail (flat, blank, smooth):
  // its hashes are still banked; no_signature says why it has none.
  std::optional<OwnSignature> signature;
  std::string no_signature;
};

// Decodes `bytes` (options.decode: formats and limits as a scan's), hashes
// it and computes its signature. InvalidArgument: not a decodable picture,
// or a side below kMinOwnPictureSide pixels (the message says which);
// ResourceExhausted: over the decode limits. A picture with too little
// detail for a signature is no error: it comes back without one.
absl::StatusOr<OwnPicture> PrepareOwnPicture(
    absl::string_view bytes, const OwnSignatureOptions& options);

// What the bank's entries and category say of the pictures added.
struct OwnPictureLabels {
  std::string category;
  std::string source;
  std::string note;
};

struct OwnPictureResult {
  // The picture was new to the bank (its SHA-256 entry, or its signature,
  // was not stored yet); false: the bank held it already (adding again
  // changes nothing but the labels, as re-importing a list does).
  bool added = false;
};

// Adds the pictures' hashes to `bank` (one atomic write), then their
// signatures. A crash in between leaves entries without a signature: adding
// the same pictures again completes it. Errors as BankStore::AddEntries and
// AddOwnSignature (NotFound for the bank).
absl::StatusOr<std::vector<OwnPictureResult>> AddOwnPictures(
    BankStore& store, absl::string_view bank,
    absl::Span<const OwnPicture> pictures, const OwnPictureLabels& labels);

}  // namespace hashwatch::matcher

#endif  // HASHWATCH_MATCHER_OWN_PICTURES_H_
