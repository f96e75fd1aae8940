// Prints a symbolized stack trace when a bench test dies of a signal
// (SIGSEGV, SIGFPE, SIGABRT, ...), so that a crash under ctest leaves a
// usable report in the test log.
#include "absl/debugging/failure_signal_handler.h"
#include "absl/debugging/symbolize.h"

namespace {

const bool kInstalled = [] {
  absl::InitializeSymbolizer("/proc/self/exe");
  absl::InstallFailureSignalHandler(absl::FailureSignalHandlerOptions());
  return true;
}();

}  // namespace
