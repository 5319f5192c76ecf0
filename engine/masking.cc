#include "engine/masking.h"

#include <algorithm>

namespace credlist {
namespace {

size_t Utf8Len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace

void AppendMaskedName(std::string_view name, std::string* out) {
  size_t i = 0;
  bool first = true;
  while (i < name.size()) {
    const size_t n = std::min(Utf8Len(static_cast<unsigned char>(name[i])), name.size() - i);
    if (first)
      out->append(name.substr(i, n));
    else
      out->push_back('*');
    first = false;
    i += n;
  }
}

void AppendMaskedNumber(std::string_view number, std::string* out) {
  if (number.size() <= 10) {
    out->append(number.size(), '*');
    return;
  }
  out->append(number.substr(0, 6));
  out->append(number.size() - 10, '*');
  out->append(number.substr(number.size() - 4));
}

}  // namespace credlist
