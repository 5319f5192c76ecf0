// The policy catalogue over HTTP (DESIGN.md §5): GET /v1/memoranda, GET /v1/departments,
// GET /v1/measures?scenario=&memorandum=&kind=, and PUT /v1/measures (admin: the body is a
// whole measures.tsv, validated and swapped in at once, or refused with its line, field and
// reason and nothing changed).
//
// One PolicyService per server, shared by all threads: the catalog is thread-safe, and PUTs
// are serialised by the service's mutex so that the file kept and the policy published are
// always the same one.
#pragma once

#include <functional>
#include <mutex>
#include <string_view>

#include "engine/policy.h"
#include "server/encode.h"

namespace credlist {

struct Request;
struct Response;
struct Principal;
struct Worker;

struct PolicyService {
  PolicyCatalog catalog;
  // Keeps a validated measures file before it is published (serve writes it into the data
  // directory, so that it outlives a restart); an error refuses the PUT. Null: kept in memory.
  std::function<Status(std::string_view measures_tsv)> persist;
  std::mutex put_mu;
};

bool IsPolicyPath(std::string_view path);
void HandlePolicy(const Request& req, std::string_view path, std::string_view query,
                  const Principal& who, PolicyService* service, Worker& w, Response* res);

// The measures a check with `scenario` lists ("" or no service: none). `scenario` must have
// been checked with IsScenario.
MeasureContext MeasuresFor(PolicyService* service, Worker& w, std::string_view scenario);

}  // namespace credlist
