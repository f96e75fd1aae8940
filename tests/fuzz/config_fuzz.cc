// libFuzzer target for the server configuration: ParseServerConfig (the
// parser behind `hashwatch serve --config FILE`) on untrusted bytes.
//
// What fails the run is a crash, a sanitizer report, a hang, or one of the
// invariants below (HW_CHECK aborts, so libFuzzer saves the input). Run
// briefly by CTest as fuzz.server_config_short.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "review_api/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hashwatch::review_api;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ServerConfig> config = ParseServerConfig(text);
  // Address classification must cope with any text.
  (void)IsLoopbackListenAddress(text.substr(0, 300));
  if (!config.ok()) {
    HW_CHECK(absl::IsInvalidArgument(config.status()),
             "a bad config gave a code other than InvalidArgument");
    HW_CHECK(absl::StartsWith(config.status().message(), "config"),
             "a config error does not say it is about the config");
    return 0;
  }
  HW_CHECK(ValidateServerConfig(*config).ok(),
           "a parsed config fails validation");
  // `serve --print-config` writes what the parser reads back unchanged.
  const std::string printed = ServerConfigToJson(*config);
  absl::StatusOr<ServerConfig> again = ParseServerConfig(printed);
  HW_CHECK(again.ok(), "the printed config does not parse");
  HW_CHECK(ServerConfigToJson(*again) == printed,
           "the printed config does not round-trip");
  return 0;
}
