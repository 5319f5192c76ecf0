// What an input file is, by its first bytes rather than its name (`credlist load`, `credlist
// screen`): a CSV saved as .txt is still a CSV, an .xlsx saved without extension still a
// workbook.
//   - PK\3\4 (a zip)                                  → xlsx
//   - '{' after an optional UTF-8 BOM and whitespace  → NDJSON
//   - anything else                                   → CSV (UTF-8 or GBK)
// An empty file is what its extension says (.ndjson, .jsonl, .json, .xlsx), else CSV.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

enum class InputFormat { kCsv, kNdjson, kXlsx };

InputFormat SniffFormat(std::string_view head);
// Reads the first bytes of `path` ("-": none, NDJSON from standard input, as before).
Result<InputFormat> SniffFileFormat(const std::string& path);
std::string_view InputFormatName(InputFormat format);  // csv, ndjson, xlsx

}  // namespace credlist
