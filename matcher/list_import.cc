#include "matcher/list_import.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/time_format.h"
#include "nlohmann/json.hpp"

namespace hashwatch::matcher {
namespace {

constexpr char kIndefinitely[] = "indefinitely";

// Splits one CSV record (RFC 4180 quoting: "" is a quote, and a quoted field
// may hold commas and line breaks). Whitespace around a field is trimmed,
// inside quotes kept. nullopt when the record ends inside a quoted field.
std::optional<std::vector<std::string>> SplitCsv(absl::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < n && line[i] == '"') {
      bool closed = false;
      for (++i; i < n; ++i) {
        if (line[i] != '"') {
          field.push_back(line[i]);
        } else if (i + 1 < n && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          closed = true;
          ++i;
          break;
        }
      }
      if (!closed) return std::nullopt;
    }
    // Unquoted text, or what follows a closing quote (kept, as lenient
    // readers do).
    const size_t end = std::min(line.find(',', i), n);
    absl::StrAppend(&field,
                    absl::StripAsciiWhitespace(line.substr(i, end - i)));
    fields.push_back(std::move(field));
    if (end == n) return fields;
    i = end + 1;
  }
}

// A PDQ quality: a whole number 0..100.
std::optional<int> ParseQuality(absl::string_view text) {
  int quality = 0;
  if (!absl::SimpleAtoi(text, &quality) || quality < 0 || quality > 100) {
    return std::nullopt;
  }
  return quality;
}

std::optional<SignalType> InferSignal(absl::string_view hash) {
  if (hash.size() == 32) return SignalType::kMd5;
  if (hash.size() == 40) return SignalType::kSha1;
  return std::nullopt;
}

// Resolves the signal type and canonical value of one hash field.
// `has_header`: the file has columns, so a signal_type column would do.
absl::StatusOr<std::pair<SignalType, std::string>> ResolveHash(
    absl::string_view hash, std::optional<SignalType> signal, bool has_header) {
  if (!signal) signal = InferSignal(hash);
  if (!signal) {
    if (hash.size() == 64) {
      return absl::InvalidArgumentError(absl::StrCat(
          "64 hex digits are PDQ or SHA-256; pass --signal pdq or --signal "
          "sha256",
          has_header ? ", or give a signal_type column" : ""));
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "hash has %d characters; want 32 (md5), 40 (sha1) or 64 (pdq, sha256) "
        "hex digits",
        hash.size()));
  }
  absl::StatusOr<std::string> value = CanonicalHashValue(*signal, hash);
  if (!value.ok()) {
    // Drop the "bank: " prefix; the caller adds the line number.
    return absl::InvalidArgumentError(
        absl::StripPrefix(value.status().message(), "bank: "));
  }
  return std::make_pair(*signal, *std::move(value));
}

bool IsKnownColumn(absl::string_view name) {
  return name == "hash" || name == "signal_type" || name == "category" ||
         name == "source" || name == "note" || name == "metadata" ||
         name == "quality" || name == "disabled_until";
}

}  // namespace

absl::string_view ListFormatName(ParsedList::Format format) {
  switch (format) {
    case ParsedList::Format::kPlain:
      return "plain";
    case ParsedList::Format::kCsv:
      return "csv";
    case ParsedList::Format::kThreatExchangePdq:
      return "threatexchange-pdq";
  }
  return "unknown";
}

std::string FormatDisabledUntil(absl::Time until) {
  if (until == absl::InfinitePast()) return "";
  if (until == absl::InfiniteFuture()) return kIndefinitely;
  return FormatRfc3339(until);
}

absl::StatusOr<absl::Time> ParseDisabledUntil(absl::string_view text) {
  if (text.empty()) return absl::InfinitePast();
  if (absl::EqualsIgnoreCase(text, kIndefinitely)) {
    return absl::InfiniteFuture();
  }
  if (absl::StatusOr<absl::Time> t = ParseRfc3339(text); t.ok()) return t;
  return absl::InvalidArgumentError(absl::StrFormat(
      "disabled_until \"%s\" is not an RFC 3339 time (2026-12-01T00:00:00Z), "
      "\"%s\" or empty",
      text, kIndefinitely));
}

ListParser::ListParser(const ListParseOptions& options) : options_(options) {}

void ListParser::Fail(absl::string_view message) {
  ++error_count_;
  if (errors_.size() < options_.max_errors_kept) {
    // A message may quote the line; lines run to 64 KiB. Cut at a UTF-8
    // character boundary, so that the kept errors stay small (an answer
    // listing them fits any message limit).
    constexpr size_t kMaxMessageBytes = 256;
    std::string kept(message);
    if (kept.size() > kMaxMessageBytes) {
      size_t cut = kMaxMessageBytes;
      while (cut > 0 && (static_cast<unsigned char>(kept[cut]) & 0xC0) == 0x80)
        --cut;
      kept.resize(cut);
      kept += "…";
    }
    errors_.push_back({record_line_, std::move(kept)});
  }
}

void ListParser::FailPending(absl::string_view message) {
  if (pending_lines_ > 1) {
    Fail(absl::StrFormat("%s (lines %d-%d)", message, record_line_,
                         record_line_ + pending_lines_ - 1));
  } else {
    Fail(message);
  }
  error_count_ += pending_lines_ - 1;  // every line of it is lost
  pending_.clear();
  pending_lines_ = 0;
}

void ListParser::Finish() {
  if (pending_lines_ > 0) FailPending("unterminated quoted field");
}

bool ListParser::DetectFormat(absl::string_view line) {
  format_known_ = true;
  const std::optional<std::vector<std::string>> fields = SplitCsv(line);
  if (fields.has_value()) {
    std::vector<std::string> names;
    for (const std::string& f : *fields) {
      names.push_back(absl::AsciiStrToLower(f));
    }
    if (std::find(names.begin(), names.end(), "hash") != names.end()) {
      const bool hash_quality =
          names.size() == 2 &&
          std::find(names.begin(), names.end(), "quality") != names.end();
      format_ = hash_quality ? ParsedList::Format::kThreatExchangePdq
                             : ParsedList::Format::kCsv;
      header_size_ = names.size();
      for (size_t i = 0; i < names.size(); ++i) columns_.emplace(names[i], i);
      return true;
    }
  }
  if (line.find(',') == absl::string_view::npos) {
    format_ = ParsedList::Format::kPlain;
    return false;
  }
  if (fields.has_value() && fields->size() == 2 &&
      ParseQuality((*fields)[1]).has_value()) {
    format_ = ParsedList::Format::kThreatExchangePdq;
    return false;
  }
  // Several columns and no names for them: refused, not guessed.
  refused_at_ = line_no_;
  Fail(fields.has_value()
           ? absl::StrFormat(
                 "%d comma-separated fields and no header; add a first line "
                 "naming the columns, e.g. \"hash,category,source\" (without "
                 "a header a line is a hash, or hash,quality with quality "
                 "0..100)",
                 fields->size())
           : std::string("unterminated quoted field"));
  return true;
}

bool ListParser::ParseLine(absl::string_view raw, NewEntry* out_entry) {
  ++line_no_;
  if (too_many_entries_) return false;
  if (pending_lines_ > 0) {
    // Inside a quoted field that began on an earlier line.
    ++pending_lines_;
    if (pending_.size() + 1 + raw.size() > options_.max_line_bytes) {
      FailPending(absl::StrFormat(
          "a quoted field is still open after %d bytes (unterminated?)",
          options_.max_line_bytes));
      return false;
    }
    absl::StrAppend(&pending_, "\n", raw);
    std::optional<std::vector<std::string>> fields =
        SplitCsv(absl::StripAsciiWhitespace(pending_));
    if (!fields.has_value()) return false;
    pending_.clear();
    pending_lines_ = 0;
    return ParseFields(*fields, out_entry);
  }
  record_line_ = line_no_;
  if (line_no_ == 1) absl::ConsumePrefix(&raw, "\xEF\xBB\xBF");  // UTF-8 BOM
  const absl::string_view line = absl::StripAsciiWhitespace(raw);
  if (line.empty() || line[0] == '#') return false;
  if (raw.size() > options_.max_line_bytes) {
    Fail(absl::StrFormat("line is %d bytes, over the limit of %d", raw.size(),
                         options_.max_line_bytes));
    return false;
  }
  if (entries_ >= options_.max_entries) {
    too_many_entries_ = true;
    return false;
  }
  if (!format_known_ && DetectFormat(line)) return false;
  if (refused_at_ > 0) {
    ++error_count_;  // the first line's error says why
    return false;
  }
  if (format_ == ParsedList::Format::kPlain) {
    return ParseFields({std::string(line)}, out_entry);
  }
  std::optional<std::vector<std::string>> fields = SplitCsv(line);
  if (!fields.has_value()) {
    if (columns_.empty()) {
      Fail("unterminated quoted field");
      return false;
    }
    pending_ = std::string(line);
    pending_lines_ = 1;
    return false;
  }
  return ParseFields(*fields, out_entry);
}

bool ListParser::ParseFields(const std::vector<std::string>& fields,
                             NewEntry* out_entry) {
  NewEntry entry;
  std::optional<SignalType> signal = options_.signal;
  if (!signal.has_value() &&
      format_ == ParsedList::Format::kThreatExchangePdq) {
    signal = SignalType::kPdq;
  }
  std::string hash;
  if (!columns_.empty()) {
    if (!ParseCsvFields(fields, &entry, &signal)) return false;
    hash = std::move(entry.value);
  } else if (format_ == ParsedList::Format::kThreatExchangePdq) {
    if (fields.size() > 2) {
      Fail(absl::StrFormat(
          "%d fields in a hash,quality list; a line is a hash and its quality",
          fields.size()));
      return false;
    }
    hash = fields[0];
    if (fields.size() == 2 && !fields[1].empty()) {
      const std::optional<int> quality = ParseQuality(fields[1]);
      if (!quality.has_value()) {
        Fail(absl::StrFormat("quality \"%s\" is not a whole number 0..100",
                             fields[1]));
        return false;
      }
      entry.metadata_json = absl::StrFormat("{\"quality\":%d}", *quality);
    }
  } else {
    hash = fields[0];
  }
  if (hash.empty()) {
    Fail("no hash on this line");
    return false;
  }
  absl::StatusOr<std::pair<SignalType, std::string>> resolved =
      ResolveHash(hash, signal, !columns_.empty());
  if (!resolved.ok()) {
    Fail(resolved.status().message());
    return false;
  }
  entry.signal = resolved->first;
  entry.value = std::move(resolved->second);
  *out_entry = std::move(entry);
  ++entries_;
  return true;
}

bool ListParser::ParseCsvFields(const std::vector<std::string>& fields,
                                NewEntry* entry,
                                std::optional<SignalType>* signal) {
  static const std::string* const kEmpty = new std::string();
  auto field = [&](const char* name) -> const std::string& {
    auto it = columns_.find(name);
    if (it == columns_.end() || it->second >= fields.size()) return *kEmpty;
    return fields[it->second];
  };
  for (size_t i = header_size_; i < fields.size(); ++i) {
    if (!fields[i].empty()) {
      Fail(absl::StrFormat("%d fields, but the header names %d columns",
                           fields.size(), header_size_));
      return false;
    }
  }
  entry->value = field("hash");
  const std::string& signal_name = field("signal_type");
  if (!signal_name.empty()) {
    absl::StatusOr<SignalType> s = ParseSignalType(signal_name);
    if (!s.ok()) {
      Fail(absl::StripPrefix(s.status().message(), "bank: "));
      return false;
    }
    *signal = *s;
  }
  entry->category = field("category");
  entry->source = field("source");
  entry->note = field("note");
  if (columns_.count("disabled_until") > 0) {
    absl::StatusOr<absl::Time> until =
        ParseDisabledUntil(field("disabled_until"));
    if (!until.ok()) {
      Fail(until.status().message());
      return false;
    }
    entry->disabled_until = *until;
  }
  // A `metadata` column holds the metadata object itself (what `hashwatch
  // bank export` writes), kept as written unless other columns join it.
  const std::string& metadata = field("metadata");
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    extra = nlohmann::ordered_json::parse(metadata, nullptr, false);
    if (extra.is_discarded() || !extra.is_object()) {
      Fail("metadata column is not a JSON object");
      return false;
    }
  }
  bool joined = false;
  const std::string& quality_text = field("quality");
  if (!quality_text.empty()) {
    const std::optional<int> quality = ParseQuality(quality_text);
    if (!quality.has_value()) {
      Fail(absl::StrFormat("quality \"%s\" is not a whole number 0..100",
                           quality_text));
      return false;
    }
    extra["quality"] = *quality;
    joined = true;
  }
  for (const auto& [name, index] : columns_) {
    if (IsKnownColumn(name) || index >= fields.size() ||
        fields[index].empty()) {
      continue;
    }
    extra[name] = fields[index];
    joined = true;
  }
  if (!joined) {
    entry->metadata_json = metadata;
  } else {
    entry->metadata_json =
        extra.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return true;
}

ParsedList ParseHashList(absl::string_view content,
                         const ListParseOptions& options) {
  ParsedList out;
  ListParser parser(options);
  NewEntry entry;
  // A final '\n' ends the last line; no empty line follows it.
  for (absl::string_view raw :
       absl::StrSplit(absl::StripSuffix(content, "\n"), '\n')) {
    if (parser.ParseLine(raw, &entry)) out.entries.push_back(std::move(entry));
    if (parser.too_many_entries()) break;
  }
  parser.Finish();
  out.format = parser.format();
  out.errors = parser.errors();
  out.error_count = parser.error_count();
  out.too_many_entries = parser.too_many_entries();
  return out;
}

}  // namespace hashwatch::matcher
