// decide_crash_child: the process decide_crash_test kills. It opens the
// engine on a database prepared by the test, leases its one item as
// moderator "mod-1" (token "id-mod-1") and confirms it, raising SIGKILL on
// itself when Decide reaches the named step (Engine::SetStepHookForTesting).
// Standard output, one write(2) per line:
//
//   L <item id> <lease id>      after the lease
//   D <report id>               if Decide returned OK (no step matched)
//   X <status>                  on any error (exit code 2)
//
// Usage: decide_crash_child <db dir> <unix seconds> <step>
//
// With the step "flood" it instead scans three distinct contents of the
// known hash with review.flood_max_distinct_contents 2, writes
// "F <verdict of the third>" and raises SIGKILL.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "tests/review_api/review_fixture.h"

namespace {

using namespace hashwatch::review_api;
namespace v1 = hashwatch::v1;

void Say(const std::string& line) {
  const std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) !=
      static_cast<ssize_t>(out.size())) {
    std::_Exit(3);
  }
}

[[noreturn]] void Fail(const absl::Status& s) {
  Say(absl::StrCat("X ", s.ToString()));
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <db dir> <unix seconds> <step>\n", argv[0]);
    return 1;
  }
  hashwatch::FakeClock clock(absl::FromUnixSeconds(std::atoll(argv[2])));
  const std::string step = argv[3];
  ServerConfig config = review_test::ReviewConfigFor(argv[1]);
  if (step == "flood") config.scan.flood_max_distinct_contents = 2;
  auto engine = Engine::Open(config, &clock);
  if (!engine.ok()) Fail(engine.status());
  if (step == "flood") {
    v1::Verdict verdict = v1::VERDICT_UNSPECIFIED;
    for (int i = 0; i < 3; ++i) {
      auto r = (*engine)->Scan(
          review_test::HashScan(absl::StrCat("f-", i), review_test::kKnownPdq));
      if (!r.ok()) Fail(r.status());
      verdict = r->verdict();
    }
    Say(absl::StrCat("F ", v1::Verdict_Name(verdict)));
    raise(SIGKILL);
  }
  const Reviewer mod = review_test::Mod("mod-1");
  auto leased = (*engine)->Lease(mod, v1::LeaseRequest());
  if (!leased.ok()) Fail(leased.status());
  if (leased->items_size() != 1) Fail(absl::InternalError("no item to lease"));
  const v1::LeasedItem& l = leased->items(0);
  Say(absl::StrCat("L ", l.item().id(), " ", l.lease_id()));
  (*engine)->SetStepHookForTesting([&step](absl::string_view reached) {
    if (reached == step) raise(SIGKILL);
  });
  auto decided =
      (*engine)->Decide(mod, review_test::Confirm(l.item().id(), l.lease_id()));
  if (!decided.ok()) Fail(decided.status());
  Say(absl::StrCat("D ", decided->report_id()));
  return 0;
}
