#include "bench/eval/csv.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hashwatch::bench {

std::string CsvField(absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos)
    return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvLine(absl::Span<const std::string> fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(fields[i]);
  }
  out += '\n';
  return out;
}

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "";
  std::string s = absl::StrFormat("%.*f", decimals, value);
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos)
    s.erase(0, 1);
  return s;
}

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(
    absl::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  int line = 1;
  size_t i = 0;
  bool field_started = false;  // something (even "") was read for this field
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    records.push_back(std::move(record));
    record.clear();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && !field_started) {
      field_started = true;
      const int start_line = line;
      ++i;
      while (true) {
        if (i >= text.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "csv: line ", start_line, ": unterminated quoted field"));
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' &&
          text[i] != '\r') {
        return absl::InvalidArgumentError(
            absl::StrCat("csv: line ", line, ": text after a closing quote"));
      }
      continue;
    }
    if (c == '"') {
      return absl::InvalidArgumentError(
          absl::StrCat("csv: line ", line, ": quote inside an unquoted field"));
    }
    if (c == ',') {
      end_field();
      ++i;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    if (c == '\n' || c == '\r') {
      end_record();
      ++line;
      ++i;
      continue;
    }
    field += c;
    field_started = true;
    ++i;
  }
  if (field_started || !field.empty() || !record.empty()) end_record();
  return records;
}

}  // namespace hashwatch::bench
