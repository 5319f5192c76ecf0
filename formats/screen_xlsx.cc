#include "formats/screen_xlsx.h"

#include <simdjson.h>

#include <array>
#include <string>

#include "formats/xlsx_writer.h"

namespace credlist {
namespace {

constexpr std::array<std::string_view, 13> kHeader = {
    "行",       "查询标识", "名称",     "结果", "名单",     "类型", "主体名称",
    "认定部门", "认定日期", "有效期至", "状态", "核查编号", "错误"};

std::string Text(simdjson::dom::element v) {
  if (v.is_string()) return std::string(std::string_view(v));
  if (v.is_int64()) return std::to_string(int64_t(v));
  if (v.is_uint64()) return std::to_string(uint64_t(v));
  if (v.is_bool()) return bool(v) ? "true" : "false";
  return {};
}

std::string Member(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element v;
  if (o.at_key(key).get(v)) return {};
  return Text(v);
}

}  // namespace

Status ScreenResultToXlsx(std::string_view ndjson, std::string* out) {
  auto writer = XlsxTableWriter::Create();
  if (!writer.ok()) return writer.status();
  XlsxTableWriter& w = **writer;
  if (Status s = w.AddSheet("筛查结果", kHeader); !s.ok()) return s;
  simdjson::dom::parser parser;
  std::array<std::string, kHeader.size()> row;
  std::array<std::string_view, kHeader.size()> cells;
  std::string summary[3];
  auto emit = [&]() -> Status {
    for (size_t i = 0; i < row.size(); ++i) cells[i] = row[i];
    return w.AddRow(cells);
  };
  while (!ndjson.empty()) {
    const size_t nl = ndjson.find('\n');
    const std::string_view line = ndjson.substr(0, nl);
    ndjson.remove_prefix(nl == std::string_view::npos ? ndjson.size() : nl + 1);
    if (line.empty()) continue;
    simdjson::dom::object o;
    if (parser.parse(line.data(), line.size()).get(o))
      return Status::Io("the screen's answer is not JSON");
    simdjson::dom::object sum;
    if (!o["summary"].get(sum)) {
      summary[0] = Member(sum, "rows");
      summary[1] = Member(sum, "hits");
      summary[2] = Member(sum, "invalid");
      continue;
    }
    for (std::string& c : row) c.clear();
    row[0] = Member(o, "row");
    row[1] = Member(o, "key");
    row[2] = Member(o, "name");
    simdjson::dom::object error;
    if (!o["error"].get(error)) {
      row[3] = "invalid";
      row[12] = Member(error, "field") + ": " + Member(error, "reason");
      if (Status s = emit(); !s.ok()) return s;
      continue;
    }
    row[3] = Member(o, "status");
    row[11] = Member(o, "check_id");
    simdjson::dom::array entries;
    bool any = false;
    if (!o["entries"].get(entries)) {
      for (simdjson::dom::element e : entries) {
        simdjson::dom::object entry;
        if (e.get(entry)) continue;
        row[4] = Member(entry, "list");
        row[5] = Member(entry, "category");
        row[6] = Member(entry, "name");
        row[7] = Member(entry, "department");
        row[8] = Member(entry, "decided_on");
        row[9] = Member(entry, "valid_until");
        row[10] = Member(entry, "state");
        if (Status s = emit(); !s.ok()) return s;
        any = true;
      }
    }
    if (!any)
      if (Status s = emit(); !s.ok()) return s;
  }
  constexpr std::array<std::string_view, 2> kSummaryHeader = {"项目", "数量"};
  if (Status s = w.AddSheet("汇总", kSummaryHeader); !s.ok()) return s;
  const char* names[3] = {"rows", "hits", "invalid"};
  for (int i = 0; i < 3; ++i) {
    const std::array<std::string_view, 2> r = {names[i], summary[i]};
    if (Status s = w.AddRow(r); !s.ok()) return s;
  }
  return w.Finish(out);
}

}  // namespace credlist
