// The answer of a screen (server/screen.h: NDJSON lines, one per hit or invalid row, then the
// summary) as an .xlsx workbook, for POST /v1/screen with Accept: the xlsx type.
//
// Sheet 筛查结果: one row per entry of a hit (a hit with no entry listed, one row), and one per
// invalid row with its error; columns 行, 查询标识, 名称, 结果, 名单, 类型, 主体名称, 认定部门,
// 认定日期, 有效期至, 状态, 核查编号, 错误. Sheet 汇总: rows, hits, invalid. Every cell is text
// (formats/xlsx_writer.h). The lines are the screen's own; what they mask stays masked.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

Status ScreenResultToXlsx(std::string_view ndjson, std::string* out);

}  // namespace credlist
