// JSON request bodies: one place that tells a malformed body (not JSON at all) from a body that
// is JSON but says something wrong, for every route that takes JSON (POST /v1/check, the life
// cycle's writes, POST /v1/feedback).
//
// A malformed body is a 400 whose detail and reason say "malformed JSON at byte N: WHAT", N
// being the 0-based byte offset in the body where it stops being JSON (docs/api-decisions.md).
// simdjson validates (its DOM parser checks the whole document, UTF-8 included) but does not
// say where a document breaks; FindJsonSyntaxError walks the body once more, only then, to
// find the place.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace credlist {

struct JsonSyntaxError {
  size_t offset = 0;  // of the first byte that cannot continue a JSON text; size() when cut short
  std::string what;   // e.g. "expected a value, found '}'"
};

// Where `text` first fails to be one JSON value (RFC 8259: UTF-8, whitespace around, nesting up
// to 1024 levels as simdjson allows); nullopt when it is one. An empty text fails at byte 0.
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text);

// InvalidArgument on field "body", "malformed JSON at byte N: WHAT". `simdjson_error` is
// simdjson's verdict, used when the walk finds nothing (a number out of range, say).
Status MalformedJson(std::string_view body, simdjson::error_code simdjson_error);

// Parses `body` as one JSON document into *out with `parser`: OK, or MalformedJson. A body of
// whitespace only is taken as {} when `empty_is_object` (a transition needs no body), else it
// is malformed. The element lives as long as the parser's next parse.
Status ParseJsonBody(std::string_view body, bool empty_is_object, simdjson::dom::parser& parser,
                     simdjson::dom::element* out);

}  // namespace credlist
