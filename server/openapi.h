// The OpenAPI 3.1 document of the API (docs/openapi.yaml), as JSON, compiled into the binary.
//
// The build converts the YAML with tools/openapi_embed.cc into a generated source file, so
// the server reads no file at run time and the document it answers at GET /openapi.json is
// the one in the source tree it was built from.
#pragma once

#include <string_view>

namespace credlist {

// The whole document, one JSON object, UTF-8; lives as long as the program.
std::string_view OpenApiJson();

}  // namespace credlist
