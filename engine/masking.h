// Masking of natural persons' data for anyone without a token (API.md "Roles"; seed 三(二):
// 技术处理): a name keeps its first character and masks each other one (张*, 欧**), a certificate
// number keeps its first 6 and last 4 characters. Pure functions; append to a caller-owned
// string and allocate nothing else; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace credlist {

// 张三丰 → 张**; one '*' per UTF-8 character.
void AppendMaskedName(std::string_view name, std::string* out);
// 21080219800101001X → 210802********001X; a number of 10 characters or fewer is all '*'.
void AppendMaskedNumber(std::string_view number, std::string* out);

}  // namespace credlist
