#include "queue/internal/schema.h"

#include "absl/strings/str_cat.h"

namespace hashwatch::queue::internal {

std::string LanePrefix(absl::string_view lane) {
  std::string k(lane);
  k.push_back('\0');
  return k;
}

std::string ReadyKey(absl::string_view lane, absl::Time virtual_enqueue,
                     uint64_t item_id) {
  std::string k = LanePrefix(lane);
  AppendOrderedTime(&k, virtual_enqueue);
  AppendBigEndian(&k, item_id);
  return k;
}

std::string DuePrefix(absl::string_view lane, PriorityClass c) {
  std::string k = LanePrefix(lane);
  k.push_back(static_cast<char>(c));
  return k;
}

std::string DueKey(absl::string_view lane, PriorityClass c, absl::Time deadline,
                   uint64_t item_id) {
  std::string k = DuePrefix(lane, c);
  AppendOrderedTime(&k, deadline);
  AppendBigEndian(&k, item_id);
  return k;
}

std::string LeaseKey(absl::Time expires, uint64_t item_id) {
  std::string k;
  AppendOrderedTime(&k, expires);
  AppendBigEndian(&k, item_id);
  return k;
}

std::string ModeratorPrefix(absl::string_view moderator) {
  std::string k(moderator);
  k.push_back('\0');
  return k;
}

std::string ModeratorEventKey(absl::string_view moderator, absl::Time t,
                              uint64_t item_id) {
  std::string k = ModeratorPrefix(moderator);
  AppendOrderedTime(&k, t);
  AppendBigEndian(&k, item_id);
  return k;
}

absl::Time KeyTailTime(absl::string_view key) {
  return ReadOrderedTime(key.substr(key.size() - 16, 8));
}

uint64_t KeyTailItem(absl::string_view key) {
  return ReadBigEndian(key.substr(key.size() - 8));
}

absl::string_view KeyModerator(absl::string_view key) {
  return key.substr(0, key.size() - 17);
}

std::string WaitingCounter(absl::string_view lane, PriorityClass c) {
  return absl::StrCat("waiting/", lane, "/", static_cast<int>(c));
}

}  // namespace hashwatch::queue::internal
