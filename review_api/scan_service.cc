// hashwatch.v1.ScanService: Scan, Hash, and ScanStream with its shared
// scan workers and a writer of its own per stream.
#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "review_api/service_util.h"

namespace hashwatch::review_api {
namespace {

using service_internal::Answer;

class ScanServiceImpl final : public v1::ScanService::Service {
 public:
  explicit ScanServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status Scan(grpc::ServerContext* context,
                    const v1::ScanRequest* request,
                    v1::ScanResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kScan);
    return Answer(deps_.engine->Scan(*request), response);
  }

  // Requests of one stream are scanned in parallel by the service's shared
  // workers (a backfill on one connection uses every core; many streams do
  // not multiply scan threads) and answered in request order by the
  // stream's own writer thread, so a client that does not read its answers
  // stalls only its own stream. Read ahead of the oldest unwritten answer:
  // at most kMaxInFlight requests and limits.scan_stream_inflight_bytes of
  // them (one request of any size when none is in flight); beyond, the
  // stream stops reading until answers are written.
  grpc::Status ScanStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream)
      override {
    HW_GRPC_REQUIRE(Permission::kScan);
    auto open = deps_.streams->Register(context, Permission::kScan);
    StreamState state;
    state.stream = stream;
    state.max_inflight_bytes = deps_.scan_stream_inflight_bytes;
    std::thread writer;  // started with the first request
    v1::ScanRequest request;
    auto start_writer = [&] {
      if (!writer.joinable())
        writer = std::thread([&state] { WriteLoop(&state); });
    };
    while (WaitForRoom(&state) && open->ok() && stream->Read(&request) &&
           open->ok()) {
      const int64_t bytes = static_cast<int64_t>(request.ByteSizeLong());
      uint64_t seq;
      bool idle;
      {
        absl::MutexLock lock(&state.mu);
        idle = state.next_written == state.next_read;
        seq = state.next_read++;
        state.inflight_bytes += bytes;
      }
      // With every core busy already, a stream with nothing in flight (a
      // caller that waits for each answer) is scanned and answered on this
      // thread: a hand-off would only add thread switches. (This thread
      // serves this stream alone: a client that does not read stalls only
      // itself.)
      if (idle && active_.load(std::memory_order_relaxed) >= cores_) {
        if (!WriteInline(&state, seq, ScanOne(request), bytes)) start_writer();
      } else {
        start_writer();
        Submit({&state, seq, bytes, std::move(request)});
      }
    }
    // Every request read is answered (or dropped once the client is gone)
    // before the stream, which the writer writes to, goes away.
    {
      absl::MutexLock lock(&state.mu);
      state.reading_done = true;
    }
    if (writer.joinable()) writer.join();
    if (!open->ok()) return ToGrpc(open->status());
    return grpc::Status::OK;
  }

  grpc::Status Hash(grpc::ServerContext* context,
                    const v1::HashRequest* request,
                    v1::HashResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kScan);
    return Answer(deps_.engine->Hash(*request), response);
  }

  ~ScanServiceImpl() override {
    {
      absl::MutexLock lock(&pool_mu_);
      stopping_ = true;
    }
    for (std::thread& t : workers_) t.join();
  }

 private:
  static constexpr uint64_t kMaxInFlight = 256;

  struct StreamState {
    grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream =
        nullptr;
    int64_t max_inflight_bytes = 0;
    absl::Mutex mu;
    uint64_t next_read = 0;      // sequence of the next request read
    uint64_t next_written = 0;   // sequence of the next answer to write
    int64_t inflight_bytes = 0;  // of requests read and not yet written
    bool reading_done = false;   // no more requests will be read
    bool writing = false;        // an answer is being written now
    bool broken = false;         // a write failed: the client went away
    // Scanned, waiting for their turn to be written: answer and the
    // request's size.
    absl::flat_hash_map<uint64_t, std::pair<v1::ScanResponse, int64_t>>
        finished;
  };
  struct Job {
    StreamState* state;
    uint64_t seq;
    int64_t bytes;
    v1::ScanRequest request;
  };

  // Waits while the stream has its fill of requests in flight; false once
  // the client has gone.
  static bool WaitForRoom(StreamState* state) {
    absl::MutexLock lock(&state->mu);
    auto room = [state] {
      const uint64_t in_flight = state->next_read - state->next_written;
      return state->broken || in_flight == 0 ||
             (in_flight < kMaxInFlight &&
              state->inflight_bytes < state->max_inflight_bytes);
    };
    state->mu.Await(absl::Condition(&room));
    return !state->broken;
  }

  void Submit(Job job) {
    absl::MutexLock lock(&pool_mu_);
    if (workers_.empty()) {
      const int n = static_cast<int>(
          std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
      for (int i = 0; i < n; ++i)
        workers_.emplace_back([this] { WorkerLoop(); });
    }
    jobs_.push_back(std::move(job));
  }

  void WorkerLoop() {
    while (true) {
      Job job;
      {
        absl::MutexLock lock(&pool_mu_);
        auto ready = [this] { return !jobs_.empty() || stopping_; };
        pool_mu_.Await(absl::Condition(&ready));
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      Complete(job.state, job.seq, ScanOne(job.request), job.bytes);
    }
  }

  // Hands an answer to the stream's writer; never blocks on the client.
  static void Complete(StreamState* state, uint64_t seq,
                       v1::ScanResponse response, int64_t bytes) {
    absl::MutexLock lock(&state->mu);
    state->finished.emplace(seq, std::make_pair(std::move(response), bytes));
  }

  // Writes the answer of `seq` on the calling thread when it is next and
  // no write is under way; otherwise leaves it to the writer (false).
  static bool WriteInline(StreamState* state, uint64_t seq,
                          v1::ScanResponse response, int64_t bytes) {
    absl::MutexLock lock(&state->mu);
    if (state->writing || state->next_written != seq) {
      state->finished.emplace(seq, std::make_pair(std::move(response), bytes));
      return false;
    }
    WriteNext(state, response, bytes);
    return true;
  }

  // The stream's writer: writes the answers in request order until every
  // request read has been answered and no more will be read.
  static void WriteLoop(StreamState* state) {
    absl::MutexLock lock(&state->mu);
    while (true) {
      auto ready = [state] {
        return !state->writing &&
               (state->finished.contains(state->next_written) ||
                (state->reading_done &&
                 state->next_written == state->next_read));
      };
      state->mu.Await(absl::Condition(&ready));
      auto it = state->finished.find(state->next_written);
      if (it == state->finished.end()) return;
      v1::ScanResponse next = std::move(it->second.first);
      const int64_t bytes = it->second.second;
      state->finished.erase(it);
      WriteNext(state, next, bytes);
    }
  }

  // Writes the next answer (under state->mu, released while writing).
  // After a failed write, answers are dropped. (Requests read before the
  // caller's token was revoked are answered; none is read after.)
  static void WriteNext(StreamState* state, const v1::ScanResponse& answer,
                        int64_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
    state->writing = true;
    bool ok = !state->broken;
    if (ok) {
      state->mu.Unlock();
      ok = state->stream->Write(answer);
      state->mu.Lock();
    }
    if (!ok) state->broken = true;
    state->writing = false;
    ++state->next_written;
    state->inflight_bytes -= bytes;
  }

  v1::ScanResponse ScanOne(const v1::ScanRequest& request) {
    active_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<v1::ScanResponse> result = deps_.engine->Scan(request);
    active_.fetch_sub(1, std::memory_order_relaxed);
    if (result.ok()) return *std::move(result);
    v1::ScanResponse response;
    response.set_content_id(request.content_id());
    response.mutable_error()->set_code(
        static_cast<int>(result.status().code()));
    response.mutable_error()->set_message(
        std::string(result.status().message()));
    return response;
  }

  ServiceDeps deps_;
  absl::Mutex pool_mu_;
  std::deque<Job> jobs_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::atomic<int> active_{0};  // scans running now, on workers or inline
  const int cores_ =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

}  // namespace

std::unique_ptr<grpc::Service> MakeScanService(const ServiceDeps& deps) {
  return std::make_unique<ScanServiceImpl>(deps);
}

}  // namespace hashwatch::review_api
