#include "cli/bank_command.h"

#include <ostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/common_flags.h"
#include "cli/read_input.h"
#include "common/status_macros.h"
#include "matcher/bank_store.h"
#include "matcher/list_import.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using matcher::BankStore;
using matcher::SignalType;

// Errors shown for a bad list before the rest are summarised.
constexpr size_t kMaxErrorsShown = 20;

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

nlohmann::ordered_json BankJson(const matcher::Bank& b) {
  nlohmann::ordered_json j;
  j["name"] = b.name;
  j["kind"] = std::string(matcher::BankKindName(b.kind));
  j["auto_report_distance"] = b.policy.auto_report_distance;
  j["review_distance"] = b.policy.review_distance;
  j["min_quality"] = b.policy.min_quality;
  j["auto_report_enabled"] = b.policy.auto_report_enabled;
  j["default_category"] = b.policy.default_category;
  j["priority_boost"] = b.policy.priority_boost;
  j["created"] = FormatTimestamp(b.created);
  j["last_change"] = FormatTimestamp(b.last_change);
  return j;
}

absl::StatusOr<std::optional<SignalType>> SignalOption(const std::string& name) {
  if (name.empty()) return std::optional<SignalType>();
  HW_ASSIGN_OR_RETURN(SignalType s, matcher::ParseSignalType(name));
  return std::optional<SignalType>(s);
}

// Reads and parses a list file; prints bad lines. Returns nullopt (after
// printing) when the list must not be used.
std::optional<matcher::ParsedList> LoadList(const BankCommandOptions& o,
                                            std::ostream& err, int* exit_code) {
  absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o.signal);
  if (!signal.ok()) {
    *exit_code = Fail(err, signal.status());
    return std::nullopt;
  }
  absl::StatusOr<std::string> content = ReadInput(o.file, 4LL << 30);
  if (!content.ok()) {
    *exit_code = Fail(err, absl::Status(content.status().code(),
                                        absl::StrCat(o.file, ": ", content.status().message())));
    return std::nullopt;
  }
  matcher::ListParseOptions parse;
  parse.signal = *signal;
  matcher::ParsedList list = matcher::ParseHashList(*content, parse);
  for (size_t i = 0; i < list.errors.size() && i < kMaxErrorsShown; ++i) {
    err << "hashwatch: " << o.file << ":" << list.errors[i].line << ": "
        << list.errors[i].message << "\n";
  }
  if (list.errors.size() > kMaxErrorsShown) {
    err << "hashwatch: " << o.file << ": and " << list.errors.size() - kMaxErrorsShown
        << " more bad lines\n";
  }
  if (list.too_many_entries) {
    *exit_code = Fail(err, absl::ResourceExhaustedError(absl::StrCat(
                               o.file, ": more entries than the import limit of ",
                               parse.max_entries)));
    return std::nullopt;
  }
  if (!list.errors.empty() && !o.skip_invalid) {
    err << "hashwatch: " << o.file << ": " << list.errors.size()
        << " bad lines, nothing imported (--skip-invalid imports the good ones)\n";
    *exit_code = 1;
    return std::nullopt;
  }
  return list;
}

int Create(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<matcher::BankKind> kind = matcher::ParseBankKind(o.kind);
  if (!kind.ok()) return Fail(err, kind.status());
  matcher::BankPolicy policy = o.policy;
  policy.auto_report_enabled = !o.no_auto_report;
  absl::StatusOr<matcher::Bank> bank = store.CreateBank(o.name, *kind, policy);
  if (!bank.ok()) return Fail(err, bank.status());
  if (o.json) {
    out << BankJson(*bank).dump() << "\n";
  } else {
    out << "created bank " << bank->name << " (" << matcher::BankKindName(bank->kind) << ")\n";
  }
  return 0;
}

int List(BankStore& store, const BankCommandOptions& o, std::ostream& out) {
  if (!o.json) {
    out << "name\tkind\tentries\tauto_report_distance\treview_distance\t"
           "min_quality\tauto_report\tlast_change\n";
  }
  for (const matcher::Bank& b : store.ListBanks()) {
    absl::StatusOr<matcher::BankStats> stats = store.Stats(b.name);
    const int64_t entries = stats.ok() ? stats->entries : -1;
    if (o.json) {
      nlohmann::ordered_json j = BankJson(b);
      j["entries"] = entries;
      out << j.dump() << "\n";
    } else {
      out << absl::StrFormat("%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", b.name,
                             matcher::BankKindName(b.kind), entries,
                             b.policy.auto_report_distance, b.policy.review_distance,
                             b.policy.min_quality, b.policy.auto_report_enabled ? "on" : "off",
                             FormatTimestamp(b.last_change));
    }
  }
  return 0;
}

int Stats(BankStore& store, const BankCommandOptions& o, std::ostream& out,
          std::ostream& err) {
  absl::StatusOr<matcher::BankStats> s = store.Stats(o.name);
  if (!s.ok()) return Fail(err, s.status());
  if (o.json) {
    nlohmann::ordered_json j;
    j["bank"] = s->bank;
    j["entries"] = s->entries;
    j["by_signal"] = s->by_signal;
    j["by_category"] = s->by_category;
    j["disabled"] = s->disabled;
    j["last_change"] = FormatTimestamp(s->last_change);
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  out << "bank\t" << s->bank << "\nentries\t" << s->entries << "\n";
  for (const auto& [signal, n] : s->by_signal) out << "signal." << signal << "\t" << n << "\n";
  for (const auto& [category, n] : s->by_category) {
    out << "category." << (category.empty() ? "(none)" : category) << "\t" << n << "\n";
  }
  out << "disabled\t" << s->disabled << "\nlast_change\t" << FormatTimestamp(s->last_change) << "\n";
  return 0;
}

int Import(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  if (!store.GetBank(o.name).ok()) return Fail(err, store.GetBank(o.name).status());
  int exit_code = 0;
  std::optional<matcher::ParsedList> list = LoadList(o, err, &exit_code);
  if (!list) return exit_code;
  absl::StatusOr<matcher::WriteResult> r = store.AddEntries(o.name, list->entries);
  if (!r.ok()) return Fail(err, r.status());
  out << absl::StrFormat(
      "imported %s into %s (%s): %d added, %d updated, %d unchanged, %d bad lines skipped\n",
      o.file, o.name, matcher::ListFormatName(list->format), r->added, r->updated,
      r->unchanged, list->errors.size());
  return 0;
}

int Remove(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  if (!store.GetBank(o.name).ok()) return Fail(err, store.GetBank(o.name).status());
  int exit_code = 0;
  std::optional<matcher::ParsedList> list = LoadList(o, err, &exit_code);
  if (!list) return exit_code;
  std::vector<std::pair<SignalType, std::string>> values;
  for (const matcher::NewEntry& e : list->entries) values.emplace_back(e.signal, e.value);
  absl::StatusOr<matcher::WriteResult> r = store.RemoveEntries(o.name, values);
  if (!r.ok()) return Fail(err, r.status());
  out << absl::StrFormat("removed %d from %s; %d not in the bank\n", r->removed, o.name,
                         r->not_found);
  return 0;
}

int Export(BankStore& store, const BankCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  // CSV that `bank import` reads back unchanged.
  if (!o.json) out << "hash,signal_type,category,source,note,metadata\n";
  absl::Status s = store.ForEachEntry(o.name, [&](const matcher::BankEntry& e) {
    if (o.json) {
      nlohmann::ordered_json j;
      j["id"] = e.id;
      j["hash"] = e.value;
      j["signal_type"] = std::string(matcher::SignalTypeName(e.signal));
      j["category"] = e.category;
      j["source"] = e.source;
      j["note"] = e.note;
      j["metadata"] = e.metadata_json;
      j["added"] = FormatTimestamp(e.added);
      j["disabled_until"] = FormatTimestamp(e.disabled_until);
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      out << e.value << "," << matcher::SignalTypeName(e.signal) << "," << CsvField(e.category)
          << "," << CsvField(e.source) << "," << CsvField(e.note) << ","
          << CsvField(e.metadata_json) << "\n";
    }
    return out.good() ? absl::OkStatus() : absl::UnavailableError("cannot write output");
  });
  if (!s.ok()) return Fail(err, s);
  return 0;
}

int Disable(BankStore& store, const BankCommandOptions& o, std::ostream& out,
            std::ostream& err) {
  absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o.signal);
  if (!signal.ok()) return Fail(err, signal.status());
  absl::Time until = absl::InfiniteFuture();
  if (!o.until.empty()) {
    absl::StatusOr<absl::Time> t = ParseTimeOrDuration(o.until, absl::Now());
    if (!t.ok()) return Fail(err, t.status());
    until = *t;
  }
  std::vector<SignalType> candidates;
  if (signal->has_value()) {
    candidates = {**signal};
  } else if (o.hash.size() == 32) {
    candidates = {SignalType::kMd5};
  } else if (o.hash.size() == 40) {
    candidates = {SignalType::kSha1};
  } else {
    candidates = {SignalType::kPdq, SignalType::kSha256};  // whichever the bank holds
  }
  absl::Status last = absl::InvalidArgumentError(absl::StrFormat(
      "hash has %d characters; want 32, 40 or 64 hex digits", o.hash.size()));
  for (SignalType s : candidates) {
    absl::StatusOr<matcher::BankEntry> e = store.DisableEntry(o.name, s, o.hash, until);
    if (e.ok()) {
      out << "disabled " << matcher::SignalTypeName(s) << " " << e->value << " in " << o.name
          << " until " << FormatTimestamp(until) << "\n";
      return 0;
    }
    last = e.status();
    if (!absl::IsNotFound(last) || !store.GetBank(o.name).ok()) break;
  }
  return Fail(err, last);
}

}  // namespace

CLI::App* AddBankCommand(CLI::App& app, BankCommandOptions& o) {
  CLI::App* bank = app.add_subcommand("bank", "Manage hash banks (lists of known hashes)");
  bank->require_subcommand(1);
  bank->add_option("--db", o.db, "Database directory")->default_val(kDefaultDbDir);
  bank->add_flag("--json", o.json, "JSON output, one object per line");
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // --db and --json may follow the subcommand
    return sub;
  };

  CLI::App* create = action(bank->add_subcommand("create", "Create a bank"), "create");
  create->add_option("name", o.name, "Bank name: a-z 0-9 . _ -")->required();
  create->add_option("--kind", o.kind, "match (a list to match) or allow (known false positives)")
      ->check(CLI::IsMember({"match", "allow"}));
  create->add_option("--auto-report-distance", o.policy.auto_report_distance,
                     "PDQ distance at or below which matches are reported automatically")
      ->check(CLI::Range(0, 64));
  create->add_option("--review-distance", o.policy.review_distance,
                     "PDQ distance at or below which matches go to review")
      ->check(CLI::Range(0, 64));
  create->add_option("--min-quality", o.policy.min_quality,
                     "PDQ quality below which a query never auto-reports")
      ->check(CLI::Range(0, 100));
  create->add_flag("--no-auto-report", o.no_auto_report, "Send every match to review");
  create->add_option("--default-category", o.policy.default_category,
                     "Category for entries that carry none");
  create->add_option("--priority-boost", o.policy.priority_boost,
                     "Added to the review priority of this bank's matches");

  action(bank->add_subcommand("list", "List banks"), "list");
  CLI::App* stats = action(bank->add_subcommand("stats", "Entries by signal and category"), "stats");
  stats->add_option("name", o.name, "Bank name")->required();

  CLI::App* import = action(bank->add_subcommand("import", "Import a hash list file"), "import");
  import->add_option("name", o.name, "Bank name")->required();
  import->add_option("file", o.file, "List file (plain, CSV with header, or hash,quality); - for stdin")
      ->required();
  import->add_option("--signal", o.signal, "Signal type for lines that do not say")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));
  import->add_flag("--skip-invalid", o.skip_invalid, "Import the good lines, report the bad");

  CLI::App* exp = action(bank->add_subcommand("export", "Print a bank's entries as CSV"), "export");
  exp->add_option("name", o.name, "Bank name")->required();

  CLI::App* remove = action(bank->add_subcommand("remove", "Remove the hashes listed in a file"), "remove");
  remove->add_option("name", o.name, "Bank name")->required();
  remove->add_option("file", o.file, "List file, any import format; - for stdin")->required();
  remove->add_option("--signal", o.signal, "Signal type for lines that do not say")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));
  remove->add_flag("--skip-invalid", o.skip_invalid, "Remove the good lines, report the bad");

  CLI::App* disable = action(bank->add_subcommand("disable", "Stop one entry from matching"), "disable");
  disable->add_option("name", o.name, "Bank name")->required();
  disable->add_option("hash", o.hash, "The entry's hash (hex)")->required();
  disable->add_option("--until", o.until,
                      "RFC 3339 time or duration (72h) after which it matches again; default never");
  disable->add_option("--signal", o.signal, "Signal type when 64 digits are ambiguous")
      ->check(CLI::IsMember({"pdq", "md5", "sha1", "sha256"}));

  CLI::App* del = action(bank->add_subcommand("delete", "Delete a bank and all its entries"), "delete");
  del->add_option("name", o.name, "Bank name")->required();
  return bank;
}

int RunBankCommand(const BankCommandOptions& o, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<BankStore>> store = OpenBankStore(o.db);
  if (!store.ok()) return Fail(err, store.status());
  BankStore& s = **store;
  if (o.action == "create") return Create(s, o, out, err);
  if (o.action == "list") return List(s, o, out);
  if (o.action == "stats") return Stats(s, o, out, err);
  if (o.action == "import") return Import(s, o, out, err);
  if (o.action == "export") return Export(s, o, out, err);
  if (o.action == "remove") return Remove(s, o, out, err);
  if (o.action == "disable") return Disable(s, o, out, err);
  if (o.action == "delete") {
    absl::Status st = s.DeleteBank(o.name);
    if (!st.ok()) return Fail(err, st);
    out << "deleted bank " << o.name << "\n";
    return 0;
  }
  return Fail(err, absl::InternalError("no bank subcommand ran"));
}

}  // namespace hashwatch::cli
