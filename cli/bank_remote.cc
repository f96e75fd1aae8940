#include "cli/bank_remote.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/bank_common.h"
#include "cli/client.h"
#include "cli/common_flags.h"
#include "cli/proto_convert.h"
#include "common/read_input.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "matcher/decode.h"

namespace hashwatch::cli {
namespace {

using matcher::SignalType;
using v1::BankService;

// Approximate bytes per AddEntries / RemoveEntries message.
constexpr size_t kChunkBytes = 1 << 20;
// Picture bytes and pictures per AddImages request: well within the
// server's default limits.max_message_bytes (64 MiB).
constexpr size_t kImageBatchBytes = 32 << 20;
constexpr int kImageBatchCount = 100;

// Streams requests of about kChunkBytes, each naming `bank` (at least one
// request, so the server learns the bank of an empty list).
template <typename Request>
class ChunkedWriter {
 public:
  ChunkedWriter(grpc::ClientWriter<Request>* writer, std::string bank)
      : writer_(writer), bank_(std::move(bank)) {
    req_.set_bank(bank_);
  }
  // `add(request)` appends one item and returns its approximate size.
  // False once the call has ended (Finish says why).
  template <typename AddFn>
  bool Add(AddFn add) {
    bytes_ += add(req_);
    ++in_request_;
    if (bytes_ >= kChunkBytes) {
      open_ = writer_->Write(req_);
      sent_ = true;
      req_.Clear();
      req_.set_bank(bank_);
      bytes_ = in_request_ = 0;
    }
    return open_;
  }
  grpc::Status Finish() {
    if (open_ && (in_request_ > 0 || !sent_)) writer_->Write(req_);
    open_ = false;
    writer_->WritesDone();
    return writer_->Finish();
  }

 private:
  grpc::ClientWriter<Request>* writer_;
  std::string bank_;
  Request req_;
  size_t bytes_ = 0, in_request_ = 0;
  bool open_ = true, sent_ = false;
};

class RemoteBank {
 public:
  RemoteBank(const BankCommandOptions& o, const Connection& conn,
             std::ostream& out, std::ostream& err)
      : o_(o),
        conn_(conn),
        stub_(BankService::NewStub(conn.channel())),
        out_(out),
        err_(err) {
    what_ = absl::StrCat("bank ", o.action, o.name.empty() ? "" : " ", o.name);
  }

  int Run() {
    const std::string& a = o_.action;
    if (a == "create") return Create();
    if (a == "list") return List();
    if (a == "stats") return Stats();
    if (a == "import") return Import();
    if (a == "export") return Export();
    if (a == "add-images") return AddImages();
    if (a == "remove") return Remove();
    if (a == "disable") return Disable();
    if (a == "delete") return Delete();
    return Fail(err_, absl::InternalError("no bank subcommand ran"));
  }

 private:
  int RpcError(const grpc::Status& s) { return conn_.FailCall(err_, what_, s); }

  int Create() {
    absl::StatusOr<matcher::BankKind> kind = matcher::ParseBankKind(o_.kind);
    if (!kind.ok()) return Fail(err_, kind.status());
    v1::CreateBankRequest req;
    req.set_name(o_.name);
    req.set_kind(*kind == matcher::BankKind::kAllow ? v1::BANK_KIND_ALLOW
                                                    : v1::BANK_KIND_MATCH);
    *req.mutable_policy() = ToProto(CreatePolicy(o_));
    v1::Bank bank;
    grpc::Status s = stub_->CreateBank(conn_.NewContext().get(), req, &bank);
    if (!s.ok()) return RpcError(s);
    PrintBankCreated(FromProto(bank), o_.json, out_);
    return 0;
  }

  int List() {
    v1::ListBanksResponse resp;
    grpc::Status s = stub_->ListBanks(conn_.NewContext().get(),
                                      v1::ListBanksRequest(), &resp);
    if (!s.ok()) return RpcError(s);
    PrintBankListHeader(o_.json, out_);
    for (const v1::Bank& b : resp.banks()) {
      v1::GetStatsRequest req;
      req.set_name(b.name());
      v1::BankStats stats;
      const bool ok =
          stub_->GetStats(conn_.NewContext().get(), req, &stats).ok();
      PrintBankListRow(FromProto(b), ok ? stats.entries() : -1, o_.json, out_);
    }
    return 0;
  }

  int Stats() {
    v1::GetStatsRequest req;
    req.set_name(o_.name);
    v1::BankStats stats;
    grpc::Status s = stub_->GetStats(conn_.NewContext().get(), req, &stats);
    if (!s.ok()) return RpcError(s);
    PrintBankStats(FromProto(stats), o_.json, out_);
    return 0;
  }

  // NOT_FOUND (printed) before a list file is read for an unknown bank, as
  // the direct path does.
  int CheckBankExists() {
    v1::GetBankRequest req;
    req.set_name(o_.name);
    v1::Bank bank;
    grpc::Status s = stub_->GetBank(conn_.NewContext().get(), req, &bank);
    return s.ok() ? 0 : RpcError(s);
  }

  // A deadline that grows with the list file (none for standard input).
  std::unique_ptr<grpc::ClientContext> ListContext() const {
    std::error_code ec;
    const uintmax_t size =
        o_.file == "-" ? 0 : std::filesystem::file_size(o_.file, ec);
    if (o_.file == "-" || ec) return conn_.NewContext(/*deadline=*/false);
    return conn_.NewContext(true, 1 + static_cast<int>(size >> 24));
  }

  // Streams the list through `chunks` as it is read; Finish's status, or
  // the exit code when the list must not be used (the call is cancelled,
  // so the server writes nothing).
  template <typename Request, typename Add>
  int StreamToServer(grpc::ClientContext& ctx, ChunkedWriter<Request>& chunks,
                     Add add, std::optional<StreamedList>* list,
                     grpc::Status* status) {
    int exit_code = 0;
    bool ended = false;
    *list = StreamList(
        o_, matcher::ListParseOptions().max_entries, err_, &exit_code,
        [&](const matcher::NewEntry& e) {
          if (chunks.Add([&](Request& req) { return add(req, e); })) {
            return absl::OkStatus();
          }
          ended = true;
          const grpc::Status s = chunks.Finish();
          return absl::Status(
              static_cast<absl::StatusCode>(s.error_code()),
              absl::StrCat(what_, ": ", StatusCodeName(s.error_code()), ": ",
                           s.error_message()));
        });
    if (!list->has_value()) {
      if (!ended) {
        ctx.TryCancel();
        chunks.Finish();
      }
      return exit_code;
    }
    *status = chunks.Finish();
    return 0;
  }

  // The list as one AddEntries stream, parsed here as it is read (constant
  // memory at both ends: the server stages what it receives on disk).
  int Import() {
    if (int rc = CheckBankExists(); rc != 0) return rc;
    std::unique_ptr<grpc::ClientContext> ctx = ListContext();
    v1::WriteResult result;
    std::unique_ptr<grpc::ClientWriter<v1::AddEntriesRequest>> writer =
        stub_->AddEntries(ctx.get(), &result);
    ChunkedWriter<v1::AddEntriesRequest> chunks(writer.get(), o_.name);
    std::optional<StreamedList> list;
    grpc::Status s;
    const int rc = StreamToServer(
        *ctx, chunks,
        [](v1::AddEntriesRequest& req, const matcher::NewEntry& e) {
          v1::NewEntry* n = req.add_entries();
          n->set_signal(ToProto(e.signal));
          n->set_value(e.value);
          n->set_category(e.category);
          n->set_source(e.source);
          n->set_note(e.note);
          n->set_metadata_json(e.metadata_json);
          if (e.disabled_until.has_value()) {
            ToProto(*e.disabled_until, n->mutable_disabled_until());
          }
          return 24 + e.value.size() + e.category.size() + e.source.size() +
                 e.note.size() + e.metadata_json.size();
        },
        &list, &s);
    if (!list) return rc;
    if (!s.ok()) return RpcError(s);
    PrintImported(o_.file, o_.name,
                  std::string(matcher::ListFormatName(list->format)),
                  FromProto(result), list->bad_lines, o_.json, out_);
    return 0;
  }

  // The files in requests of at most kImageBatchBytes (a larger picture
  // goes alone; the server's limits judge it), in file order.
  int AddImages() {
    if (int rc = CheckBankExists(); rc != 0) return rc;
    std::vector<AddedImage> results;
    v1::AddImagesRequest req;
    size_t bytes = 0;
    std::vector<size_t> sent;  // results index of each image in `req`
    auto flush = [&]() -> int {
      if (req.images().empty()) return 0;
      req.set_bank(o_.name);
      req.set_category(o_.category);
      req.set_source(o_.source);
      req.set_note(o_.note);
      v1::AddImagesResponse resp;
      grpc::Status s = stub_->AddImages(conn_.NewContext().get(), req, &resp);
      if (!s.ok()) return RpcError(s);
      for (int i = 0;
           i < resp.results_size() && i < static_cast<int>(sent.size()); ++i) {
        const v1::AddImagesResponse::Result& r = resp.results(i);
        AddedImage& out = results[sent[i]];
        out.error = r.error();
        out.added = r.added();
        out.hashes.sha256 = r.sha256();
        out.hashes.pdq = r.pdq();
        out.hashes.pdq_quality = r.pdq_quality();
        out.no_signature = r.no_signature();
      }
      req.Clear();
      sent.clear();
      bytes = 0;
      return 0;
    };
    for (const std::string& file : o_.files) {
      AddedImage& r = results.emplace_back();
      r.file = file;
      absl::StatusOr<std::string> content =
          ReadInput(file, matcher::DecodeOptions().max_bytes);
      if (!content.ok()) {
        r.error = std::string(content.status().message());
        continue;
      }
      if (bytes + content->size() > kImageBatchBytes ||
          req.images_size() >= kImageBatchCount) {
        if (int rc = flush(); rc != 0) return rc;
      }
      bytes += content->size();
      v1::AddImagesRequest::Image* image = req.add_images();
      image->set_name(file);
      *image->mutable_content() = *std::move(content);
      sent.push_back(results.size() - 1);
    }
    if (int rc = flush(); rc != 0) return rc;
    return PrintAddedImages(o_.name, results, o_.json, out_, err_);
  }

  int Remove() {
    if (int rc = CheckBankExists(); rc != 0) return rc;
    std::unique_ptr<grpc::ClientContext> ctx = ListContext();
    v1::WriteResult result;
    std::unique_ptr<grpc::ClientWriter<v1::RemoveEntriesRequest>> writer =
        stub_->RemoveEntries(ctx.get(), &result);
    ChunkedWriter<v1::RemoveEntriesRequest> chunks(writer.get(), o_.name);
    std::optional<StreamedList> list;
    grpc::Status s;
    const int rc = StreamToServer(
        *ctx, chunks,
        [](v1::RemoveEntriesRequest& req, const matcher::NewEntry& e) {
          v1::RemoveEntriesRequest::Value* v = req.add_values();
          v->set_signal(ToProto(e.signal));
          v->set_value(e.value);
          return 8 + e.value.size();
        },
        &list, &s);
    if (!list) return rc;
    if (!s.ok()) return RpcError(s);
    PrintRemoved(o_.file, o_.name,
                 std::string(matcher::ListFormatName(list->format)),
                 FromProto(result), list->bad_lines, o_.json, out_);
    return 0;
  }

  int Export() {
    std::unique_ptr<grpc::ClientContext> ctx =
        conn_.NewContext(/*deadline=*/false);
    v1::ExportBankRequest req;
    req.set_name(o_.name);
    std::unique_ptr<grpc::ClientReader<v1::Entry>> reader =
        stub_->ExportBank(ctx.get(), req);
    PrintExportHeader(o_.json, out_);
    v1::Entry entry;
    while (reader->Read(&entry)) {
      PrintExportEntry(FromProto(entry), o_.json, out_);
      if (!out_.good()) {
        ctx->TryCancel();
        break;
      }
    }
    grpc::Status s = reader->Finish();
    if (!out_.good())
      return Fail(err_, absl::UnavailableError("cannot write output"));
    if (!s.ok()) return RpcError(s);
    return 0;
  }

  int Disable() {
    absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o_.signal);
    if (!signal.ok()) return Fail(err_, signal.status());
    absl::StatusOr<absl::Time> until = DisableUntil(o_.until);
    if (!until.ok()) return Fail(err_, until.status());
    const std::vector<SignalType> candidates =
        DisableCandidates(*signal, o_.hash);
    if (candidates.empty()) {
      return Fail(err_,
                  absl::InvalidArgumentError(absl::StrFormat(
                      "hash has %d characters; want 32, 40 or 64 hex digits",
                      o_.hash.size())));
    }
    grpc::Status last;
    for (SignalType type : candidates) {
      v1::DisableEntryRequest req;
      req.set_bank(o_.name);
      req.set_signal(ToProto(type));
      req.set_value(o_.hash);
      ToProto(*until, req.mutable_until());
      v1::Entry entry;
      last = stub_->DisableEntry(conn_.NewContext().get(), req, &entry);
      if (last.ok()) {
        PrintDisabled(FromProto(entry), o_.json, out_);
        return 0;
      }
      if (last.error_code() != grpc::StatusCode::NOT_FOUND) break;
    }
    return RpcError(last);
  }

  int Delete() {
    v1::DeleteBankRequest req;
    req.set_name(o_.name);
    v1::DeleteBankResponse resp;
    grpc::Status s = stub_->DeleteBank(conn_.NewContext().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    PrintDeleted(o_.name, o_.json, out_);
    return 0;
  }

  const BankCommandOptions& o_;
  const Connection& conn_;
  std::unique_ptr<BankService::Stub> stub_;
  std::ostream& out_;
  std::ostream& err_;
  std::string what_;
};

}  // namespace

int RunRemoteBankCommand(const BankCommandOptions& o, std::ostream& out,
                         std::ostream& err) {
  std::unique_ptr<Connection> conn;
  if (int rc = Connect(o.client, err, &conn); rc != 0) return rc;
  return RemoteBank(o, *conn, out, err).Run();
}

}  // namespace hashwatch::cli
