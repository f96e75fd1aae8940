#include "queue/audit.h"

namespace hashwatch::queue {

absl::string_view AuditEventName(AuditEvent event) {
  switch (event) {
    case AuditEvent::kEnqueue:
      return "enqueue";
    case AuditEvent::kLease:
      return "lease";
    case AuditEvent::kExtend:
      return "extend";
    case AuditEvent::kExpiry:
      return "expiry";
    case AuditEvent::kRelease:
      return "release";
    case AuditEvent::kDecision:
      return "decision";
    case AuditEvent::kEscalation:
      return "escalation";
    case AuditEvent::kReveal:
      return "reveal";
  }
  return "unknown";
}

}  // namespace hashwatch::queue
