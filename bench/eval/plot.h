// Plots through gnuplot (Debian: gnuplot-nox, whose pngcairo terminal
// writes the PNGs). The caller writes a complete gnuplot script with its
// data inline (`$name << EOD` data blocks), so no temporary data files are
// needed; gnuplot runs in the output folder, so `set output "x.png"` names
// a file there.
//
// Thread-safety: thread-safe (each call runs its own gnuplot process).
#ifndef HASHWATCH_BENCH_EVAL_PLOT_H_
#define HASHWATCH_BENCH_EVAL_PLOT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hashwatch::bench {

// The first line every script starts with: a 900x520 pngcairo terminal
// with a font the report's fonts package provides.
std::string GnuplotPreamble(int width = 900, int height = 520);

// True when a `gnuplot` executable is on PATH.
bool GnuplotAvailable();

// Runs `gnuplot` in folder `dir` with `script` on standard input.
// FailedPrecondition when gnuplot is not installed (the message names the
// package and --no-plots); Internal with gnuplot's first error line when
// it fails.
absl::Status RunGnuplot(const std::string& dir, absl::string_view script);

// `text` as a gnuplot double-quoted string literal.
std::string GnuplotQuote(absl::string_view text);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_EVAL_PLOT_H_
