// A snapshot of a PostgreSQL table of the city's sharing platform (`credlist load --postgres`).
//
// The table has the fields of an input record (API.md) as columns, by the same names; other
// columns are ignored and a missing optional column reads as null. Dates may be `date`,
// `timestamp[tz]` (taken as the Asia/Shanghai calendar day) or text in the form YYYY-MM-DD;
// `memoranda` is `text[]` (or text listing the ids, "P06,P07"). docs/postgres.md has the
// CREATE TABLE.
//
// The whole table is read as one consistent snapshot: one REPEATABLE READ READ ONLY
// transaction, one `COPY (SELECT ...) TO STDOUT` streamed row by row, so memory does not grow
// with the table. Each row goes through MakeEntry (engine/validate.h) exactly like a line of a
// file: a valid one to the sink, a bad one to the report with its row number (1-based, in COPY
// order), field and reason. Nothing is written to the database.
//
// Errors of the whole load are the returned Status: a bad table name or a table without `list`,
// `name` or any identifier column (InvalidArgument, naming the column), a missing table
// (NotFound), a failed connection or a broken COPY (IoError, with libpq's message; the password
// of the connection string is never in a message).
//
// A call opens and closes its own connection; calls are independent and may run on different
// threads at once. The sink and the progress callback are called on the calling thread.
#pragma once

#include <string>

#include "engine/status.h"
#include "loaders/load.h"

namespace credlist {

// Reads `table` ("name" or "schema.name"; SQL identifier rules: unquoted parts are folded to
// lower case, "double-quoted" parts are taken as they are) from the database that `conninfo`
// names (a libpq connection string: "host=... dbname=..." or a postgresql:// URI).
// `report` is filled as the rows are read (rows, loaded, rejected); options.progress is called
// every 50,000 rows and at the end, with the planner's row estimate as the total (0 if none).
Status LoadPostgresTable(const std::string& conninfo, const std::string& table,
                         const LoadOptions& options, const EntrySink& sink, LoadReport* report);

}  // namespace credlist
