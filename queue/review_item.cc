#include "queue/review_item.h"

namespace hashwatch::queue {

absl::string_view ItemKindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kHashMatch:
      return "hash_match";
    case ItemKind::kNovel:
      return "novel";
    case ItemKind::kCase:
      return "case";
  }
  return "unknown";
}

absl::string_view ItemStateName(ItemState state) {
  switch (state) {
    case ItemState::kQueued:
      return "queued";
    case ItemState::kLeased:
      return "leased";
    case ItemState::kDecided:
      return "decided";
    case ItemState::kEscalated:
      return "escalated";
  }
  return "unknown";
}

absl::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kConfirm:
      return "confirm";
    case DecisionKind::kReject:
      return "reject";
    case DecisionKind::kEscalate:
      return "escalate";
    case DecisionKind::kSkip:
      return "skip";
  }
  return "unknown";
}

}  // namespace hashwatch::queue
