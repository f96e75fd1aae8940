#include "review_api/services.h"

#include <utility>

#include "common/log.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "review_api/service_util.h"

namespace hashwatch::review_api {
namespace {

using service_internal::Answer;
using service_internal::Written;

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
    auto open = deps_.streams->Register(context, Permission::kWriteBanks);
    auto result = deps_.engine->AddEntries(
        who.name,
        [&](v1::AddEntriesRequest* m) { return open->ok() && reader->Read(m); },
        [&] { return context->IsCancelled() || !open->ok(); });
    if (!open->ok()) return ToGrpc(open->status());
    return Answer(std::move(result), response);
  }

  grpc::Status RemoveEntries(
      grpc::ServerContext* context,
      grpc::ServerReader<v1::RemoveEntriesRequest>* reader,
      v1::WriteResult* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    auto open = deps_.streams->Register(context, Permission::kWriteBanks);
    auto result = deps_.engine->RemoveEntries(
        who.name,
        [&](v1::RemoveEntriesRequest* m) {
          return open->ok() && reader->Read(m);
        },
        [&] { return context->IsCancelled() || !open->ok(); });
    if (!open->ok()) return ToGrpc(open->status());
    return Answer(std::move(result), response);
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

  grpc::Status AddImages(grpc::ServerContext* context,
                         const v1::AddImagesRequest* request,
                         v1::AddImagesResponse* response) override {
    HW_GRPC_AUTHORIZE(who, Permission::kWriteBanks);
    return Answer(deps_.engine->AddImages(who.name, *request), response);
  }

  grpc::Status ExportBank(grpc::ServerContext* context,
                          const v1::ExportBankRequest* request,
                          grpc::ServerWriter<v1::Entry>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadBanks);
    auto open = deps_.streams->Register(context, Permission::kReadBanks);
    return ToGrpc(deps_.engine->ExportBank(*request, [&](const v1::Entry& e) {
      return Written(context, writer, *open, e,
                     "export cancelled by the client");
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
  // token is revoked (re-checked every token_recheck_seconds; nothing more
  // is delivered once it fails).
  grpc::Status Watch(grpc::ServerContext* context,
                     const v1::WatchReportsRequest* request,
                     grpc::ServerWriter<v1::Report>* writer) override {
    HW_GRPC_AUTHORIZE(who, Permission::kReadReports);
    HW_LOG(kInfo, "report watch by %s from sequence %d", who.name,
           request->after_sequence());
    auto open = deps_.streams->Register(context, Permission::kReadReports);
    auto keep_going = [&]() -> absl::Status {
      if (context->IsCancelled())
        return absl::CancelledError("watch cancelled by the client");
      if (deps_.shutting_down->load()) {
        return absl::UnavailableError(
            "server is shutting down; resume from the last sequence");
      }
      absl::Status still = open->status();
      if (!still.ok()) {
        HW_LOG(kInfo, "report watch by %s ended: %s", who.name,
               still.message());
      }
      return still;
    };
    return ToGrpc(deps_.engine->WatchReports(
        *request,
        [&](const v1::Report& r) {
          return Written(context, writer, *open, r,
                         "watch cancelled by the client");
        },
        keep_going));
  }

  grpc::Status Export(grpc::ServerContext* context,
                      const v1::ListReportsRequest* request,
                      grpc::ServerWriter<v1::ExportChunk>* writer) override {
    HW_GRPC_REQUIRE(Permission::kReadReports);
    auto open = deps_.streams->Register(context, Permission::kReadReports);
    return ToGrpc(deps_.engine->ExportReports(
        *request, [&](const v1::ExportChunk& chunk) {
          return Written(context, writer, *open, chunk,
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
  services.push_back(MakeScanService(deps));
  services.push_back(std::make_unique<BankServiceImpl>(deps));
  services.push_back(std::make_unique<ReviewServiceImpl>(deps));
  services.push_back(std::make_unique<ReportServiceImpl>(deps));
  return services;
}

}  // namespace hashwatch::review_api
