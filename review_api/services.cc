#include "review_api/services.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "review_api/convert.h"

namespace hashwatch::review_api {
namespace {

// The caller's principal, checked for `permission`.
absl::StatusOr<Principal> Authorized(grpc::ServerContext* context,
                                     const ServiceDeps& deps,
                                     Permission permission) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing token: send metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") &&
      !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization metadata must be \"Bearer <token>\"");
  }
  HW_ASSIGN_OR_RETURN(Principal who, deps.tokens->Authenticate(value));
  HW_RETURN_IF_ERROR(Authorize(who, permission));
  return who;
}

// In a handler: authenticates the caller, checks `permission`, and binds
// the principal to `who`; returns the gRPC status of a refusal.
#define HW_GRPC_AUTHORIZE(who, permission)                \
  auto who##_or = Authorized(context, deps_, permission); \
  if (!who##_or.ok()) return ToGrpc(who##_or.status());   \
  const Principal& who = *who##_or

// The same where the handler does not need the principal.
#define HW_GRPC_REQUIRE(permission)                                  \
  if (auto status = Authorized(context, deps_, permission).status(); \
      !status.ok())                                                  \
  return ToGrpc(status)

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpc(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

// Writes one message of a server stream; Cancelled with `gone` when the
// client has cancelled or the write fails.
template <typename Message>
absl::Status Written(grpc::ServerContext* context,
                     grpc::ServerWriter<Message>* writer,
                     const Message& message, absl::string_view gone) {
  if (context->IsCancelled() || !writer->Write(message))
    return absl::CancelledError(gone);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- scan ----

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
  // not multiply threads) and answered in request order: the worker that
  // completes the oldest unanswered request writes it and any answers
  // queued behind it. At most kMaxInFlight requests are read ahead of the
  // oldest unanswered one.
  grpc::Status ScanStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream)
      override {
    HW_GRPC_REQUIRE(Permission::kScan);
    constexpr uint64_t kMaxInFlight = 256;
    StreamState state;
    state.stream = stream;
    v1::ScanRequest request;
    while (true) {
      {
        absl::MutexLock lock(&state.mu);
        auto room = [&] {
          return state.next_read - state.next_written < kMaxInFlight ||
                 state.broken;
        };
        state.mu.Await(absl::Condition(&room));
        if (state.broken) break;
      }
      if (!stream->Read(&request)) break;
      uint64_t seq;
      bool idle;
      {
        absl::MutexLock lock(&state.mu);
        idle = state.completed == state.next_read;
        seq = state.next_read++;
      }
      // With every core busy already, a stream with nothing in flight (a
      // caller that waits for each answer) is served on this thread: a
      // hand-off to a worker would only add a thread switch.
      if (idle && active_.load(std::memory_order_relaxed) >= cores_) {
        Complete(&state, seq, ScanOne(request));
      } else {
        Submit({&state, seq, std::move(request)});
      }
    }
    // Every submitted request is answered (or dropped once the client is
    // gone) before the stream, which the workers write to, goes away.
    absl::MutexLock lock(&state.mu);
    auto drained = [&] { return state.completed == state.next_read; };
    state.mu.Await(absl::Condition(&drained));
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
  struct StreamState {
    grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream =
        nullptr;
    absl::Mutex mu;
    uint64_t next_read = 0;     // sequence of the next request read
    uint64_t next_written = 0;  // sequence of the next answer to write
    uint64_t completed = 0;     // requests scanned (written or dropped)
    bool writing = false;       // a worker is writing answers now
    bool broken = false;        // a write failed: the client went away
    absl::flat_hash_map<uint64_t, v1::ScanResponse> finished;
  };
  struct Job {
    StreamState* state;
    uint64_t seq;
    v1::ScanRequest request;
  };

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
      Complete(job.state, job.seq, ScanOne(job.request));
    }
  }

  // Records an answer; the first worker to find the oldest unanswered
  // answer ready writes it and every ready answer after it.
  static void Complete(StreamState* state, uint64_t seq,
                       v1::ScanResponse response) {
    absl::MutexLock lock(&state->mu);
    state->finished.emplace(seq, std::move(response));
    if (state->writing) return;
    state->writing = true;
    while (true) {
      auto it = state->finished.find(state->next_written);
      if (it == state->finished.end()) break;
      v1::ScanResponse next = std::move(it->second);
      state->finished.erase(it);
      bool ok = !state->broken;
      if (ok) {
        state->mu.Unlock();
        ok = state->stream->Write(next);
        state->mu.Lock();
      }
      if (!ok) state->broken = true;
      ++state->next_written;
      ++state->completed;
    }
    state->writing = false;
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

// ---------------------------------------------------------------- banks ---

class BankServiceImpl final : public v1::BankService::Service {
 public:
  explicit BankServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status CreateBank(grpc::ServerContext* context,
                          const v1::CreateBankRequest* request,
                          v1::Bank* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->CreateBank(who.name, *request), response);
  }

  grpc::Status ListBanks(grpc::ServerContext* context,
                         const v1::ListBanksRequest*,
                         v1::ListBanksResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    *response = deps_.engine->ListBanks();
    return grpc::Status::OK;
  }

  grpc::Status GetBank(grpc::ServerContext* context,
                       const v1::GetBankRequest* request,
                       v1::Bank* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    return Answer(deps_.engine->GetBank(*request), response);
  }

  grpc::Status UpdatePolicy(grpc::ServerContext* context,
                            const v1::UpdatePolicyRequest* request,
                            v1::Bank* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->UpdatePolicy(who.name, *request), response);
  }

  grpc::Status DeleteBank(grpc::ServerContext* context,
                          const v1::DeleteBankRequest* request,
                          v1::DeleteBankResponse*) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return ToGrpc(deps_.engine->DeleteBank(who.name, *request));
  }

  grpc::Status AddEntries(grpc::ServerContext* context,
                          grpc::ServerReader<v1::AddEntriesRequest>* reader,
                          v1::WriteResult* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(
        deps_.engine->AddEntries(
            who.name, [&](v1::AddEntriesRequest* m) { return reader->Read(m); },
            [&] { return context->IsCancelled(); }),
        response);
  }

  grpc::Status RemoveEntries(
      grpc::ServerContext* context,
      grpc::ServerReader<v1::RemoveEntriesRequest>* reader,
      v1::WriteResult* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->RemoveEntries(who.name,
                                              [&](v1::RemoveEntriesRequest* m) {
                                                return reader->Read(m);
                                              }),
                  response);
  }

  grpc::Status DisableEntry(grpc::ServerContext* context,
                            const v1::DisableEntryRequest* request,
                            v1::Entry* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->DisableEntry(who.name, *request), response);
  }

  grpc::Status ImportList(grpc::ServerContext* context,
                          const v1::ImportListRequest* request,
                          v1::ImportListResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->ImportList(who.name, *request), response);
  }

  grpc::Status ExportBank(grpc::ServerContext* context,
                          const v1::ExportBankRequest* request,
                          grpc::ServerWriter<v1::Entry>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    return ToGrpc(deps_.engine->ExportBank(*request, [&](const v1::Entry& e) {
      return Written(context, writer, e, "export cancelled by the client");
    }));
  }

  grpc::Status GetStats(grpc::ServerContext* context,
                        const v1::GetStatsRequest* request,
                        v1::BankStats* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    return Answer(deps_.engine->GetBankStats(*request), response);
  }

 private:
  ServiceDeps deps_;
};

// ---------------------------------------------------------------- review --

// The engine's view of the caller: name, token id and whether the role
// reads every item.
Reviewer AsReviewer(const Principal& who) {
  return {.name = who.name,
          .token_id = who.token_id,
          .lead = who.role == Role::kLead || who.role == Role::kAdmin};
}

class ReviewServiceImpl final : public v1::ReviewService::Service {
 public:
  explicit ReviewServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status Lease(grpc::ServerContext* context,
                     const v1::LeaseRequest* request,
                     v1::LeaseResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->Lease(AsReviewer(who), *request), response);
  }
  grpc::Status ExtendLease(grpc::ServerContext* context,
                           const v1::ExtendLeaseRequest* request,
                           v1::ExtendLeaseResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->ExtendLease(AsReviewer(who), *request),
                  response);
  }
  grpc::Status Release(grpc::ServerContext* context,
                       const v1::ReleaseRequest* request,
                       v1::ReleaseResponse*) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return ToGrpc(deps_.engine->Release(AsReviewer(who), *request));
  }
  grpc::Status Decide(grpc::ServerContext* context,
                      const v1::DecideRequest* request,
                      v1::DecideResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->Decide(AsReviewer(who), *request), response);
  }
  grpc::Status GetItem(grpc::ServerContext* context,
                       const v1::GetItemRequest* request,
                       v1::ReviewItem* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->GetItem(AsReviewer(who), *request), response);
  }
  grpc::Status Stats(grpc::ServerContext* context, const v1::QueueStatsRequest*,
                     v1::QueueStats* response) override {
    HW_GRPC_REQUIRE(Permission::kQueueStats);
    return Answer(deps_.engine->Stats(), response);
  }
  grpc::Status Reveal(grpc::ServerContext* context,
                      const v1::RevealRequest* request,
                      v1::RevealResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReveal);
    return Answer(deps_.engine->Reveal(AsReviewer(who), *request), response);
  }
  grpc::Status EnqueueCase(grpc::ServerContext* context,
                           const v1::EnqueueCaseRequest* request,
                           v1::EnqueueCaseResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kEnqueueCase);
    return Answer(deps_.engine->EnqueueCase(*request), response);
  }

 private:
  ServiceDeps deps_;
};

// ---------------------------------------------------------------- reports -

class ReportServiceImpl final : public v1::ReportService::Service {
 public:
  explicit ReportServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status Get(grpc::ServerContext* context,
                   const v1::GetReportRequest* request,
                   v1::Report* response) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    return Answer(deps_.engine->GetReport(*request), response);
  }

  grpc::Status List(grpc::ServerContext* context,
                    const v1::ListReportsRequest* request,
                    v1::ListReportsResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    return Answer(deps_.engine->ListReports(*request), response);
  }

  // Ends when the client cancels, the server shuts down, or the caller's
  // token is revoked (checked before each batch, so within 250 ms).
  grpc::Status Watch(grpc::ServerContext* context,
                     const v1::WatchReportsRequest* request,
                     grpc::ServerWriter<v1::Report>* writer) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReadReports);
    HW_LOG(kInfo, "report watch by %s from sequence %d", who.name,
           request->after_sequence());
    auto keep_going = [&]() -> absl::Status {
      if (context->IsCancelled())
        return absl::CancelledError("watch cancelled by the client");
      if (deps_.shutting_down->load()) {
        return absl::UnavailableError(
            "server is shutting down; resume from the last sequence");
      }
      absl::Status still =
          Authorized(context, deps_, Permission::kReadReports).status();
      if (!still.ok()) {
        HW_LOG(kInfo, "report watch by %s ended: %s", who.name,
               still.message());
      }
      return still;
    };
    return ToGrpc(deps_.engine->WatchReports(
        *request,
        [&](const v1::Report& r) {
          return Written(context, writer, r, "watch cancelled by the client");
        },
        keep_going));
  }

  grpc::Status Export(grpc::ServerContext* context,
                      const v1::ListReportsRequest* request,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    return ToGrpc(deps_.engine->ExportReports(
        *request, [&](const v1::ExportChunk& chunk) {
          return Written(context, writer, chunk,
                         "export cancelled by the client");
        }));
  }

  grpc::Status MarkSubmitted(grpc::ServerContext* context,
                             const v1::MarkSubmittedRequest* request,
                             v1::Report* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteReports);
    return Answer(deps_.engine->MarkSubmitted(who.name, *request), response);
  }

 private:
  ServiceDeps deps_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeServices(
    const ServiceDeps& deps) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<ScanServiceImpl>(deps));
  services.push_back(std::make_unique<BankServiceImpl>(deps));
  services.push_back(std::make_unique<ReviewServiceImpl>(deps));
  services.push_back(std::make_unique<ReportServiceImpl>(deps));
  return services;
}

}  // namespace hashwatch::review_api
