// ParallelFor: run a loop body over [0, n) on a few threads and wait for all
// of it. The one fan-out helper of the project (index builds, batch hashing,
// the evaluation sweep, benchmark load generators); long-lived threads that
// are not a loop (a merger, a stream writer, a server) are not its business.
//
//   hashwatch::ParallelFor(tables, {.threads = 4},
//                          [&](size_t t) { BuildTable(t); });
//
// Semantics shared by every variant:
//  - workers = min(ResolveThreadCount(threads), n), at least one when n > 0;
//    the calling thread is one of them (except in ParallelForOrdered, where
//    it consumes), the others are fresh threads joined before the return.
//  - Worker w starts with item w, so with n <= threads every item runs at
//    once on its own thread (load generators that loop until a deadline
//    rely on this). After that, items are handed out one at a time in
//    increasing index order to whichever worker is free: uneven items
//    balance themselves.
//  - Each index is passed exactly once. Everything a body wrote is visible
//    to the caller when the call returns (the joins synchronise).
//  - The body must not throw (the project uses no exceptions) and must
//    synchronise any state it shares with other items itself.
//
// Thread-safety: the functions are reentrant; a body may itself call
// ParallelFor (each call starts its own threads).
#ifndef HASHWATCH_COMMON_PARALLEL_FOR_H_
#define HASHWATCH_COMMON_PARALLEL_FOR_H_

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace hashwatch {

struct ParallelForOptions {
  // Most threads to use, the caller's included; 0 means one per hardware
  // thread (std::thread::hardware_concurrency, at least 1). More threads
  // than items are never started.
  int threads = 0;
};

// `requested` when positive, else the number of hardware threads (>= 1).
int ResolveThreadCount(int requested);

// How many workers a ParallelFor over n items with `options` uses: between
// 1 and n (0 when n is 0). Size per-worker state with it.
int ParallelWorkerCount(size_t n, const ParallelForOptions& options);

// Calls body(i) once for every i in [0, n) and returns when all calls have.
void ParallelFor(size_t n, const ParallelForOptions& options,
                 absl::FunctionRef<void(size_t i)> body);

// As ParallelFor, also passing the worker running the call, in
// [0, ParallelWorkerCount(n, options)): for per-worker state (a scratch
// buffer, partial sums merged afterwards, a moderator name) that needs no
// lock because one worker runs one call at a time.
void ParallelForWithWorker(size_t n, const ParallelForOptions& options,
                           absl::FunctionRef<void(int worker, size_t i)> body);

// Computes produce(i) for every i in [0, n) on worker threads and calls
// consume(i, result) on the calling thread in index order, each as soon as
// it and every result before it are ready (streaming output in input order,
// e.g. a CLI printing one line per input). A result is freed once consumed;
// workers may run ahead of the consumer, so at most n results are held.
// Uses up to options.threads workers besides the calling thread.
template <typename T>
void ParallelForOrdered(size_t n, const ParallelForOptions& options,
                        absl::FunctionRef<T(size_t i)> produce,
                        absl::FunctionRef<void(size_t i, T result)> consume);

// ---------------------------------------------------------------------------
// Implementation details.

namespace internal_parallel_for {

// Runs body over [0, n) on ParallelWorkerCount(n, options) new threads while
// the calling thread runs `beside`; joins them before returning.
void RunBeside(size_t n, const ParallelForOptions& options,
               absl::FunctionRef<void(int worker, size_t i)> body,
               absl::FunctionRef<void()> beside);

}  // namespace internal_parallel_for

template <typename T>
void ParallelForOrdered(size_t n, const ParallelForOptions& options,
                        absl::FunctionRef<T(size_t i)> produce,
                        absl::FunctionRef<void(size_t i, T result)> consume) {
  std::vector<std::optional<T>> results(n);
  absl::Mutex mu;
  internal_parallel_for::RunBeside(
      n, options,
      [&](int, size_t i) {
        T result = produce(i);
        absl::MutexLock lock(&mu);
        results[i].emplace(std::move(result));
      },
      [&] {
        for (size_t i = 0; i < n; ++i) {
          std::optional<T> ready;
          {
            absl::MutexLock lock(&mu);
            mu.Await(absl::Condition(
                +[](std::optional<T>* r) { return r->has_value(); },
                &results[i]));
            ready.swap(results[i]);
          }
          consume(i, std::move(*ready));
        }
      });
}

}  // namespace hashwatch

#endif  // HASHWATCH_COMMON_PARALLEL_FOR_H_
