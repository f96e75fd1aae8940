#include "cli/bank_command.h"

#include <ostream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/bank_common.h"
#include "cli/bank_remote.h"
#include "cli/common_flags.h"
#include "cli/local_db.h"
#include "common/database_in_use.h"
#include "common/read_input.h"
#include "matcher/bank_store.h"
#include "matcher/own_pictures.h"

namespace hashwatch::cli {
namespace {

using matcher::BankStore;
using matcher::SignalType;

int Create(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<matcher::BankKind> kind = matcher::ParseBankKind(o.kind);
  if (!kind.ok()) return Fail(err, kind.status());
  absl::StatusOr<matcher::Bank> bank =
      store.CreateBank(o.name, *kind, CreatePolicy(o));
  if (!bank.ok()) return Fail(err, bank.status());
  PrintBankCreated(*bank, o.json, out);
  return 0;
}

int List(BankStore& store, const BankCommandOptions& o, std::ostream& out) {
  PrintBankListHeader(o.json, out);
  for (const matcher::Bank& b : store.ListBanks()) {
    absl::StatusOr<matcher::BankStats> stats = store.Stats(b.name);
    PrintBankListRow(b, stats.ok() ? stats->entries : -1, o.json, out);
  }
  return 0;
}

int Stats(BankStore& store, const BankCommandOptions& o, std::ostream& out,
          std::ostream& err) {
  absl::StatusOr<matcher::BankStats> s = store.Stats(o.name);
  if (!s.ok()) return Fail(err, s.status());
  PrintBankStats(*s, o.json, out);
  return 0;
}

int Import(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<std::unique_ptr<matcher::BankImport>> import =
      store.StartImport(o.name);
  if (!import.ok()) return Fail(err, import.status());
  // Large lists take a while: say where they are.
  (*import)->set_progress([&](absl::string_view what) {
    err << "hashwatch: import into " << o.name << ": " << what << "\n"
        << std::flush;
  });
  int exit_code = 0;
  std::optional<StreamedList> list =
      StreamList(o, matcher::ListParseOptions().max_entries, err, &exit_code,
                 [&](const matcher::NewEntry& e) { return (*import)->Add(e); });
  if (!list) return exit_code;  // the import is abandoned: nothing was written
  absl::StatusOr<matcher::WriteResult> r = (*import)->Commit();
  if (!r.ok()) return Fail(err, r.status());
  PrintImported(o.file, o.name,
                std::string(matcher::ListFormatName(list->format)), *r,
                list->bad_lines, o.json, out);
  return 0;
}

int Remove(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  if (absl::StatusOr<matcher::Bank> b = store.GetBank(o.name); !b.ok()) {
    return Fail(err, b.status());
  }
  int exit_code = 0;
  std::vector<std::pair<SignalType, std::string>> values;
  std::optional<StreamedList> list =
      StreamList(o, matcher::ListParseOptions().max_entries, err, &exit_code,
                 [&](const matcher::NewEntry& e) {
                   values.emplace_back(e.signal, e.value);
                   return absl::OkStatus();
                 });
  if (!list) return exit_code;
  absl::StatusOr<matcher::WriteResult> r = store.RemoveEntries(o.name, values);
  if (!r.ok()) return Fail(err, r.status());
  PrintRemoved(o.file, o.name,
               std::string(matcher::ListFormatName(list->format)), *r,
               list->bad_lines, o.json, out);
  return 0;
}

int Export(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  PrintExportHeader(o.json, out);
  absl::Status s = store.ForEachEntry(o.name, [&](const matcher::BankEntry& e) {
    PrintExportEntry(e, o.json, out);
    return out.good() ? absl::OkStatus()
                      : absl::UnavailableError("cannot write output");
  });
  if (!s.ok()) return Fail(err, s);
  return 0;
}

int Disable(BankStore& store, const BankCommandOptions& o, std::ostream& out,
            std::ostream& err) {
  absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o.signal);
  if (!signal.ok()) return Fail(err, signal.status());
  absl::StatusOr<absl::Time> until = DisableUntil(o.until);
  if (!until.ok()) return Fail(err, until.status());
  absl::Status last = absl::InvalidArgumentError(absl::StrFormat(
      "hash has %d characters; want 32, 40 or 64 hex digits", o.hash.size()));
  for (SignalType s : DisableCandidates(*signal, o.hash)) {
    absl::StatusOr<matcher::BankEntry> e =
        store.DisableEntry(o.name, s, o.hash, *until);
    if (e.ok()) {
      PrintDisabled(*e, o.json, out);
      return 0;
    }
    last = e.status();
    if (!absl::IsNotFound(last) || !store.GetBank(o.name).ok()) break;
  }
  return Fail(err, last);
}

}  // namespace

// Each file read, decoded and signed here, then all the good ones added in
// one write; a file that fails writes nothing of itself.
int AddImages(BankStore& store, const BankCommandOptions& o, std::ostream& out,
              std::ostream& err) {
  if (absl::Status s = store.GetBank(o.name).status(); !s.ok())
    return Fail(err, s);
  std::vector<AddedImage> results;
  std::vector<matcher::OwnPicture> pictures;
  std::vector<size_t> picture_result;  // results index of pictures[i]
  const matcher::OwnSignatureOptions options;
  for (const std::string& file : o.files) {
    AddedImage& r = results.emplace_back();
    r.file = file;
    absl::StatusOr<matcher::OwnPicture> p = [&] {
      absl::StatusOr<std::string> bytes =
          ReadInput(file, options.decode.max_bytes);
      if (!bytes.ok())
        return absl::StatusOr<matcher::OwnPicture>(bytes.status());
      return matcher::PrepareOwnPicture(*bytes, options);
    }();
    if (!p.ok()) {
      r.error = std::string(p.status().message());
      continue;
    }
    r.hashes = p->hashes;
    r.no_signature = p->no_signature;
    pictures.push_back(*std::move(p));
    picture_result.push_back(results.size() - 1);
  }
  absl::StatusOr<std::vector<matcher::OwnPictureResult>> added =
      matcher::AddOwnPictures(
          store, o.name, pictures,
          {.category = o.category, .source = o.source, .note = o.note});
  if (!added.ok()) return Fail(err, added.status());
  for (size_t i = 0; i < added->size(); ++i)
    results[picture_result[i]].added = (*added)[i].added;
  return PrintAddedImages(o.name, results, o.json, out, err);
}

void SetupBankCommand(CLI::App& command, BankCommandOptions& o) {
  CLI::App* bank = &command;
  bank->require_subcommand(1);
  bank->add_option("--db", o.db,
                   "Database directory; must exist, except for `bank create`, "
                   "which creates it")
      ->default_val(kDefaultDbDir);
  bank->add_flag("--json", o.json, "JSON output, one object per line");
  AddClientFlags(*bank, o.client, /*server_required=*/false);
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // --db and --json may follow the subcommand
    return sub;
  };

  CLI::App* create = action(
      bank->add_subcommand(
          "create", "Create a bank (and the database, if --db holds none)"),
      "create");
  create->add_option("name", o.name, "Bank name: a-z 0-9 . _ -")->required();
  create
      ->add_option("--kind", o.kind,
                   "match (a list to match) or allow (known false positives)")
      ->check(CLI::IsMember({"match", "allow"}));
  create
      ->add_option(
          "--auto-report-distance", o.policy.auto_report_distance,
          "PDQ distance at or below which matches are reported automatically")
      ->check(CLI::Range(0, 64));
  create
      ->add_option("--review-distance", o.policy.review_distance,
                   "PDQ distance at or below which matches go to review")
      ->check(CLI::Range(0, 64));
  create
      ->add_option("--min-quality", o.policy.min_quality,
                   "PDQ quality below which a query never auto-reports")
      ->check(CLI::Range(0, 100));
  create->add_flag("--no-auto-report", o.no_auto_report,
                   "Send every match to review");
  create->add_option("--default-category", o.policy.default_category,
                     "Category for entries that carry none");
  create->add_option("--priority-boost", o.policy.priority_boost,
                     "Added to the review priority of this bank's matches");
  create->add_flag("--no-unbordered-auto-report", o.no_unbordered_auto_report,
                   "Matches of the picture inside a border go to review");
  create
      ->add_option("--region-auto-report-distance",
                   o.policy.region_auto_report_distance,
                   "PDQ distance at or below which a match of a region of a "
                   "larger canvas is reported automatically (-1: never)")
      ->check(CLI::Range(-1, 64));
  create->add_flag("--dihedral,!--no-dihedral", o.dihedral,
                   "Also match rotated and mirrored copies (a second index "
                   "search per picture over this bank's hashes; off by "
                   "default)");

  action(bank->add_subcommand("list", "List banks"), "list");
  CLI::App* stats = action(
      bank->add_subcommand("stats", "Entries by signal and category"), "stats");
  stats->add_option("name", o.name, "Bank name")->required();

  CLI::App* import = action(
      bank->add_subcommand("import", "Import a hash list file"), "import");
  import->add_option("name", o.name, "Bank name")->required();
  import
      ->add_option(
          "file", o.file,
          "List file (plain, CSV with header, or hash,quality); - for stdin")
      ->required();
  import
      ->add_option("--signal", o.signal,
                   "Signal type for lines that do not say")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));
  import->add_flag("--skip-invalid", o.skip_invalid,
                   "Import the good lines, report the bad");

  CLI::App* images = action(
      bank->add_subcommand(
          "add-images",
          "Add pictures the platform holds (own material): their hashes and "
          "a signature that matches cropped, captioned or rotated copies"),
      "add-images");
  images->add_option("name", o.name, "Bank name")->required();
  images->add_option("files", o.files, "Picture files")->required();
  images->add_option("--category", o.category, "Category of every entry");
  images->add_option("--source", o.source,
                     "Source of every entry (e.g. a case number)");
  images->add_option("--note", o.note, "Note on every entry");

  CLI::App* exp =
      action(bank->add_subcommand("export", "Print a bank's entries as CSV"),
             "export");
  exp->add_option("name", o.name, "Bank name")->required();

  CLI::App* remove = action(
      bank->add_subcommand("remove", "Remove the hashes listed in a file"),
      "remove");
  remove->add_option("name", o.name, "Bank name")->required();
  remove
      ->add_option("file", o.file, "List file, any import format; - for stdin")
      ->required();
  remove
      ->add_option("--signal", o.signal,
                   "Signal type for lines that do not say")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));
  remove->add_flag("--skip-invalid", o.skip_invalid,
                   "Remove the good lines, report the bad");

  CLI::App* disable =
      action(bank->add_subcommand("disable", "Stop one entry from matching"),
             "disable");
  disable->add_option("name", o.name, "Bank name")->required();
  disable->add_option("hash", o.hash, "The entry's hash (hex)")->required();
  disable->add_option(
      "--until", o.until,
      "RFC 3339 time or duration (72h) after which it matches again; "
      "default: disabled indefinitely");
  disable
      ->add_option("--signal", o.signal,
                   "Signal type when 64 digits are ambiguous")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));

  CLI::App* del = action(
      bank->add_subcommand("delete", "Delete a bank and all its entries"),
      "delete");
  del->add_option("name", o.name, "Bank name")->required();
}

int RunBankCommand(const BankCommandOptions& o, std::ostream& out,
                   std::ostream& err) {
  if (!o.client.server.empty()) return RunRemoteBankCommand(o, out, err);
  absl::StatusOr<std::unique_ptr<BankStore>> store =
      OpenBankStore(o.db, {.create_if_missing = o.action == "create"});
  if (!store.ok()) {
    if (IsDatabaseLocked(store.status())) {
      err << "hashwatch: " << store.status().message()
          << "; if it is a running server, pass --server HOST:PORT\n";
      return 1;
    }
    return Fail(err, store.status());
  }
  BankStore& s = **store;
  if (o.action == "create") return Create(s, o, out, err);
  if (o.action == "list") return List(s, o, out);
  if (o.action == "stats") return Stats(s, o, out, err);
  if (o.action == "import") return Import(s, o, out, err);
  if (o.action == "export") return Export(s, o, out, err);
  if (o.action == "add-images") return AddImages(s, o, out, err);
  if (o.action == "remove") return Remove(s, o, out, err);
  if (o.action == "disable") return Disable(s, o, out, err);
  if (o.action == "delete") {
    absl::Status st = s.DeleteBank(o.name);
    if (!st.ok()) return Fail(err, st);
    PrintDeleted(o.name, o.json, out);
    return 0;
  }
  return Fail(err, absl::InternalError("no bank subcommand ran"));
}

}  // namespace hashwatch::cli
