// Args: the flags and operands of one credlist command.
//
// `--name value`, `--name=value` and boolean `--name`; everything else is an operand. A command
// declares the flags it knows; any other flag is an error that names it. Not thread-safe.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace credlist {

class Args {
 public:
  // Parses argv[first..argc). `valued` flags take a value, `booleans` don't.
  Args(int argc, char** argv, int first, std::set<std::string> valued,
       std::set<std::string> booleans);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& operands() const { return operands_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> operands_;
  std::string error_;
};

}  // namespace credlist
