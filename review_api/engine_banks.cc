// Engine: the banks (BankService).
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crash_point.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "matcher/list_import.h"
#include "matcher/own_pictures.h"
#include "review_api/convert.h"
#include "review_api/engine.h"

namespace hashwatch::review_api {
namespace {

template <typename T, typename Proto>
absl::StatusOr<Proto> Converted(absl::StatusOr<T> value) {
  if (!value.ok()) return value.status();
  Proto out;
  ToProto(*value, &out);
  return out;
}

}  // namespace

absl::StatusOr<v1::Bank> Engine::CreateBank(
    absl::string_view who, const v1::CreateBankRequest& request) {
  HW_ASSIGN_OR_RETURN(const matcher::BankKind kind,
                      validator_.BankKind(request.kind()));
  const matcher::BankPolicy policy = request.has_policy()
                                         ? FromProto(request.policy())
                                         : matcher::BankPolicy();
  HW_ASSIGN_OR_RETURN(const matcher::Bank bank,
                      banks_->CreateBank(request.name(), kind, policy));
  HW_LOG(kInfo, "bank %s created by %s", bank.name, who);
  return Converted<matcher::Bank, v1::Bank>(bank);
}

v1::ListBanksResponse Engine::ListBanks() const {
  v1::ListBanksResponse response;
  for (const matcher::Bank& b : banks_->ListBanks())
    ToProto(b, response.add_banks());
  return response;
}

absl::StatusOr<v1::Bank> Engine::GetBank(
    const v1::GetBankRequest& request) const {
  return Converted<matcher::Bank, v1::Bank>(banks_->GetBank(request.name()));
}

absl::StatusOr<v1::Bank> Engine::UpdatePolicy(
    absl::string_view who, const v1::UpdatePolicyRequest& request) {
  HW_ASSIGN_OR_RETURN(
      const matcher::Bank bank,
      banks_->UpdatePolicy(request.name(), FromProto(request.policy())));
  HW_LOG(kInfo, "bank %s: policy updated by %s", bank.name, who);
  return Converted<matcher::Bank, v1::Bank>(bank);
}

absl::Status Engine::DeleteBank(absl::string_view who,
                                const v1::DeleteBankRequest& request) {
  if (request.name() == config_.review.platform_bank ||
      request.name() == config_.review.allow_bank) {
    return absl::FailedPreconditionError(
        absl::StrCat("bank ", request.name(),
                     " receives moderators' decisions; change the "
                     "server's review configuration before deleting it"));
  }
  HW_RETURN_IF_ERROR(banks_->DeleteBank(request.name()));
  HW_LOG(kInfo, "bank %s deleted by %s", request.name(), who);
  return absl::OkStatus();
}

absl::StatusOr<v1::WriteResult> Engine::AddEntries(
    absl::string_view who, StreamReader<v1::AddEntriesRequest> next,
    absl::FunctionRef<bool()> cancelled) {
  std::string bank;
  std::unique_ptr<matcher::BankImport> import;
  v1::AddEntriesRequest request;
  size_t count = 0;
  while (next(&request)) {
    HW_RETURN_IF_ERROR(validator_.CheckSameBank(request.bank(), &bank));
    if (import == nullptr) {
      HW_ASSIGN_OR_RETURN(import, banks_->StartImport(bank));
    }
    for (const v1::NewEntry& e : request.entries()) {
      HW_RETURN_IF_ERROR(validator_.CheckImportCount(count + 1));
      HW_ASSIGN_OR_RETURN(const matcher::NewEntry entry,
                          validator_.Entry(e, count));
      ++count;
      HW_RETURN_IF_ERROR(import->Add(entry));
    }
  }
  if (cancelled())
    return absl::CancelledError("cancelled by the client; nothing added");
  if (bank.empty()) return absl::InvalidArgumentError("bank is required");
  HW_ASSIGN_OR_RETURN(const matcher::WriteResult result, import->Commit());
  HW_LOG(kInfo, "bank %s: %d entries added, %d updated by %s", bank,
         result.added, result.updated, who);
  return Converted<matcher::WriteResult, v1::WriteResult>(result);
}

absl::StatusOr<v1::WriteResult> Engine::RemoveEntries(
    absl::string_view who, StreamReader<v1::RemoveEntriesRequest> next,
    absl::FunctionRef<bool()> cancelled) {
  std::string bank;
  std::vector<std::pair<matcher::SignalType, std::string>> values;
  v1::RemoveEntriesRequest request;
  while (next(&request)) {
    HW_RETURN_IF_ERROR(validator_.CheckSameBank(request.bank(), &bank));
    for (const auto& v : request.values()) {
      HW_RETURN_IF_ERROR(validator_.CheckWriteCount(values.size() + 1));
      HW_ASSIGN_OR_RETURN(auto value, validator_.EntryValue(v, values.size()));
      values.push_back(std::move(value));
    }
  }
  if (cancelled())
    return absl::CancelledError("cancelled by the client; nothing removed");
  if (bank.empty()) return absl::InvalidArgumentError("bank is required");
  HW_ASSIGN_OR_RETURN(const matcher::WriteResult result,
                      banks_->RemoveEntries(bank, values));
  HW_LOG(kInfo, "bank %s: %d entries removed by %s", bank, result.removed, who);
  return Converted<matcher::WriteResult, v1::WriteResult>(result);
}

absl::StatusOr<v1::Entry> Engine::DisableEntry(
    absl::string_view who, const v1::DisableEntryRequest& request) {
  HW_ASSIGN_OR_RETURN(const auto signal_until, validator_.Disable(request));
  const auto& [signal, until] = signal_until;
  HW_ASSIGN_OR_RETURN(
      const matcher::BankEntry entry,
      banks_->DisableEntry(request.bank(), signal, request.value(), until));
  const std::string what =
      until == absl::InfinitePast() ? "re-enabled"
      : until == absl::InfiniteFuture()
          ? "disabled indefinitely"
          : absl::StrCat("disabled until ",
                         matcher::FormatDisabledUntil(until));
  HW_LOG(kInfo, "bank %s: entry %d %s by %s", request.bank(), entry.id, what,
         who);
  return Converted<matcher::BankEntry, v1::Entry>(entry);
}

absl::StatusOr<v1::ImportListResponse> Engine::ImportList(
    absl::string_view who, const v1::ImportListRequest& request) {
  HW_ASSIGN_OR_RETURN(matcher::ListParseOptions options,
                      validator_.Import(request));
  // The first limits.max_listed_import_errors malformed lines, then a count.
  options.max_errors_kept =
      static_cast<size_t>(config_.limits.max_listed_import_errors);
  HW_ASSIGN_OR_RETURN(std::unique_ptr<matcher::BankImport> import,
                      banks_->StartImport(request.bank()));
  // Parsed line by line into the import: the content is the only copy of
  // the list the server holds.
  matcher::ListParser parser(options);
  matcher::NewEntry entry;
  // A final '\n' ends the last line; no empty line follows it.
  for (absl::string_view line :
       absl::StrSplit(absl::StripSuffix(request.content(), "\n"), '\n')) {
    if (parser.ParseLine(line, &entry)) HW_RETURN_IF_ERROR(import->Add(entry));
    if (parser.too_many_entries()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the list has more than limits.max_entries_per_import (",
                       options.max_entries, ") entries"));
    }
  }
  parser.Finish();
  // A refused format leaves no line to import: skip_invalid does not help.
  if (parser.error_count() > 0 &&
      (!request.skip_invalid() || parser.format_refused())) {
    std::string first;
    for (size_t i = 0; i < parser.errors().size() && i < 5; ++i) {
      absl::StrAppend(&first, i ? "; " : "", "line ", parser.errors()[i].line,
                      ": ", parser.errors()[i].message);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("content: ", parser.error_count(),
                     " malformed line(s), nothing imported (skip_invalid "
                     "imports the rest): ",
                     first));
  }
  CrashPoint("import.parsed");
  HW_ASSIGN_OR_RETURN(const matcher::WriteResult result, import->Commit());
  CrashPoint("import.committed");
  v1::ImportListResponse response;
  ToProto(result, response.mutable_result());
  response.set_format(std::string(matcher::ListFormatName(parser.format())));
  response.set_error_count(static_cast<int64_t>(parser.error_count()));
  for (const matcher::ListLineError& e : parser.errors()) {
    v1::LineError* le = response.add_errors();
    le->set_line(e.line);
    le->set_message(e.message);
  }
  HW_LOG(kInfo, "bank %s: import by %s: %d added, %d skipped lines",
         request.bank(), who, result.added, parser.error_count());
  return response;
}

// One picture of AddImages, checked and decoded within the limits a scan's
// picture has.
absl::StatusOr<matcher::OwnPicture> Engine::PrepareOwnPicture(
    const v1::AddImagesRequest::Image& image,
    const matcher::OwnSignatureOptions& options) const {
  HW_RETURN_IF_ERROR(validator_.CheckImage(image.content()));
  const DecodeBudget::Hold hold = HoldForDecode(image.content());
  return matcher::PrepareOwnPicture(image.content(), options);
}

absl::StatusOr<v1::AddImagesResponse> Engine::AddImages(
    absl::string_view who, const v1::AddImagesRequest& request) {
  HW_RETURN_IF_ERROR(validator_.AddImages(request));
  HW_RETURN_IF_ERROR(banks_->GetBank(request.bank()).status());
  v1::AddImagesResponse response;
  std::vector<matcher::OwnPicture> pictures;
  std::vector<v1::AddImagesResponse::Result*> banked;
  matcher::OwnSignatureOptions options;
  options.decode = Decoding(config_.scan.compat_decode);
  for (const v1::AddImagesRequest::Image& image : request.images()) {
    v1::AddImagesResponse::Result* r = response.add_results();
    r->set_name(image.name());
    absl::StatusOr<matcher::OwnPicture> p = PrepareOwnPicture(image, options);
    if (!p.ok()) {
      r->set_error(std::string(p.status().message()));
      response.set_failed(response.failed() + 1);
      continue;
    }
    r->set_sha256(p->hashes.sha256);
    r->set_pdq(p->hashes.pdq);
    r->set_pdq_quality(p->hashes.pdq_quality);
    r->set_no_signature(p->no_signature);
    pictures.push_back(*std::move(p));
    banked.push_back(r);
  }
  HW_ASSIGN_OR_RETURN(const std::vector<matcher::OwnPictureResult> results,
                      matcher::AddOwnPictures(*banks_, request.bank(), pictures,
                                              {.category = request.category(),
                                               .source = request.source(),
                                               .note = request.note()}));
  for (size_t i = 0; i < results.size(); ++i) {
    banked[i]->set_added(results[i].added);
    response.set_added(response.added() + (results[i].added ? 1 : 0));
  }
  HW_LOG(kInfo, "bank %s: %d own picture(s) added by %s, %d known, %d failed",
         request.bank(), response.added(), who,
         static_cast<int>(pictures.size()) - response.added(),
         response.failed());
  return response;
}

absl::Status Engine::ExportBank(const v1::ExportBankRequest& request,
                                StreamWriter<v1::Entry> write) const {
  v1::Entry out;
  return banks_->ForEachEntry(request.name(), [&](const matcher::BankEntry& e) {
    out.Clear();
    ToProto(e, &out);
    return write(out);
  });
}

absl::StatusOr<v1::BankStats> Engine::GetBankStats(
    const v1::GetStatsRequest& request) const {
  return Converted<matcher::BankStats, v1::BankStats>(
      banks_->Stats(request.name()));
}

}  // namespace hashwatch::review_api
