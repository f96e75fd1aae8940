#include "cli/bank_common.h"

#include <functional>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/common_flags.h"
#include "common/read_input.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace hashwatch::cli {
namespace {

using matcher::SignalType;

// Errors shown for a bad list before the rest are summarised.
constexpr size_t kMaxErrorsShown = 20;

// Quoted where a reader would otherwise split or trim it.
std::string CsvField(const std::string& s) {
  const bool padded =
      !s.empty() &&
      (absl::ascii_isspace(static_cast<unsigned char>(s.front())) ||
       absl::ascii_isspace(static_cast<unsigned char>(s.back())));
  if (!padded && s.find_first_of(",\"\n\r") == std::string::npos) return s;
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
  j["unbordered_auto_report"] = b.policy.unbordered_auto_report;
  j["region_auto_report_distance"] = b.policy.region_auto_report_distance;
  j["dihedral"] = b.policy.dihedral;
  j["created"] = FormatTimestamp(b.created);
  j["last_change"] = FormatTimestamp(b.last_change);
  return j;
}

// An entry as `export --json` and `disable --json` print it.
nlohmann::ordered_json EntryJson(const matcher::BankEntry& e) {
  nlohmann::ordered_json j;
  j["id"] = e.id;
  j["hash"] = e.value;
  j["signal_type"] = std::string(matcher::SignalTypeName(e.signal));
  j["category"] = e.category;
  j["source"] = e.source;
  j["note"] = e.note;
  j["metadata"] = e.metadata_json;
  j["added"] = FormatTimestamp(e.added);
  j["disabled_until"] = matcher::FormatDisabledUntil(e.disabled_until);
  return j;
}

}  // namespace

absl::StatusOr<std::optional<SignalType>> SignalOption(
    const std::string& name) {
  if (name.empty()) return std::optional<SignalType>();
  HW_ASSIGN_OR_RETURN(SignalType s, matcher::ParseSignalType(name));
  return std::optional<SignalType>(s);
}

std::optional<StreamedList> StreamList(
    const BankCommandOptions& o, size_t max_entries, std::ostream& err,
    int* exit_code,
    const std::function<absl::Status(const matcher::NewEntry&)>& sink) {
  absl::StatusOr<std::optional<SignalType>> signal = SignalOption(o.signal);
  if (!signal.ok()) {
    *exit_code = Fail(err, signal.status());
    return std::nullopt;
  }
  matcher::ListParseOptions parse;
  parse.signal = *signal;
  parse.max_entries = max_entries;
  parse.max_errors_kept = kMaxErrorsShown;
  matcher::ListParser parser(parse);
  const bool removing = o.action == "remove";
  absl::Status sink_status;
  matcher::NewEntry entry;
  absl::Status read = ForEachInputLine(
      o.file, parse.max_line_bytes, [&](absl::string_view line) {
        if (parser.ParseLine(line, &entry)) {
          sink_status = sink(entry);
          if (!sink_status.ok()) return sink_status;
        }
        if (parser.too_many_entries()) {
          return absl::ResourceExhaustedError(absl::StrCat(
              o.file, ": more entries than the ",
              removing ? "removal" : "import", " limit of ", max_entries));
        }
        return absl::OkStatus();
      });
  if (read.ok()) parser.Finish();
  for (const matcher::ListLineError& e : parser.errors()) {
    err << "hashwatch: " << o.file << ":" << e.line << ": " << e.message
        << "\n";
  }
  if (parser.error_count() > parser.errors().size()) {
    err << "hashwatch: " << o.file << ": and "
        << parser.error_count() - parser.errors().size() << " more bad lines\n";
  }
  if (!read.ok()) {
    // The sink's own errors and the entry limit name their subject already.
    *exit_code = Fail(
        err, !sink_status.ok() || parser.too_many_entries()
                 ? read
                 : absl::Status(read.code(),
                                absl::StrCat(o.file, ": ", read.message())));
    return std::nullopt;
  }
  if (parser.error_count() > 0 &&
      (!o.skip_invalid || parser.format_refused())) {
    err << "hashwatch: " << o.file << ": " << parser.error_count()
        << " bad lines, nothing " << (removing ? "removed" : "imported");
    if (!parser.format_refused()) {
      err << (removing ? " (--skip-invalid removes the good ones)"
                       : " (--skip-invalid imports the good ones)");
    }
    err << "\n";
    *exit_code = 1;
    return std::nullopt;
  }
  return StreamedList{parser.format(), parser.entries(), parser.error_count()};
}

std::vector<SignalType> DisableCandidates(std::optional<SignalType> signal,
                                          const std::string& hash) {
  if (signal.has_value()) return {*signal};
  switch (hash.size()) {
    case 32:
      return {SignalType::kMd5};
    case 40:
      return {SignalType::kSha1};
    case 64:
      return {SignalType::kPdq,
              SignalType::kSha256};  // whichever the bank holds
    default:
      return {};
  }
}

absl::StatusOr<absl::Time> DisableUntil(const std::string& until) {
  if (until.empty()) return absl::InfiniteFuture();
  return ParseTimeOrDuration(until, absl::Now());
}

matcher::BankPolicy CreatePolicy(const BankCommandOptions& o) {
  matcher::BankPolicy policy = o.policy;
  policy.auto_report_enabled = !o.no_auto_report;
  policy.unbordered_auto_report = !o.no_unbordered_auto_report;
  policy.dihedral = o.dihedral;
  return policy;
}

void PrintBankCreated(const matcher::Bank& bank, bool json, std::ostream& out) {
  if (json) {
    out << BankJson(bank).dump(-1, ' ', false,
                               nlohmann::json::error_handler_t::replace)
        << "\n";
  } else {
    out << "created bank " << bank.name << " ("
        << matcher::BankKindName(bank.kind) << ")\n";
  }
}

void PrintBankListHeader(bool json, std::ostream& out) {
  if (json) return;
  out << "name\tkind\tentries\tauto_report_distance\treview_distance\t"
         "min_quality\tauto_report\tlast_change\n";
}

void PrintBankListRow(const matcher::Bank& b, int64_t entries, bool json,
                      std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j = BankJson(b);
    j["entries"] = entries;
    // Stored text need not be UTF-8: replaced, never thrown on.
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
    return;
  }
  out << absl::StrFormat(
      "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", b.name, matcher::BankKindName(b.kind),
      entries, b.policy.auto_report_distance, b.policy.review_distance,
      b.policy.min_quality, b.policy.auto_report_enabled ? "on" : "off",
      FormatTimestamp(b.last_change));
}

void PrintBankStats(const matcher::BankStats& s, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j;
    j["bank"] = s.bank;
    j["entries"] = s.entries;
    j["by_signal"] = s.by_signal;
    j["by_category"] = s.by_category;
    j["disabled"] = s.disabled;
    j["own_signatures"] = s.own_signatures;
    j["last_change"] = FormatTimestamp(s.last_change);
    out << JsonLine(j) << "\n";
    return;
  }
  out << "bank\t" << s.bank << "\nentries\t" << s.entries << "\n";
  for (const auto& [signal, n] : s.by_signal)
    out << "signal." << signal << "\t" << n << "\n";
  for (const auto& [category, n] : s.by_category) {
    out << "category." << (category.empty() ? "(none)" : category) << "\t" << n
        << "\n";
  }
  out << "disabled\t" << s.disabled << "\nown_signatures\t" << s.own_signatures
      << "\nlast_change\t" << FormatTimestamp(s.last_change) << "\n";
}

namespace {
// The fields an import's and a removal's JSON line begin with.
nlohmann::ordered_json ListWriteJson(const std::string& file,
                                     const std::string& bank,
                                     const std::string& format) {
  nlohmann::ordered_json j;
  j["bank"] = bank;
  j["file"] = file;
  j["format"] = format;
  return j;
}
}  // namespace

void PrintImported(const std::string& file, const std::string& bank,
                   const std::string& format, const matcher::WriteResult& r,
                   size_t bad_lines, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j = ListWriteJson(file, bank, format);
    j["added"] = r.added;
    j["updated"] = r.updated;
    j["unchanged"] = r.unchanged;
    j["bad_lines"] = bad_lines;
    out << JsonLine(j) << "\n";
    return;
  }
  out << absl::StrFormat(
      "imported %s into %s (%s): %d added, %d updated, %d unchanged, %d bad "
      "lines skipped\n",
      file, bank, format, r.added, r.updated, r.unchanged, bad_lines);
}

int PrintAddedImages(const std::string& bank,
                     const std::vector<AddedImage>& images, bool json,
                     std::ostream& out, std::ostream& err) {
  int added = 0, held = 0, failed = 0;
  for (const AddedImage& i : images) {
    if (!i.error.empty()) {
      ++failed;
      err << "hashwatch: " << i.file << ": " << i.error
          << "; nothing of it was added\n";
      continue;
    }
    ++(i.added ? added : held);
    if (json) {
      nlohmann::ordered_json j;
      j["bank"] = bank;
      j["file"] = i.file;
      j["added"] = i.added;
      j["sha256"] = i.hashes.sha256;
      j["pdq"] = i.hashes.pdq;
      j["pdq_quality"] = i.hashes.pdq_quality;
      j["signature"] = i.no_signature.empty();
      if (!i.no_signature.empty()) j["no_signature"] = i.no_signature;
      out << JsonLine(j) << "\n";
    } else if (i.added) {
      out << absl::StrFormat(
          "added %s to %s (sha256 %s, pdq quality %d%s)\n", i.file, bank,
          i.hashes.sha256, i.hashes.pdq_quality,
          i.no_signature.empty() ? ""
                                 : "; no signature: " + i.no_signature +
                                       "; copies match by PDQ only");
    } else {
      out << absl::StrFormat("%s: already in %s\n", i.file, bank);
    }
  }
  if (!json) {
    out << absl::StrFormat(
        "%s: %d pictures added, %d already held, %d failed\n", bank, added,
        held, failed);
  }
  return failed > 0 ? 1 : 0;
}

void PrintRemoved(const std::string& file, const std::string& bank,
                  const std::string& format, const matcher::WriteResult& r,
                  size_t bad_lines, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j = ListWriteJson(file, bank, format);
    j["removed"] = r.removed;
    j["not_found"] = r.not_found;
    j["bad_lines"] = bad_lines;
    out << JsonLine(j) << "\n";
    return;
  }
  out << absl::StrFormat("removed %d from %s; %d not in the bank\n", r.removed,
                         bank, r.not_found);
}

void PrintExportHeader(bool json, std::ostream& out) {
  if (!json) {
    out << "hash,signal_type,category,source,note,metadata,disabled_until\n";
  }
}

void PrintExportEntry(const matcher::BankEntry& e, bool json,
                      std::ostream& out) {
  if (json) {
    out << JsonLine(EntryJson(e)) << "\n";
    return;
  }
  out << e.value << "," << matcher::SignalTypeName(e.signal) << ","
      << CsvField(e.category) << "," << CsvField(e.source) << ","
      << CsvField(e.note) << "," << CsvField(e.metadata_json) << ","
      << matcher::FormatDisabledUntil(e.disabled_until) << "\n";
}

void PrintDisabled(const matcher::BankEntry& e, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j;
    j["bank"] = e.bank;
    j.update(EntryJson(e));
    out << JsonLine(j) << "\n";
    return;
  }
  out << "disabled " << matcher::SignalTypeName(e.signal) << " " << e.value
      << " in " << e.bank;
  if (e.disabled_until == absl::InfiniteFuture()) {
    out << " indefinitely\n";
  } else {
    out << " until " << FormatTimestamp(e.disabled_until) << "\n";
  }
}

void PrintDeleted(const std::string& bank, bool json, std::ostream& out) {
  if (json) {
    nlohmann::ordered_json j;
    j["bank"] = bank;
    j["deleted"] = true;
    out << JsonLine(j) << "\n";
    return;
  }
  out << "deleted bank " << bank << "\n";
}

}  // namespace hashwatch::cli
