#include "loaders/sniff.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "loaders/encoding.h"
#include "loaders/xlsx.h"

namespace credlist {

InputFormat SniffFormat(std::string_view head) {
  if (LooksLikeZip(head)) return InputFormat::kXlsx;
  head = StripUtf8Bom(head);
  while (!head.empty() && (head[0] == ' ' || head[0] == '\t' || head[0] == '\r' || head[0] == '\n'))
    head.remove_prefix(1);
  if (head.starts_with("{")) return InputFormat::kNdjson;
  return InputFormat::kCsv;
}

Result<InputFormat> SniffFileFormat(const std::string& path) {
  if (path == "-") return InputFormat::kNdjson;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Io(path + ": " + std::strerror(errno));
  char buf[4096];
  const size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  // An empty file says nothing of itself: its name decides, so that the loader it goes to
  // reports it as a file with no rows.
  if (n == 0) {
    if (path.ends_with(".ndjson") || path.ends_with(".jsonl") || path.ends_with(".json"))
      return InputFormat::kNdjson;
    if (path.ends_with(".xlsx")) return InputFormat::kXlsx;
  }
  return SniffFormat(std::string_view(buf, n));
}

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kCsv:
      return "csv";
    case InputFormat::kNdjson:
      return "ndjson";
    case InputFormat::kXlsx:
      return "xlsx";
  }
  return "csv";
}

}  // namespace credlist
