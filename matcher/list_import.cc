#include "matcher/list_import.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace hashwatch::matcher {
namespace {

// Splits one CSV record (RFC 4180 quoting; no embedded newlines).
std::optional<std::vector<std::string>> SplitCsv(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          fields.back().push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  if (quoted) return std::nullopt;
  for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
  return fields;
}

std::optional<SignalType> InferSignal(absl::string_view hash) {
  if (hash.size() == 32) return SignalType::kMd5;
  if (hash.size() == 40) return SignalType::kSha1;
  return std::nullopt;
}

// Resolves the signal type and canonical value of one hash field.
absl::StatusOr<std::pair<SignalType, std::string>> ResolveHash(
    absl::string_view hash, std::optional<SignalType> signal) {
  if (!signal) signal = InferSignal(hash);
  if (!signal) {
    if (hash.size() == 64) {
      return absl::InvalidArgumentError(
          "64 hex digits is either pdq or sha256: give the signal type "
          "(--signal or a signal_type column)");
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

ListParser::ListParser(const ListParseOptions& options) : options_(options) {}

void ListParser::Fail(absl::string_view message) {
  ++error_count_;
  if (errors_.size() < options_.max_errors_kept) {
    errors_.push_back({line_no_, std::string(message)});
  }
}

bool ListParser::ParseLine(absl::string_view raw, NewEntry* out_entry) {
  ++line_no_;
  if (too_many_entries_) return false;
  absl::string_view line = absl::StripAsciiWhitespace(raw);
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
  if (!format_known_) {
    format_known_ = true;
    if (line.find(',') != absl::string_view::npos) {
      std::optional<std::vector<std::string>> header = SplitCsv(line);
      bool has_hash = false;
      if (header) {
        for (const std::string& h : *header)
          has_hash |= absl::AsciiStrToLower(h) == "hash";
      }
      if (has_hash) {
        format_ = ParsedList::Format::kCsv;
        for (size_t i = 0; i < header->size(); ++i) {
          columns_.emplace(absl::AsciiStrToLower((*header)[i]), i);
        }
        return false;  // the header is not an entry
      }
      format_ = ParsedList::Format::kThreatExchangePdq;
    }
  }

  NewEntry entry;
  std::string hash_field;
  std::optional<SignalType> line_signal = options_.signal;
  if (format_ == ParsedList::Format::kPlain) {
    hash_field = std::string(line);
  } else {
    std::optional<std::vector<std::string>> fields = SplitCsv(line);
    if (!fields) {
      Fail("unterminated quoted field");
      return false;
    }
    if (format_ == ParsedList::Format::kThreatExchangePdq) {
      hash_field = (*fields)[0];
      if (fields->size() > 1 && !(*fields)[1].empty()) {
        int quality = 0;
        if (absl::SimpleAtoi((*fields)[1], &quality) && quality >= 0 &&
            quality <= 100) {
          entry.metadata_json = absl::StrFormat("{\"quality\":%d}", quality);
        }
      }
      if (!line_signal) line_signal = SignalType::kPdq;
    } else {
      auto field = [&](const char* name) -> std::string {
        auto it = columns_.find(name);
        if (it == columns_.end() || it->second >= fields->size()) return "";
        return (*fields)[it->second];
      };
      hash_field = field("hash");
      const std::string signal_name = field("signal_type");
      if (!signal_name.empty()) {
        absl::StatusOr<SignalType> s = ParseSignalType(signal_name);
        if (!s.ok()) {
          Fail(absl::StripPrefix(s.status().message(), "bank: "));
          return false;
        }
        line_signal = *s;
      }
      entry.category = field("category");
      entry.source = field("source");
      entry.note = field("note");
      // A `metadata` column holds the metadata object itself (what
      // `hashwatch bank export` writes); other columns join it by name.
      nlohmann::ordered_json extra = nlohmann::ordered_json::object();
      const std::string metadata = field("metadata");
      if (!metadata.empty()) {
        extra = nlohmann::ordered_json::parse(metadata, nullptr, false);
        if (extra.is_discarded() || !extra.is_object()) {
          Fail("metadata column is not a JSON object");
          return false;
        }
      }
      for (const auto& [name, index] : columns_) {
        if (name == "hash" || name == "signal_type" || name == "category" ||
            name == "source" || name == "note" || name == "metadata" ||
            index >= fields->size() || (*fields)[index].empty()) {
          continue;
        }
        extra[name] = (*fields)[index];
      }
      if (!extra.empty()) {
        entry.metadata_json = extra.dump(
            -1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
    }
  }
  if (hash_field.empty()) {
    Fail("no hash on this line");
    return false;
  }
  absl::StatusOr<std::pair<SignalType, std::string>> resolved =
      ResolveHash(hash_field, line_signal);
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

ParsedList ParseHashList(absl::string_view content,
                         const ListParseOptions& options) {
  ParsedList out;
  ListParser parser(options);
  NewEntry entry;
  for (absl::string_view raw : absl::StrSplit(content, '\n')) {
    if (parser.ParseLine(raw, &entry)) out.entries.push_back(std::move(entry));
    if (parser.too_many_entries()) break;
  }
  out.format = parser.format();
  out.errors = parser.errors();
  out.error_count = parser.error_count();
  out.too_many_entries = parser.too_many_entries();
  return out;
}

}  // namespace hashwatch::matcher
