#include "review_api/services.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "matcher/list_import.h"
#include "review_api/convert.h"

namespace hashwatch::review_api {
namespace {

// ImportList answers with the first this many malformed lines (and a count).
constexpr size_t kMaxReportedLineErrors = 1000;

// The caller's principal, checked for `permission`.
absl::StatusOr<Principal> Authorized(grpc::ServerContext* context, const ServiceDeps& deps,
                                     Permission permission) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(
        "missing token: send metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  HW_ASSIGN_OR_RETURN(Principal who, deps.tokens->Authenticate(value));
  HW_RETURN_IF_ERROR(Authorize(who, permission));
  return who;
}

// In a handler: authenticates the caller, checks `permission`, and binds
// the principal to `who`; returns the gRPC status of a refusal.
#define HW_GRPC_AUTHORIZE(who, permission)                                  \
  auto who##_or = Authorized(context, deps_, permission);                   \
  if (!who##_or.ok()) return ToGrpc(who##_or.status());                     \
  const Principal& who = *who##_or

// The same where the handler does not need the principal.
#define HW_GRPC_REQUIRE(permission)                                         \
  if (auto status = Authorized(context, deps_, permission).status();        \
      !status.ok())                                                         \
  return ToGrpc(status)

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpc(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

// ---------------------------------------------------------------- scan ----

class ScanServiceImpl final : public v1::ScanService::Service {
 public:
  explicit ScanServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status Scan(grpc::ServerContext* context, const v1::ScanRequest* request,
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
      grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream) override {
    HW_GRPC_REQUIRE(Permission::kScan);
    constexpr uint64_t kMaxInFlight = 256;
    StreamState state;
    state.stream = stream;
    v1::ScanRequest request;
    while (true) {
      {
        absl::MutexLock lock(&state.mu);
        auto room = [&] { return state.next_read - state.next_written < kMaxInFlight || state.broken; };
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

  grpc::Status Hash(grpc::ServerContext* context, const v1::HashRequest* request,
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
    grpc::ServerReaderWriter<v1::ScanResponse, v1::ScanRequest>* stream = nullptr;
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
      const int n = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u));
      for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
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
  static void Complete(StreamState* state, uint64_t seq, v1::ScanResponse response) {
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
    response.mutable_error()->set_code(static_cast<int>(result.status().code()));
    response.mutable_error()->set_message(std::string(result.status().message()));
    return response;
  }

  ServiceDeps deps_;
  absl::Mutex pool_mu_;
  std::deque<Job> jobs_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::atomic<int> active_{0};  // scans running now, on workers or inline
  const int cores_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

// ---------------------------------------------------------------- banks ---

absl::StatusOr<matcher::BankKind> KindFromProto(v1::BankKind kind) {
  switch (kind) {
    case v1::BANK_KIND_UNSPECIFIED:
    case v1::BANK_KIND_MATCH: return matcher::BankKind::kMatch;
    case v1::BANK_KIND_ALLOW: return matcher::BankKind::kAllow;
    default: return absl::InvalidArgumentError("kind must be BANK_KIND_MATCH or BANK_KIND_ALLOW");
  }
}

class BankServiceImpl final : public v1::BankService::Service {
 public:
  explicit BankServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status CreateBank(grpc::ServerContext* context, const v1::CreateBankRequest* request,
                          v1::Bank* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    auto kind = KindFromProto(request->kind());
    if (!kind.ok()) return ToGrpc(kind.status());
    const matcher::BankPolicy policy =
        request->has_policy() ? FromProto(request->policy()) : matcher::BankPolicy();
    auto bank = banks().CreateBank(request->name(), *kind, policy);
    if (!bank.ok()) return ToGrpc(bank.status());
    HW_LOG(kInfo, "bank %s created by %s", bank->name, who.name);
    ToProto(*bank, response);
    return grpc::Status::OK;
  }

  grpc::Status ListBanks(grpc::ServerContext* context, const v1::ListBanksRequest*,
                         v1::ListBanksResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    for (const matcher::Bank& b : banks().ListBanks()) ToProto(b, response->add_banks());
    return grpc::Status::OK;
  }

  grpc::Status GetBank(grpc::ServerContext* context, const v1::GetBankRequest* request,
                       v1::Bank* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    auto bank = banks().GetBank(request->name());
    if (!bank.ok()) return ToGrpc(bank.status());
    ToProto(*bank, response);
    return grpc::Status::OK;
  }

  grpc::Status UpdatePolicy(grpc::ServerContext* context, const v1::UpdatePolicyRequest* request,
                            v1::Bank* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    auto bank = banks().UpdatePolicy(request->name(), FromProto(request->policy()));
    if (!bank.ok()) return ToGrpc(bank.status());
    HW_LOG(kInfo, "bank %s: policy updated by %s", bank->name, who.name);
    ToProto(*bank, response);
    return grpc::Status::OK;
  }

  grpc::Status DeleteBank(grpc::ServerContext* context, const v1::DeleteBankRequest* request,
                          v1::DeleteBankResponse*) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    const ServerConfig& config = deps_.engine->config();
    if (request->name() == config.review.platform_bank ||
        request->name() == config.review.allow_bank) {
      return ToGrpc(absl::FailedPreconditionError(absl::StrCat(
          "bank ", request->name(), " receives moderators' decisions; change the "
          "server's review configuration before deleting it")));
    }
    absl::Status s = banks().DeleteBank(request->name());
    if (s.ok()) HW_LOG(kInfo, "bank %s deleted by %s", request->name(), who.name);
    return ToGrpc(s);
  }

  // Streams into a BankImport: the entries are staged on disk as they
  // arrive, so a list of any size costs the server bounded memory; nothing
  // is visible until the client's last message, and nothing at all if it
  // cancels.
  grpc::Status AddEntries(grpc::ServerContext* context,
                          grpc::ServerReader<v1::AddEntriesRequest>* reader,
                          v1::WriteResult* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    std::string bank;
    std::unique_ptr<matcher::BankImport> import;
    v1::AddEntriesRequest request;
    const size_t limit = deps_.engine->config().limits.max_entries_per_import;
    size_t count = 0;
    while (reader->Read(&request)) {
      if (absl::Status s = SameBank(request.bank(), &bank); !s.ok()) return ToGrpc(s);
      if (import == nullptr) {
        auto started = banks().StartImport(bank);
        if (!started.ok()) return ToGrpc(started.status());
        import = *std::move(started);
      }
      for (const v1::NewEntry& e : request.entries()) {
        if (count >= limit) {
          return ToGrpc(absl::ResourceExhaustedError(
              absl::StrCat("more than limits.max_entries_per_import (", limit,
                           ") entries in one call")));
        }
        auto signal =
            FromProto(e.signal(), absl::StrCat("entries[", count, "].signal"));
        if (!signal.ok()) return ToGrpc(signal.status());
        matcher::NewEntry entry{*signal,     e.value(), e.category(),
                                e.source(),  e.note(),  e.metadata_json(),
                                std::nullopt};
        if (e.has_disabled_until()) {
          auto until = FromProtoChecked(
              e.disabled_until(),
              absl::StrCat("entries[", count, "].disabled_until"));
          if (!until.ok()) return ToGrpc(until.status());
          entry.disabled_until = *until;
        }
        ++count;
        if (absl::Status s = import->Add(entry); !s.ok()) return ToGrpc(s);
      }
    }
    if (context->IsCancelled()) {
      return grpc::Status(grpc::StatusCode::CANCELLED,
                          "cancelled by the client; nothing added");
    }
    if (bank.empty()) return ToGrpc(absl::InvalidArgumentError("bank is required"));
    auto result = import->Commit();
    if (!result.ok()) return ToGrpc(result.status());
    HW_LOG(kInfo, "bank %s: %d entries added, %d updated by %s", bank, result->added,
           result->updated, who.name);
    ToProto(*result, response);
    return grpc::Status::OK;
  }

  grpc::Status RemoveEntries(grpc::ServerContext* context,
                             grpc::ServerReader<v1::RemoveEntriesRequest>* reader,
                             v1::WriteResult* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    std::string bank;
    std::vector<std::pair<matcher::SignalType, std::string>> values;
    v1::RemoveEntriesRequest request;
    const size_t limit = deps_.engine->config().limits.max_entries_per_write;
    while (reader->Read(&request)) {
      if (absl::Status s = SameBank(request.bank(), &bank); !s.ok()) return ToGrpc(s);
      for (const auto& v : request.values()) {
        if (values.size() >= limit) {
          return ToGrpc(absl::ResourceExhaustedError(absl::StrCat(
              "more than limits.max_entries_per_write (", limit, ") values in one call")));
        }
        auto signal = FromProto(v.signal(), absl::StrCat("values[", values.size(), "].signal"));
        if (!signal.ok()) return ToGrpc(signal.status());
        auto canonical = matcher::CanonicalHashValue(*signal, v.value());
        if (!canonical.ok()) {
          return ToGrpc(absl::InvalidArgumentError(absl::StrCat(
              "values[", values.size(), "].value: ", canonical.status().message())));
        }
        values.emplace_back(*signal, *canonical);
      }
    }
    if (bank.empty()) return ToGrpc(absl::InvalidArgumentError("bank is required"));
    auto result = banks().RemoveEntries(bank, values);
    if (!result.ok()) return ToGrpc(result.status());
    HW_LOG(kInfo, "bank %s: %d entries removed by %s", bank, result->removed, who.name);
    ToProto(*result, response);
    return grpc::Status::OK;
  }

  grpc::Status DisableEntry(grpc::ServerContext* context, const v1::DisableEntryRequest* request,
                            v1::Entry* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    auto signal = FromProto(request->signal(), "signal");
    if (!signal.ok()) return ToGrpc(signal.status());
    absl::Time until = absl::InfinitePast();
    if (request->has_until()) {
      auto t = FromProtoChecked(request->until(), "until");
      if (!t.ok()) return ToGrpc(t.status());
      until = *t;
    }
    auto entry = banks().DisableEntry(request->bank(), *signal, request->value(), until);
    if (!entry.ok()) return ToGrpc(entry.status());
    const std::string what =
        until == absl::InfinitePast() ? "re-enabled"
        : until == absl::InfiniteFuture()
            ? "disabled indefinitely"
            : absl::StrCat("disabled until ",
                           matcher::FormatDisabledUntil(until));
    HW_LOG(kInfo, "bank %s: entry %d %s by %s", request->bank(), entry->id,
           what, who.name);
    ToProto(*entry, response);
    return grpc::Status::OK;
  }

  grpc::Status ImportList(grpc::ServerContext* context, const v1::ImportListRequest* request,
                          v1::ImportListResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    if (request->bank().empty()) return ToGrpc(absl::InvalidArgumentError("bank is required"));
    matcher::ListParseOptions options;
    if (request->signal() != v1::SIGNAL_TYPE_UNSPECIFIED) {
      auto signal = FromProto(request->signal(), "signal");
      if (!signal.ok()) return ToGrpc(signal.status());
      options.signal = *signal;
    }
    options.max_entries = deps_.engine->config().limits.max_entries_per_import;
    options.max_errors_kept = kMaxReportedLineErrors;
    auto import = banks().StartImport(request->bank());
    if (!import.ok()) return ToGrpc(import.status());
    // Parsed line by line into the import: the content is the only copy of
    // the list the server holds.
    matcher::ListParser parser(options);
    matcher::NewEntry entry;
    // A final '\n' ends the last line; no empty line follows it.
    for (absl::string_view line :
         absl::StrSplit(absl::StripSuffix(request->content(), "\n"), '\n')) {
      if (parser.ParseLine(line, &entry)) {
        if (absl::Status s = (*import)->Add(entry); !s.ok()) return ToGrpc(s);
      }
      if (parser.too_many_entries()) {
        return ToGrpc(absl::ResourceExhaustedError(absl::StrCat(
            "the list has more than limits.max_entries_per_import (",
            options.max_entries, ") entries")));
      }
    }
    parser.Finish();
    // A refused format leaves no line to import: skip_invalid does not help.
    if (parser.error_count() > 0 &&
        (!request->skip_invalid() || parser.format_refused())) {
      std::string first;
      for (size_t i = 0; i < parser.errors().size() && i < 5; ++i) {
        absl::StrAppend(&first, i ? "; " : "", "line ", parser.errors()[i].line,
                        ": ", parser.errors()[i].message);
      }
      return ToGrpc(absl::InvalidArgumentError(
          absl::StrCat("content: ", parser.error_count(),
                       " malformed line(s), nothing imported (skip_invalid "
                       "imports the rest): ",
                       first)));
    }
    auto written = (*import)->Commit();
    if (!written.ok()) return ToGrpc(written.status());
    const matcher::WriteResult& result = *written;
    ToProto(result, response->mutable_result());
    response->set_format(std::string(matcher::ListFormatName(parser.format())));
    response->set_error_count(static_cast<int64_t>(parser.error_count()));
    for (const matcher::ListLineError& e : parser.errors()) {
      v1::LineError* le = response->add_errors();
      le->set_line(e.line);
      le->set_message(e.message);
    }
    HW_LOG(kInfo, "bank %s: import by %s: %d added, %d skipped lines",
           request->bank(), who.name, result.added, parser.error_count());
    return grpc::Status::OK;
  }

  grpc::Status ExportBank(grpc::ServerContext* context, const v1::ExportBankRequest* request,
                          grpc::ServerWriter<v1::Entry>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    v1::Entry out;
    return ToGrpc(banks().ForEachEntry(request->name(), [&](const matcher::BankEntry& e) {
      out.Clear();
      ToProto(e, &out);
      if (context->IsCancelled() || !writer->Write(out)) {
        return absl::CancelledError("export cancelled by the client");
      }
      return absl::OkStatus();
    }));
  }

  grpc::Status GetStats(grpc::ServerContext* context, const v1::GetStatsRequest* request,
                        v1::BankStats* response) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    auto stats = banks().Stats(request->name());
    if (!stats.ok()) return ToGrpc(stats.status());
    ToProto(*stats, response);
    return grpc::Status::OK;
  }

 private:
  matcher::BankStore& banks() { return deps_.engine->banks(); }
  static absl::Status SameBank(const std::string& name, std::string* bank) {
    if (name.empty()) return absl::InvalidArgumentError("bank is required in every message");
    if (bank->empty()) *bank = name;
    if (*bank != name) {
      return absl::InvalidArgumentError(
          absl::StrCat("every message must name the same bank (", *bank, ", then ", name, ")"));
    }
    return absl::OkStatus();
  }
  ServiceDeps deps_;
};

// ---------------------------------------------------------------- review --

class ReviewServiceImpl final : public v1::ReviewService::Service {
 public:
  explicit ReviewServiceImpl(const ServiceDeps& deps) : deps_(deps) {}

  grpc::Status Lease(grpc::ServerContext* context, const v1::LeaseRequest* request,
                     v1::LeaseResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    const bool lead = who.role == Role::kLead || who.role == Role::kAdmin;
    return Answer(deps_.engine->Lease(who.name, *request, lead), response);
  }
  grpc::Status ExtendLease(grpc::ServerContext* context, const v1::ExtendLeaseRequest* request,
                           v1::ExtendLeaseResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->ExtendLease(who.name, *request), response);
  }
  grpc::Status Release(grpc::ServerContext* context, const v1::ReleaseRequest* request,
                       v1::ReleaseResponse*) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return ToGrpc(deps_.engine->Release(who.name, *request));
  }
  grpc::Status Decide(grpc::ServerContext* context, const v1::DecideRequest* request,
                      v1::DecideResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReview);
    return Answer(deps_.engine->Decide(who.name, *request), response);
  }
  grpc::Status GetItem(grpc::ServerContext* context, const v1::GetItemRequest* request,
                       v1::ReviewItem* response) override {
    HW_GRPC_REQUIRE(Permission::kReview);
    return Answer(deps_.engine->GetItem(*request), response);
  }
  grpc::Status Stats(grpc::ServerContext* context, const v1::QueueStatsRequest*,
                     v1::QueueStats* response) override {
    HW_GRPC_REQUIRE(Permission::kQueueStats);
    return Answer(deps_.engine->Stats(), response);
  }
  grpc::Status Reveal(grpc::ServerContext* context, const v1::RevealRequest* request,
                      v1::RevealResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReveal);
    return Answer(deps_.engine->Reveal(who.name, *request), response);
  }
  grpc::Status EnqueueCase(grpc::ServerContext* context, const v1::EnqueueCaseRequest* request,
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

  grpc::Status Get(grpc::ServerContext* context, const v1::GetReportRequest* request,
                   v1::Report* response) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    if (request->id().empty()) return ToGrpc(absl::InvalidArgumentError("id is required"));
    auto report = reports().Get(request->id());
    if (!report.ok()) return ToGrpc(report.status());
    ToProto(*report, response);
    return grpc::Status::OK;
  }

  grpc::Status List(grpc::ServerContext* context, const v1::ListReportsRequest* request,
                    v1::ListReportsResponse* response) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    auto filter = FromProto(*request, deps_.engine->config().limits.max_list_reports);
    if (!filter.ok()) return ToGrpc(filter.status());
    auto list = reports().List(*filter);
    if (!list.ok()) return ToGrpc(list.status());
    for (const report::Report& r : *list) ToProto(r, response->add_reports());
    return grpc::Status::OK;
  }

  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchReportsRequest* request,
                     grpc::ServerWriter<v1::Report>* writer) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReadReports);
    HW_LOG(kInfo, "report watch by %s from sequence %d", who.name, request->after_sequence());
    if (request->after_sequence() > reports().LastSequence()) {
      return ToGrpc(absl::OutOfRangeError(absl::StrCat(
          "after_sequence ", request->after_sequence(),
          " is beyond the last report's sequence ", reports().LastSequence(),
          "; resume from a sequence this server gave")));
    }
    report::ReportFilter filter;
    filter.after_sequence = request->after_sequence();
    filter.limit = 500;
    v1::Report out;
    while (!context->IsCancelled()) {
      if (deps_.shutting_down->load()) {
        return ToGrpc(absl::UnavailableError("server is shutting down; resume from the last sequence"));
      }
      // A token revoked (or a role changed) while the stream is open ends
      // it within one wait below (250 ms), not at the client's leisure.
      if (auto still = Authorized(context, deps_, Permission::kReadReports); !still.ok()) {
        HW_LOG(kInfo, "report watch by %s ended: %s", who.name, still.status().message());
        return ToGrpc(still.status());
      }
      auto batch = reports().List(filter);
      if (!batch.ok()) return ToGrpc(batch.status());
      for (const report::Report& r : *batch) {
        out.Clear();
        ToProto(r, &out);
        if (!writer->Write(out)) return grpc::Status::CANCELLED;
        filter.after_sequence = r.sequence;
      }
      if (batch->size() < filter.limit) {
        // Wakes as soon as a report is filed; the timeout only bounds how
        // long a cancelled call or a shutdown goes unnoticed.
        reports().WaitForReports(filter.after_sequence, absl::Now() + absl::Milliseconds(250));
      }
    }
    return grpc::Status::CANCELLED;
  }

  grpc::Status Export(grpc::ServerContext* context, const v1::ListReportsRequest* request,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    // Pages through the whole filter; `limit` (0 = no limit here) caps it.
    v1::ListReportsRequest page = *request;
    page.set_limit(0);
    auto filter = FromProto(page, deps_.engine->config().limits.max_list_reports);
    if (!filter.ok()) return ToGrpc(filter.status());
    if (request->limit() < 0) return ToGrpc(absl::InvalidArgumentError("limit must be >= 0"));
    size_t remaining = request->limit() == 0 ? SIZE_MAX : request->limit();
    v1::ExportChunk chunk;
    while (remaining > 0 && !context->IsCancelled()) {
      filter->limit = std::min<size_t>(1000, remaining);
      auto batch = reports().List(*filter);
      if (!batch.ok()) return ToGrpc(batch.status());
      for (const report::Report& r : *batch) {
        chunk.set_json_line(report::ReportStore::ToJson(r));
        if (!writer->Write(chunk)) return grpc::Status::CANCELLED;
        filter->after_sequence = r.sequence;
      }
      remaining -= batch->size();
      if (batch->size() < filter->limit) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status MarkSubmitted(grpc::ServerContext* context, const v1::MarkSubmittedRequest* request,
                             v1::Report* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteReports);
    if (request->id().empty()) return ToGrpc(absl::InvalidArgumentError("id is required"));
    if (request->submission_ref().empty()) {
      return ToGrpc(absl::InvalidArgumentError("submission_ref is required"));
    }
    auto report = reports().MarkSubmitted(request->id(), request->submission_ref());
    if (!report.ok()) return ToGrpc(report.status());
    HW_LOG(kInfo, "report %s marked submitted by %s", report->id, who.name);
    ToProto(*report, response);
    return grpc::Status::OK;
  }

 private:
  report::ReportStore& reports() { return deps_.engine->reports(); }
  ServiceDeps deps_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeServices(const ServiceDeps& deps) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<ScanServiceImpl>(deps));
  services.push_back(std::make_unique<BankServiceImpl>(deps));
  services.push_back(std::make_unique<ReviewServiceImpl>(deps));
  services.push_back(std::make_unique<ReportServiceImpl>(deps));
  return services;
}

}  // namespace hashwatch::review_api
