#include "loaders/postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/validate.h"

namespace credlist {
namespace {

constexpr uint64_t kProgressEvery = 50000;
constexpr size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1: PostgreSQL truncates past it

// The API fields a table may have as columns, and where each goes in EntryFields: the text
// fields of a record, then `memoranda` (no member: an array, parsed apart).
struct ColumnSpec {
  std::string_view name;
  std::string_view EntryFields::*member;
};
const std::vector<ColumnSpec>& Columns() {
  static const std::vector<ColumnSpec> columns = [] {
    std::vector<ColumnSpec> c;
    for (const EntryTextField& f : kDecisionFields) c.push_back({f.name, f.member});
    for (const EntryTextField& f : kStandingFields) c.push_back({f.name, f.member});
    c.push_back({"memoranda", nullptr});
    return c;
  }();
  return columns;
}

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
struct PqFreer {
  void operator()(void* p) const { PQfreemem(p); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---- Secrets ---------------------------------------------------------------------------------

// The passwords a connection string carries, found both by libpq's parser and by reading the
// text (a string libpq cannot parse may still be quoted, whole or in part, in its message): the
// value of password=... and the password in a URI's user info.
std::vector<std::string> PasswordsIn(const std::string& conninfo) {
  std::vector<std::string> out;
  if (PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr)) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o)
      if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && *o->val != '\0')
        out.emplace_back(o->val);
    PQconninfoFree(opts);
  }
  const std::string_view s = conninfo;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!s.starts_with(scheme)) continue;
    const std::string_view rest = s.substr(scheme.size());
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const size_t at = authority.rfind('@');
    if (at == std::string_view::npos) continue;
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos && colon + 1 < userinfo.size())
      out.emplace_back(userinfo.substr(colon + 1));
  }
  for (size_t pos = s.find("password"); pos != std::string_view::npos;
       pos = s.find("password", pos + 1)) {
    size_t p = pos + std::strlen("password");
    while (p < s.size() && IsSpace(s[p])) ++p;
    if (p >= s.size() || s[p] != '=') continue;
    ++p;
    while (p < s.size() && IsSpace(s[p])) ++p;
    std::string value;
    if (p < s.size() && s[p] == '\'') {
      for (++p; p < s.size() && s[p] != '\''; ++p) {
        if (s[p] == '\\' && p + 1 < s.size()) ++p;
        value += s[p];
      }
    } else {
      while (p < s.size() && !IsSpace(s[p]) && s[p] != '&') value += s[p++];
    }
    if (!value.empty()) out.push_back(std::move(value));
  }
  return out;
}

std::string Redact(std::string message, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (size_t pos = message.find(secret); pos != std::string::npos;
         pos = message.find(secret, pos + 3))
      message.replace(pos, secret.size(), "***");
  }
  return std::string(Trim(message));
}

// ---- Table names -----------------------------------------------------------------------------

// Splits "name" or "schema.name" by SQL's rules for identifiers: an unquoted part is letters,
// digits, _ and $ (not first), folded to lower case; a "quoted" part is taken as it is, ""
// standing for ". Returns the parts as the catalog spells them.
Result<std::vector<std::string>> ParseTableName(std::string_view text) {
  const std::string_view input = Trim(text);
  auto bad = [&](const char* why) {
    return Status::Invalid("table", "'" + std::string(text) + "' is not a table name: " + why);
  };
  if (input.empty()) return bad("it is empty");
  std::vector<std::string> parts;
  size_t i = 0;
  const size_t n = input.size();
  for (;;) {
    if (parts.size() == 2) return bad("give name or schema.name");
    std::string part;
    if (input[i] == '"') {
      bool closed = false;
      for (++i; i < n; ++i) {
        if (input[i] == '"') {
          if (i + 1 < n && input[i + 1] == '"') {
            part += '"';
            ++i;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        part += input[i];
      }
      if (!closed) return bad("a quote is not closed");
      if (part.empty()) return bad("a quoted part is empty");
    } else {
      for (; i < n && input[i] != '.'; ++i) {
        const unsigned char c = static_cast<unsigned char>(input[i]);
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
        const bool later = (c >= '0' && c <= '9') || c == '$';
        if (!letter && !(later && !part.empty()))
          return bad("an unquoted name is letters, digits, _ and $, not starting with a digit");
        part += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
      }
      if (part.empty()) return bad("a part is empty");
    }
    if (part.find('\0') != std::string::npos) return bad("it holds a NUL byte");
    if (part.size() > kMaxIdentifierBytes) return bad("a part is longer than 63 bytes");
    parts.push_back(std::move(part));
    if (i == n) break;
    if (input[i] != '.') return bad("a quoted part must be followed by '.' or end the name");
    if (++i == n) return bad("a part is empty");
  }
  return parts;
}

// ---- COPY text format ------------------------------------------------------------------------

struct CopyField {
  std::string_view text;
  bool null = false;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits one row of COPY's text format (without its newline) into fields: tab-separated, \N
// alone for null, backslash escapes (\b \f \n \r \t \v \\, octal \ooo, hex \xhh, any other
// character as itself). Escapes are decoded in place: decoding only ever shortens a field.
void SplitCopyRow(char* row, size_t len, std::vector<CopyField>* out) {
  out->clear();
  char* r = row;
  char* const end = row + len;
  for (;;) {
    if (end - r >= 2 && r[0] == '\\' && r[1] == 'N' && (end - r == 2 || r[2] == '\t')) {
      out->push_back({std::string_view(), true});
      r += 2;
    } else {
      char* const start = r;
      char* w = r;
      while (r < end && *r != '\t') {
        char c = *r++;
        if (c == '\\' && r < end) {
          const char e = *r++;
          switch (e) {
            case 'b':
              c = '\b';
              break;
            case 'f':
              c = '\f';
              break;
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'v':
              c = '\v';
              break;
            case 'x':
              if (r < end && HexValue(*r) >= 0) {
                int v = HexValue(*r++);
                if (r < end && HexValue(*r) >= 0) v = v * 16 + HexValue(*r++);
                c = static_cast<char>(v);
              } else {
                c = 'x';
              }
              break;
            default:
              if (e >= '0' && e <= '7') {
                int v = e - '0';
                for (int k = 0; k < 2 && r < end && *r >= '0' && *r <= '7'; ++k)
                  v = v * 8 + (*r++ - '0');
                c = static_cast<char>(v);
              } else {
                c = e;
              }
          }
        }
        *w++ = c;
      }
      out->push_back({std::string_view(start, static_cast<size_t>(w - start)), false});
    }
    if (r >= end) break;
    ++r;  // the tab
  }
}

// ---- Memoranda -------------------------------------------------------------------------------

// Parses a PostgreSQL array literal ({P06,P07}, {"P06"}, [0:1]={...}; a nested array is
// flattened) into its non-null elements, decoded into `storage`. False when `s` is not one.
bool ParseArrayLiteral(std::string_view s, std::string* storage,
                       std::vector<std::string_view>* out) {
  storage->clear();
  storage->reserve(s.size());  // elements never outgrow the literal: views stay valid
  size_t i = 0;
  const size_t n = s.size();
  while (i < n && IsSpace(s[i])) ++i;
  if (i < n && s[i] == '[') {  // dimension decoration
    const size_t eq = s.find('=', i);
    if (eq == std::string_view::npos) return false;
    i = eq + 1;
    while (i < n && IsSpace(s[i])) ++i;
  }
  if (i >= n || s[i] != '{') return false;
  int depth = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '{') {
      ++depth;
      ++i;
      continue;
    }
    if (c == '}') {
      --depth;
      ++i;
      if (depth == 0) break;
      continue;
    }
    if (c == ',' || IsSpace(c)) {
      ++i;
      continue;
    }
    const size_t start = storage->size();
    bool quoted = false;
    if (c == '"') {
      quoted = true;
      bool closed = false;
      for (++i; i < n;) {
        const char d = s[i++];
        if (d == '\\' && i < n) {
          storage->push_back(s[i++]);
        } else if (d == '"') {
          closed = true;
          break;
        } else {
          storage->push_back(d);
        }
      }
      if (!closed) return false;
    } else {
      size_t kept = start;  // unquoted: trailing white space is not part of the element
      while (i < n && s[i] != ',' && s[i] != '}') {
        const char d = s[i++];
        if (d == '{' || d == '"') return false;
        if (d == '\\' && i < n) {
          storage->push_back(s[i++]);
          kept = storage->size();
        } else {
          storage->push_back(d);
          if (!IsSpace(d)) kept = storage->size();
        }
      }
      storage->resize(kept);
    }
    const std::string_view element(storage->data() + start, storage->size() - start);
    const bool is_null = !quoted && element.size() == 4 && (element[0] | 0x20) == 'n' &&
                         (element[1] | 0x20) == 'u' && (element[2] | 0x20) == 'l' &&
                         (element[3] | 0x20) == 'l';
    if (is_null) {
      storage->resize(start);
    } else {
      out->push_back(element);
    }
  }
  if (depth != 0) return false;
  for (; i < n; ++i)
    if (!IsSpace(s[i])) return false;
  return true;
}

// Memoranda given as plain text: ids separated by commas, semicolons, 、，or white space.
void SplitMemorandaList(std::string_view s, std::vector<std::string_view>* out) {
  static constexpr std::string_view kWideSeparators[] = {"、", "，", "；"};
  size_t i = 0;
  size_t start = 0;
  auto flush = [&](size_t stop) {
    if (stop > start) out->push_back(s.substr(start, stop - start));
  };
  while (i < s.size()) {
    size_t width = 0;
    if (s[i] == ',' || s[i] == ';' || IsSpace(s[i])) {
      width = 1;
    } else {
      for (std::string_view sep : kWideSeparators)
        if (s.substr(i).starts_with(sep)) width = sep.size();
    }
    if (width == 0) {
      ++i;
      continue;
    }
    flush(i);
    i += width;
    start = i;
  }
  flush(s.size());
}

// Fills `out` from the memoranda column: an array literal, or a plain list. False when it
// looks like an array literal and is not one.
bool ParseMemoranda(std::string_view text, std::string* storage,
                    std::vector<std::string_view>* out) {
  out->clear();
  if (text.empty()) return true;
  if (text.front() == '{' || text.front() == '[') return ParseArrayLiteral(text, storage, out);
  SplitMemorandaList(text, out);
  return true;
}

// ---- The session -----------------------------------------------------------------------------

class Session {
 public:
  explicit Session(const std::string& conninfo) : secrets_(PasswordsIn(conninfo)) {}

  Status Connect(const std::string& conninfo) {
    const char* const keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* const values[] = {conninfo.c_str(), "credlist load", nullptr};
    conn_.reset(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
    if (!conn_) return Status::Io("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) return Error("cannot connect to PostgreSQL");
    // Text comes to us as UTF-8 whatever the database's encoding (a GBK database included).
    if (PQsetClientEncoding(conn_.get(), "UTF8") != 0)
      return Error("cannot set the client encoding to UTF8");
    return Status::Ok();
  }

  PGconn* conn() const { return conn_.get(); }

  // A Status::Io with `what` and libpq's last message, passwords removed.
  Status Error(const std::string& what, const PGresult* result = nullptr) const {
    const char* message = result != nullptr ? PQresultErrorMessage(result) : nullptr;
    if (message == nullptr || *message == '\0') message = PQerrorMessage(conn_.get());
    return Status::Io(what + ": " + Redact(message, secrets_));
  }

  // Runs `sql` (with text parameters) and expects `want`.
  Result<ResultPtr> Exec(const std::string& sql, const std::vector<std::string>& params,
                         ExecStatusType want) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    ResultPtr r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != want) return Error("PostgreSQL", r.get());
    return r;
  }

  Result<std::string> QuoteIdentifier(const std::string& name) const {
    std::unique_ptr<char, PqFreer> quoted(
        PQescapeIdentifier(conn_.get(), name.data(), name.size()));
    if (!quoted) return Status::Invalid("table", Redact(PQerrorMessage(conn_.get()), secrets_));
    return std::string(quoted.get());
  }

 private:
  std::vector<std::string> secrets_;
  ConnPtr conn_;
};

// The relation to read, with the columns found and how to select each.
struct TableShape {
  std::string quoted_name;   // "schema"."name", ready for SQL
  double row_estimate = 0;   // pg_class.reltuples; <= 0 when unknown
  std::vector<int> columns;  // indexes into Columns(), in SELECT order
  std::string select_list;   // the expressions, in the same order
};

Result<TableShape> DescribeTable(Session& session, const std::string& table) {
  auto parts = ParseTableName(table);
  if (!parts.ok()) return parts.status();
  TableShape shape;
  for (const std::string& part : *parts) {
    auto quoted = session.QuoteIdentifier(part);
    if (!quoted.ok()) return quoted.status();
    if (!shape.quoted_name.empty()) shape.quoted_name += '.';
    shape.quoted_name += *quoted;
  }

  auto rel = session.Exec(
      "SELECT c.oid::int8, c.relkind, c.reltuples::float8 FROM pg_catalog.pg_class c "
      "WHERE c.oid = pg_catalog.to_regclass($1)",
      {shape.quoted_name}, PGRES_TUPLES_OK);
  if (!rel.ok()) return rel.status();
  if (PQntuples(rel->get()) != 1)
    return Status::NotFound("table " + shape.quoted_name + " does not exist");
  const std::string oid = PQgetvalue(rel->get(), 0, 0);
  const char relkind = PQgetvalue(rel->get(), 0, 1)[0];
  if (std::strchr("rvmfp", relkind) == nullptr)
    return Status::Invalid("table", shape.quoted_name + " is not a table or a view");
  shape.row_estimate = std::atof(PQgetvalue(rel->get(), 0, 2));

  // Dates typed as dates (a domain over one too) are formatted by the server; everything else
  // comes as its text and is checked by MakeEntry like any other record.
  auto cols = session.Exec(
      "SELECT a.attname, COALESCE(NULLIF(t.typbasetype, 0), a.atttypid) IN "
      "('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype, "
      "'pg_catalog.timestamptz'::pg_catalog.regtype) "
      "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
      "WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped",
      {oid}, PGRES_TUPLES_OK);
  if (!cols.ok()) return cols.status();
  std::vector<int> is_date(Columns().size(), -1);  // -1: absent, 0: not a date type, 1: date
  for (int row = 0; row < PQntuples(cols->get()); ++row) {
    const std::string_view name = PQgetvalue(cols->get(), row, 0);
    for (size_t c = 0; c < Columns().size(); ++c)
      if (name == Columns()[c].name) is_date[c] = PQgetvalue(cols->get(), row, 1)[0] == 't';
  }

  auto has = [&](std::string_view name) {
    for (size_t c = 0; c < Columns().size(); ++c)
      if (name == Columns()[c].name) return is_date[c] >= 0;
    return false;
  };
  for (const char* required : {"list", "name"})
    if (!has(required))
      return Status::Invalid(required, "table " + shape.quoted_name + " has no column " + required);
  if (!has("uscc") && !has("reg_no") && !has("id_number"))
    return Status::Invalid("uscc", "table " + shape.quoted_name +
                                       " has none of the identifier columns uscc, reg_no, "
                                       "id_number");

  for (size_t c = 0; c < Columns().size(); ++c) {
    if (is_date[c] < 0) continue;
    auto column = session.QuoteIdentifier(std::string(Columns()[c].name));
    if (!column.ok()) return column.status();
    if (!shape.select_list.empty()) shape.select_list += ", ";
    shape.select_list += is_date[c] == 1 ? "pg_catalog.to_char(" + *column + ", 'YYYY-MM-DD')"
                                         : *column + "::pg_catalog.text";
    shape.columns.push_back(static_cast<int>(c));
  }
  return shape;
}

// "reason (entry_id X)": a table's row number alone is hard to find again in the table.
std::string WithEntryId(std::string reason, const std::string& field, std::string_view entry_id) {
  if (entry_id.empty() || field == "entry_id") return reason;
  return reason + " (entry_id " + std::string(entry_id) + ")";
}

}  // namespace

Status LoadPostgresTable(const std::string& conninfo, const std::string& table,
                         const LoadOptions& options, const EntrySink& sink, LoadReport* report) {
  Session session(conninfo);
  if (Status s = session.Connect(conninfo); !s.ok()) return s;

  // One snapshot for the catalog look-up and the whole COPY; timestamps read as Shanghai days.
  if (auto r =
          session.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}, PGRES_COMMAND_OK);
      !r.ok())
    return r.status();
  if (auto r = session.Exec("SET LOCAL TimeZone = 'Asia/Shanghai'", {}, PGRES_COMMAND_OK); !r.ok())
    return r.status();

  auto shape = DescribeTable(session, table);
  if (!shape.ok()) return shape.status();

  const std::string copy =
      "COPY (SELECT " + shape->select_list + " FROM " + shape->quoted_name + ") TO STDOUT";
  if (auto r = session.Exec(copy, {}, PGRES_COPY_OUT); !r.ok()) return r.status();

  const auto progress = [&](uint64_t done) {
    if (!options.progress) return;
    const uint64_t estimate =
        shape->row_estimate > 0 ? static_cast<uint64_t>(shape->row_estimate) : 0;
    options.progress(done, estimate > 0 ? std::max(estimate, done) : 0);
  };

  const size_t width = shape->columns.size();
  std::vector<CopyField> fields;
  fields.reserve(width);
  EntryFields f;
  std::string memoranda_storage;
  for (;;) {
    char* raw = nullptr;
    const int len = PQgetCopyData(session.conn(), &raw, /*async=*/0);
    if (len == -1) break;  // end of the COPY; its outcome is the next result
    if (len < 0) return session.Error("reading " + shape->quoted_name);
    const std::unique_ptr<char, PqFreer> hold(raw);
    const uint64_t row = ++report->rows;

    size_t size = static_cast<size_t>(len);
    if (size > 0 && raw[size - 1] == '\n') --size;
    SplitCopyRow(raw, size, &fields);
    if (fields.size() != width)
      return Status::Io("reading " + shape->quoted_name + ": row " + std::to_string(row) + " has " +
                        std::to_string(fields.size()) + " fields, not " + std::to_string(width));

    for (const ColumnSpec& spec : Columns())
      if (spec.member != nullptr) f.*spec.member = std::string_view();
    f.memoranda.clear();
    std::string_view memoranda;
    for (size_t i = 0; i < width; ++i) {
      const ColumnSpec& spec = Columns()[shape->columns[i]];
      const std::string_view value = fields[i].null ? std::string_view() : Trim(fields[i].text);
      if (spec.member != nullptr) {
        f.*spec.member = value;
      } else {
        memoranda = value;
      }
    }
    if (f.department.empty()) f.department = options.department;
    if (!ParseMemoranda(memoranda, &memoranda_storage, &f.memoranda)) {
      report->Reject(row, "memoranda",
                     WithEntryId("'" + std::string(memoranda) + "' is not an array of ids",
                                 "memoranda", f.entry_id));
    } else if (auto entry = MakeEntry(f); !entry.ok()) {
      report->Reject(row, entry.status().field(),
                     WithEntryId(entry.status().reason(), entry.status().field(), f.entry_id));
    } else {
      sink(std::move(*entry));
      ++report->loaded;
    }
    if (row % kProgressEvery == 0) progress(row);
  }

  ResultPtr done(PQgetResult(session.conn()));
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK)
    return session.Error("reading " + shape->quoted_name, done.get());
  while (PGresult* extra = PQgetResult(session.conn())) PQclear(extra);
  if (auto r = session.Exec("COMMIT", {}, PGRES_COMMAND_OK); !r.ok()) return r.status();
  progress(report->rows);
  return Status::Ok();
}

}  // namespace credlist
