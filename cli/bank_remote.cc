#include "cli/bank_remote.h"

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
#include "hashwatch/v1/bank.grpc.pb.h"

namespace hashwatch::cli {
namespace {

using matcher::SignalType;
using v1::BankService;

// Lists up to this size go in one ImportList message; larger ones are
// parsed here and streamed with AddEntries in chunks, because the server
// refuses messages over its limits.max_message_bytes (64 MiB by default).
constexpr size_t kMaxImportListBytes = 16 << 20;
// Approximate bytes per AddEntries / RemoveEntries message.
constexpr size_t kChunkBytes = 1 << 20;

// Streams `entries` as requests of about kChunkBytes, each naming `bank`
// (at least one request, so the server learns the bank of an empty list),
// and returns the call's status. `add(request, entry)` appends one entry
// and returns its approximate size.
template <typename Request, typename Add>
grpc::Status WriteChunked(grpc::ClientWriter<Request>& writer, const std::string& bank,
                          const std::vector<matcher::NewEntry>& entries, Add add) {
  Request req;
  req.set_bank(bank);
  size_t bytes = 0, in_request = 0;
  bool open = true;
  for (const matcher::NewEntry& e : entries) {
    bytes += add(req, e);
    ++in_request;
    if (bytes >= kChunkBytes) {
      open = writer.Write(req);
      req.Clear();
      req.set_bank(bank);
      bytes = in_request = 0;
      if (!open) break;  // the call ended; Finish says why
    }
  }
  if (open && (in_request > 0 || entries.empty())) writer.Write(req);
  writer.WritesDone();
  return writer.Finish();
}

class RemoteBank {
 public:
  RemoteBank(const BankCommandOptions& o, const Connection& conn, std::ostream& out,
             std::ostream& err)
      : o_(o), conn_(conn), stub_(BankService::NewStub(conn.channel())), out_(out), err_(err) {
    what_ = absl::StrCat("bank ", o.action, o.name.empty() ? "" : " ", o.name);
  }

  int Run() {
    const std::string& a = o_.action;
    if (a == "create") return Create();
    if (a == "list") return List();
    if (a == "stats") return Stats();
    if (a == "import") return Import();
    if (a == "export") return Export();
    if (a == "remove") return Remove();
    if (a == "disable") return Disable();
    if (a == "delete") return Delete();
    return Fail(err_, absl::InternalError("no bank subcommand ran"));
  }

 private:
  int RpcError(const grpc::Status& s) { return RpcFail(err_, what_, s); }

  int Create() {
    absl::StatusOr<matcher::BankKind> kind = matcher::ParseBankKind(o_.kind);
    if (!kind.ok()) return Fail(err_, kind.status());
    v1::CreateBankRequest req;
    req.set_name(o_.name);
    req.set_kind(*kind == matcher::BankKind::kAllow ? v1::BANK_KIND_ALLOW : v1::BANK_KIND_MATCH);
    *req.mutable_policy() = ToProto(CreatePolicy(o_));
    v1::Bank bank;
    grpc::Status s = stub_->CreateBank(conn_.NewContext().get(), req, &bank);
    if (!s.ok()) return RpcError(s);
    PrintBankCreated(FromProto(bank), o_.json, out_);
    return 0;
  }

  int List() {
    v1::ListBanksResponse resp;
    grpc::Status s = stub_->ListBanks(conn_.NewContext().get(), v1::ListBanksRequest(), &resp);
    if (!s.ok()) return RpcError(s);
    PrintBankListHeader(o_.json, out_);
    for (const v1::Bank& b : resp.banks()) {
      v1::GetStatsRequest req;
      req.set_name(b.name());
      v1::BankStats stats;
      const bool ok = stub_->GetStats(conn_.NewContext().get(), req, &stats).ok();
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

  int Import() {
    if (int rc = CheckBankExists(); rc != 0) return rc;
    int exit_code = 0;
    std::optional<LoadedList> list = LoadList(o_, err_, &exit_code);
    if (!list) return exit_code;
    if (list->content.size() > kMaxImportListBytes) return ImportByEntries(*list);
    v1::ImportListRequest req;
    req.set_bank(o_.name);
    req.set_content(std::move(list->content));
    if (absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o_.signal);
        signal.ok() && signal->has_value()) {
      req.set_signal(ToProto(**signal));
    }
    req.set_skip_invalid(o_.skip_invalid);
    v1::ImportListResponse resp;
    grpc::Status s = stub_->ImportList(conn_.NewContext().get(), req, &resp);
    if (!s.ok()) return RpcError(s);
    // The bad lines were printed by LoadList from the same parser.
    PrintImported(o_.file, o_.name, resp.format(), FromProto(resp.result()),
                  static_cast<size_t>(resp.errors_size()), out_);
    return 0;
  }

  // A list too large for one message: the parsed entries in chunks of one
  // AddEntries stream, which the server writes as one batch.
  int ImportByEntries(const LoadedList& list) {
    std::unique_ptr<grpc::ClientContext> ctx =
        conn_.NewContext(true, 1 + static_cast<int>(list.content.size() >> 24));
    v1::WriteResult result;
    std::unique_ptr<grpc::ClientWriter<v1::AddEntriesRequest>> writer =
        stub_->AddEntries(ctx.get(), &result);
    grpc::Status s = WriteChunked(
        *writer, o_.name, list.parsed.entries,
        [](v1::AddEntriesRequest& req, const matcher::NewEntry& e) {
          v1::NewEntry* n = req.add_entries();
          n->set_signal(ToProto(e.signal));
          n->set_value(e.value);
          n->set_category(e.category);
          n->set_source(e.source);
          n->set_note(e.note);
          n->set_metadata_json(e.metadata_json);
          return 16 + e.value.size() + e.category.size() + e.source.size() + e.note.size() +
                 e.metadata_json.size();
        });
    if (!s.ok()) return RpcError(s);
    PrintImported(o_.file, o_.name, std::string(matcher::ListFormatName(list.parsed.format)),
                  FromProto(result), list.parsed.errors.size(), out_);
    return 0;
  }

  int Remove() {
    if (int rc = CheckBankExists(); rc != 0) return rc;
    int exit_code = 0;
    std::optional<LoadedList> list = LoadList(o_, err_, &exit_code);
    if (!list) return exit_code;
    std::unique_ptr<grpc::ClientContext> ctx =
        conn_.NewContext(true, 1 + static_cast<int>(list->content.size() >> 24));
    v1::WriteResult result;
    std::unique_ptr<grpc::ClientWriter<v1::RemoveEntriesRequest>> writer =
        stub_->RemoveEntries(ctx.get(), &result);
    grpc::Status s = WriteChunked(*writer, o_.name, list->parsed.entries,
                                  [](v1::RemoveEntriesRequest& req, const matcher::NewEntry& e) {
                                    v1::RemoveEntriesRequest::Value* v = req.add_values();
                                    v->set_signal(ToProto(e.signal));
                                    v->set_value(e.value);
                                    return 8 + e.value.size();
                                  });
    if (!s.ok()) return RpcError(s);
    PrintRemoved(o_.name, FromProto(result), out_);
    return 0;
  }

  int Export() {
    std::unique_ptr<grpc::ClientContext> ctx = conn_.NewContext(/*deadline=*/false);
    v1::ExportBankRequest req;
    req.set_name(o_.name);
    std::unique_ptr<grpc::ClientReader<v1::Entry>> reader = stub_->ExportBank(ctx.get(), req);
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
    if (!out_.good()) return Fail(err_, absl::UnavailableError("cannot write output"));
    if (!s.ok()) return RpcError(s);
    return 0;
  }

  int Disable() {
    absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o_.signal);
    if (!signal.ok()) return Fail(err_, signal.status());
    absl::StatusOr<absl::Time> until = DisableUntil(o_.until);
    if (!until.ok()) return Fail(err_, until.status());
    const std::vector<SignalType> candidates = DisableCandidates(*signal, o_.hash);
    if (candidates.empty()) {
      return Fail(err_, absl::InvalidArgumentError(absl::StrFormat(
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
        PrintDisabled(o_.name, type, entry.value(), *until, out_);
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
    PrintDeleted(o_.name, out_);
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

int RunRemoteBankCommand(const BankCommandOptions& o, std::ostream& out, std::ostream& err) {
  std::unique_ptr<Connection> conn;
  if (int rc = Connect(o.client, err, &conn); rc != 0) return rc;
  return RemoteBank(o, *conn, out, err).Run();
}

}  // namespace hashwatch::cli
