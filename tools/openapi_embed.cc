// openapi_embed IN.yaml OUT.cc: turns the OpenAPI document (docs/openapi.yaml) into a C++
// source file that defines credlist::OpenApiJson() (server/openapi.h) as the same document in
// JSON. Run by the build; exits non-zero, naming the line, on YAML that has no JSON form.
//
// The YAML is read with yaml-cpp (Debian's libyaml-cpp-dev). Scalars are typed as YAML 1.2's
// core schema does for JSON: a quoted or block scalar is a string; a plain one is null, a
// boolean, or a number when it reads as one, and a string otherwise. A plain scalar in a
// YAML-only number form (+1, 0x1F, 0o17, .5, .inf) is refused rather than guessed: quote it,
// or write it as JSON would. Mapping keys are strings; maps keep the document's order.
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

namespace {

struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string Where(const YAML::Node& n) { return "line " + std::to_string(n.Mark().line + 1); }

void AppendJsonString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendPlainScalar(const YAML::Node& n, std::string* out) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("true|True|TRUE"), kFalse("false|False|FALSE");
  static const std::regex kJsonNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  static const std::regex kYamlNumber(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0o[0-7]+|0x[0-9a-fA-F]+)");
  const std::string& s = n.Scalar();
  if (std::regex_match(s, kNull)) {
    *out += "null";
  } else if (std::regex_match(s, kTrue)) {
    *out += "true";
  } else if (std::regex_match(s, kFalse)) {
    *out += "false";
  } else if (std::regex_match(s, kJsonNumber)) {
    *out += s;
  } else if (std::regex_match(s, kYamlNumber)) {
    throw Refused(Where(n) + ": '" + s + "' is a YAML number JSON cannot write as such; quote it");
  } else {
    AppendJsonString(s, out);
  }
}

void AppendJson(const YAML::Node& n, std::string* out) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      *out += "null";
      return;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags a quoted or block scalar "!" and a plain one "?".
      if (n.Tag() == "!") return AppendJsonString(n.Scalar(), out);
      if (n.Tag() != "?") throw Refused(Where(n) + ": tag '" + n.Tag() + "' has no JSON form");
      return AppendPlainScalar(n, out);
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (const YAML::Node& item : n) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(item, out);
      }
      out->push_back(']');
      return;
    }
    case YAML::NodeType::Map: {
      out->push_back('{');
      bool first = true;
      for (const auto& kv : n) {
        if (!kv.first.IsScalar())
          throw Refused(Where(kv.first) + ": a mapping key must be a scalar");
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(kv.first.Scalar(), out);
        out->push_back(':');
        AppendJson(kv.second, out);
      }
      out->push_back('}');
      return;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  throw Refused(Where(n) + ": an undefined node");
}

// `json` as a sequence of C++ string literals: printable ASCII as is, every other byte as a
// three-digit octal escape (which, unlike \x, cannot swallow the character after it).
std::string CxxLiterals(const std::string& json) {
  std::string out = "    \"";
  size_t col = 0;
  for (unsigned char c : json) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f && c != '?') {  // '?': no trigraphs to think about
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
    if (++col == 96) {
      out += "\"\n    \"";
      col = 0;
    }
  }
  out += "\"";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: openapi_embed IN.yaml OUT.cc\n");
    return 2;
  }
  std::string json;
  try {
    const YAML::Node doc = YAML::LoadFile(argv[1]);
    if (!doc.IsMap() || !doc["openapi"]) throw Refused("not an OpenAPI document (no 'openapi')");
    AppendJson(doc, &json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
  out << "// Generated from docs/openapi.yaml by tools/openapi_embed.cc. Do not edit.\n"
      << "#include \"server/openapi.h\"\n\n"
      << "namespace credlist {\n\n"
      << "namespace {\n"
      << "constexpr char kDocument[] =\n"
      << CxxLiterals(json) << ";\n"
      << "}  // namespace\n\n"
      << "std::string_view OpenApiJson() { return {kDocument, sizeof kDocument - 1}; }\n\n"
      << "}  // namespace credlist\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write\n", argv[2]);
    return 1;
  }
  return 0;
}
