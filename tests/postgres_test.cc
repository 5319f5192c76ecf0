// LoadPostgresTable against a real PostgreSQL server.
//
// The fixture runs a private server for the test suite: initdb into a fresh directory under
// /tmp, `postgres` listening only on a unix socket in that directory (no TCP), on a random
// port. initdb and postgres refuse to run as root, so as root (CI) they run as the `postgres`
// system user through setpriv. The server dies with the test process (parent-death signal) and
// is stopped, and its directory removed, in TearDownTestSuite whatever the tests' outcome.
// Without the PostgreSQL server binaries every test fails, saying what to install.
#include "loaders/postgres.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/date.h"
#include "engine/entry.h"
#include "engine/ids.h"

namespace credlist {
namespace {

namespace fs = std::filesystem;

// ---- The private server ----------------------------------------------------------------------

// The newest /usr/lib/postgresql/<version>/bin with initdb and postgres, or $CREDLIST_PG_BINDIR.
fs::path FindPostgresBinaries() {
  if (const char* dir = std::getenv("CREDLIST_PG_BINDIR"); dir != nullptr && *dir != '\0')
    return dir;
  fs::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = d.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "postgres")) continue;
    const int version = std::atoi(d.path().filename().c_str());
    if (version > best_version) {
      best_version = version;
      best = bin;
    }
  }
  return best;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Server {
 public:
  // Starts the server; "" on success, else what went wrong.
  std::string Start() {
    const fs::path bin = FindPostgresBinaries();
    if (bin.empty() || !fs::exists(bin / "initdb") || !fs::exists(bin / "postgres"))
      return "the PostgreSQL server binaries (initdb, postgres) are not in " +
             (bin.empty() ? std::string("/usr/lib/postgresql/*/bin") : bin.string()) +
             ": install the postgresql package (apt-get install postgresql), or set "
             "CREDLIST_PG_BINDIR to their directory";
    as_root_ = geteuid() == 0;
    const passwd* pg_user = as_root_ ? getpwnam("postgres") : nullptr;
    if (as_root_ && pg_user == nullptr)
      return "running as root, and initdb/postgres refuse root: there is no `postgres` system "
             "user to run them as (the postgresql package creates it)";
    if (as_root_ && !fs::exists("/usr/bin/setpriv"))
      return "running as root: /usr/bin/setpriv (util-linux) is needed to run postgres as the "
             "postgres user";

    char tmpl[] = "/tmp/credlist-pg-XXXXXX";  // short: a socket path has at most 107 bytes
    if (mkdtemp(tmpl) == nullptr) return std::string("mkdtemp: ") + std::strerror(errno);
    dir_ = tmpl;
    if (as_root_ && chown(tmpl, pg_user->pw_uid, pg_user->pw_gid) != 0)
      return std::string("chown ") + tmpl + ": " + std::strerror(errno);
    log_ = dir_ / "server.log";

    const int rc = Wait(Spawn({(bin / "initdb").string(), "-D", (dir_ / "data").string(), "-U",
                               "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"}));
    if (rc != 0) return "initdb failed (" + std::to_string(rc) + "):\n" + ReadFile(log_);

    std::mt19937 rng(std::random_device{}());
    port_ = std::uniform_int_distribution<int>(20000, 60000)(rng);
    pid_ = Spawn({(bin / "postgres").string(), "-D", (dir_ / "data").string(), "-k", dir_.string(),
                  "-p", std::to_string(port_), "-c", "listen_addresses=", "-c", "fsync=off", "-c",
                  "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                  "shared_buffers=16MB", "-c", "max_connections=20"});
    if (pid_ <= 0) return "cannot start postgres";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(Conninfo().c_str()) != PQPING_OK) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "postgres exited at start:\n" + ReadFile(log_);
      }
      if (std::chrono::steady_clock::now() > deadline)
        return "postgres is not ready after 60 s:\n" + ReadFile(log_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGINT);  // fast shutdown
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      int status = 0;
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  std::string Conninfo() const {
    return "host=" + dir_.string() + " port=" + std::to_string(port_) +
           " user=postgres dbname=postgres";
  }

 private:
  // Forks and execs argv (through setpriv as the postgres user when we are root), in the
  // server directory, output to the log. The child gets SIGTERM when this process dies.
  pid_t Spawn(const std::vector<std::string>& argv) {
    std::vector<std::string> full;
    if (as_root_)
      full = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
              "--init-groups",    "--pdeathsig=TERM", "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (std::string& a : full) args.push_back(a.data());
    args.push_back(nullptr);
    const std::string log = log_.string();
    const std::string dir = dir_.string();
    const pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (chdir(dir.c_str()) != 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }

  static int Wait(pid_t pid) {
    if (pid <= 0) return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  bool as_root_ = false;
  fs::path dir_;
  fs::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// ---- Test identifiers ------------------------------------------------------------------------

// A valid USCC of a Yingkou (2108xx) enterprise whose organisation code is `n`.
std::string MakeUscc(int n) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%08d", n);
  std::string org = digits;
  org += OrgCodeCheckChar(org);
  std::string first17 = "91210800" + org;
  return first17 + UsccCheckChar(first17);
}

// A valid 18-digit ID number of someone born on 1980-01-01, sequence `n` (0..999).
std::string MakeIdNumber(int n) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "21080219800101%03d", n % 1000);
  std::string first17 = digits;
  return first17 + IdNumberCheckChar(first17);
}

// A valid 工商注册号 with serial `n`.
std::string MakeRegNo(int n) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "210800%08d", n);
  std::string first14 = digits;
  return first14 + RegNoCheckDigit(first14);
}

Day D(const char* iso) { return *ParseIsoDate(iso); }

uint64_t Memo(std::initializer_list<const char*> ids) {
  uint64_t mask = 0;
  for (const char* id : ids) mask |= uint64_t{1} << *ParseMemorandumId(id);
  return mask;
}

struct Loaded {
  Status status;
  LoadReport report;
  std::vector<Entry> entries;
  std::vector<std::pair<uint64_t, uint64_t>> progress;
};

// ---- The fixture -----------------------------------------------------------------------------

class PostgresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Server;
    setup_error_ = new std::string(server_->Start());
    if (setup_error_->empty()) {
      admin_ = PQconnectdb(server_->Conninfo().c_str());
      if (PQstatus(admin_) != CONNECTION_OK)
        *setup_error_ = std::string("cannot connect: ") + PQerrorMessage(admin_);
    }
  }

  static void TearDownTestSuite() {
    if (admin_ != nullptr) PQfinish(admin_);
    admin_ = nullptr;
    server_->Stop();
    delete server_;
    server_ = nullptr;
    delete setup_error_;
    setup_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_->empty()) << "no PostgreSQL server for the test: " << *setup_error_;
  }

  // Runs SQL on the administrative connection; a failure is a test failure.
  static bool Sql(const std::string& sql) {
    PGresult* r = PQexec(admin_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) ADD_FAILURE() << sql << "\n" << PQresultErrorMessage(r);
    PQclear(r);
    return ok;
  }

  static std::string SqlValue(const std::string& sql) {
    PGresult* r = PQexec(admin_, sql.c_str());
    std::string v;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
      v = PQgetvalue(r, 0, 0);
    } else {
      ADD_FAILURE() << sql << "\n" << PQresultErrorMessage(r);
    }
    PQclear(r);
    return v;
  }

  // COPY `data` (COPY text format) into a table through COPY FROM STDIN.
  static bool CopyIn(const std::string& copy_from_stdin, const std::string& data) {
    PGresult* r = PQexec(admin_, copy_from_stdin.c_str());
    const bool started = PQresultStatus(r) == PGRES_COPY_IN;
    if (!started) ADD_FAILURE() << copy_from_stdin << "\n" << PQresultErrorMessage(r);
    PQclear(r);
    if (!started) return false;
    constexpr size_t kChunk = 1 << 16;
    for (size_t at = 0; at < data.size(); at += kChunk) {
      const size_t n = std::min(kChunk, data.size() - at);
      if (PQputCopyData(admin_, data.data() + at, static_cast<int>(n)) != 1) return false;
    }
    if (PQputCopyEnd(admin_, nullptr) != 1) return false;
    bool ok = true;
    while (PGresult* res = PQgetResult(admin_)) {
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        ADD_FAILURE() << PQresultErrorMessage(res);
        ok = false;
      }
      PQclear(res);
    }
    return ok;
  }

  static Loaded Load(const std::string& table, LoadOptions options = {},
                     const std::string& conninfo = "") {
    Loaded out;
    options.progress = [&out](uint64_t done, uint64_t total) {
      out.progress.emplace_back(done, total);
    };
    out.status = LoadPostgresTable(
        conninfo.empty() ? server_->Conninfo() : conninfo, table, options,
        [&out](Entry&& e) { out.entries.push_back(std::move(e)); }, &out.report);
    return out;
  }

  static const Entry* Find(const Loaded& loaded, const std::string& entry_id) {
    for (const Entry& e : loaded.entries)
      if (e.entry_id == entry_id) return &e;
    return nullptr;
  }

  static Server* server_;
  static std::string* setup_error_;
  static PGconn* admin_;
};

Server* PostgresTest::server_ = nullptr;
std::string* PostgresTest::setup_error_ = nullptr;
PGconn* PostgresTest::admin_ = nullptr;

// Every API field as a column, dates as `date`.
constexpr const char* kFullTable = R"sql(
  CREATE TABLE %s (
    entry_id text PRIMARY KEY, list text, category text, subject_type text, name text,
    uscc text, reg_no text, id_type text, id_number text, legal_rep text,
    legal_rep_id_number text, conduct text, outcome text, department text, basis text,
    decided_on %s, valid_from %s, valid_until %s, memoranda text[], state text,
    exit_reason text, remarks text))sql";

std::string FullTable(const std::string& name, const std::string& date_type) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, kFullTable, name.c_str(), date_type.c_str(), date_type.c_str(),
                date_type.c_str());
  return buf;
}

// ---- Tests -----------------------------------------------------------------------------------

TEST_F(PostgresTest, LoadsEveryFieldFromDateColumns) {
  ASSERT_TRUE(Sql(FullTable("full_dates", "date")));
  const std::string reg_no = MakeRegNo(1234567);
  ASSERT_TRUE(Sql(
      "INSERT INTO full_dates VALUES "
      "('B-1', 'black', '失信被执行人', 'legal_person', '营口某某贸易有限公司', "
      " '91330100716105852F', '" +
      reg_no +
      "', NULL, NULL, '张某', '11010519491231002X', "
      " E'拒不履行\\t生效判决\\n第二行 \\\\ \"引号\"', '限制高消费', '市中级人民法院', "
      " '《民事诉讼法》', '2025-03-01', '2025-03-02', '2028-03-01', ARRAY['P06','P07'], "
      " 'in_force', NULL, 'ignored column'),"
      "('R-1', 'red', '纳税信用A级', NULL, '李某', NULL, NULL, NULL, '11010519491231002X', "
      " NULL, NULL, NULL, NULL, '市税务局', NULL, '2024-12-31', NULL, NULL, '{R01}', NULL, "
      " NULL, NULL),"
      "('W-1', 'watch', NULL, 'other_org', '营口某某协会', '９１４４０３００７１５２６７２６xg', "
      " NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, '2025-01-01', '2025-01-01', "
      " 'infinity', '{}', 'exited', 'expired', NULL)"));

  LoadOptions options;
  options.department = "市信用办";
  const Loaded got = Load("full_dates", options);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.report.rows, 3u);
  EXPECT_EQ(got.report.loaded, 3u);
  EXPECT_EQ(got.report.rejected, 0u);
  ASSERT_EQ(got.entries.size(), 3u);

  const Entry* b = Find(got, "B-1");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->list, ListKind::kBlack);
  EXPECT_EQ(b->category, "失信被执行人");
  EXPECT_EQ(b->subject_type, SubjectType::kLegalPerson);
  EXPECT_EQ(b->name, "营口某某贸易有限公司");
  EXPECT_EQ(FormatKey(b->uscc), "91330100716105852F");
  EXPECT_EQ(FormatKey(b->reg_no), reg_no);
  EXPECT_TRUE(b->id_number.empty());
  EXPECT_EQ(b->legal_rep, "张某");
  EXPECT_EQ(FormatKey(b->legal_rep_id), "11010519491231002X");
  EXPECT_EQ(b->conduct, "拒不履行\t生效判决\n第二行 \\ \"引号\"");  // COPY escapes decoded
  EXPECT_EQ(b->outcome, "限制高消费");
  EXPECT_EQ(b->department, "市中级人民法院");  // given: not replaced by --department
  EXPECT_EQ(b->basis, "《民事诉讼法》");
  EXPECT_EQ(b->decided_on, D("2025-03-01"));
  EXPECT_EQ(b->valid_from, D("2025-03-02"));
  EXPECT_EQ(b->valid_until, D("2028-03-01"));
  EXPECT_EQ(b->memoranda, Memo({"P06", "P07"}));
  EXPECT_EQ(b->state, State::kInForce);

  const Entry* r = Find(got, "R-1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->list, ListKind::kRed);
  EXPECT_EQ(r->subject_type, SubjectType::kNaturalPerson);  // an ID number alone
  EXPECT_EQ(FormatKey(r->id_number), "11010519491231002X");
  EXPECT_EQ(r->id_type, "居民身份证");
  EXPECT_TRUE(r->uscc.empty());
  EXPECT_EQ(r->department, "市税务局");
  EXPECT_EQ(r->decided_on, D("2024-12-31"));
  EXPECT_EQ(r->valid_from, D("2024-12-31"));  // valid_from null: from decided_on
  EXPECT_EQ(r->valid_until, kForever);        // valid_until null: no end
  EXPECT_EQ(r->memoranda, Memo({"R01"}));
  EXPECT_EQ(r->state, State::kInForce);  // state null: in force

  const Entry* w = Find(got, "W-1");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->list, ListKind::kWatch);
  EXPECT_EQ(w->subject_type, SubjectType::kOtherOrg);
  EXPECT_EQ(FormatKey(w->uscc), "9144030071526726XG");  // full width, lower case normalised
  EXPECT_EQ(w->department, "市信用办");                 // empty: from LoadOptions
  EXPECT_EQ(w->valid_until, kForever);                  // 'infinity'
  EXPECT_EQ(w->memoranda, 0u);
  EXPECT_EQ(w->state, State::kExited);
  EXPECT_EQ(w->exit_reason, ExitReason::kExpired);
}

TEST_F(PostgresTest, TextDatesAndRejectedRows) {
  ASSERT_TRUE(Sql(FullTable("text_dates", "text")));
  // Row numbers follow the COPY order, which for a fresh table is the order of insertion.
  ASSERT_TRUE(Sql(
      "INSERT INTO text_dates (entry_id, list, name, uscc, id_number, decided_on, valid_from, "
      "valid_until, memoranda) VALUES "
      "('T-1', 'black', '甲公司', '914403001922038216', NULL, ' 2025-03-01 ', NULL, "
      " '2026-03-01', '{P06}'),"  // 1 ok
      "('T-2', 'black', '乙公司', '914403001922038217', NULL, '2025-03-01', NULL, NULL, NULL),"  // 2
      "('T-3', NULL, '丙公司', '914403001922038216', NULL, '2025-03-01', NULL, NULL, NULL),"    // 3
      "('T-4', 'grey', '丁公司', '914403001922038216', NULL, '2025-03-01', NULL, NULL, NULL),"  // 4
      "('T-5', 'red', '戊公司', '914403001922038216', NULL, '2025/03/01', NULL, NULL, NULL),"   // 5
      "('T-6', 'black', '己公司', '914403001922038216', NULL, '2025-03-01', NULL, NULL, "
      " '{P06,X99}'),"                                                           // 6
      "('T-7', 'black', '庚公司', NULL, NULL, '2025-03-01', NULL, NULL, NULL),"  // 7
      "('T-8', 'black', '辛公司', '914403001922038216', NULL, '2025-03-01', '2025-03-01', "
      " '2025-02-01', NULL),"                                                                  // 8
      "('T-9', 'black', '壬某', NULL, '110105194912310021', '2025-03-01', NULL, NULL, NULL),"  // 9
      "('T-10', 'red', '', '914403001922038216', NULL, '2025-03-01', NULL, NULL, NULL),"       // 10
      "('T-11', 'red', '癸公司', '91110000600037341L', NULL, '2025-02-30', NULL, NULL, NULL),"  // 11
      "('T-12', 'red', '子公司', '91110000600037341L', NULL, '2025-04-01', '2025-04-02', "
      " '2027-04-01', '{R01,\"R02\"}')"));  // 12 ok

  const Loaded got = Load("text_dates");
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(got.report.rows, 12u);
  EXPECT_EQ(got.report.loaded, 2u);
  EXPECT_EQ(got.report.rejected, 10u);
  ASSERT_EQ(got.entries.size(), 2u);
  EXPECT_EQ(got.entries[0].entry_id, "T-1");
  EXPECT_EQ(got.entries[0].decided_on, D("2025-03-01"));  // text, surrounding spaces trimmed
  EXPECT_EQ(got.entries[0].valid_until, D("2026-03-01"));
  EXPECT_EQ(got.entries[0].memoranda, Memo({"P06"}));
  EXPECT_EQ(got.entries[1].entry_id, "T-12");
  EXPECT_EQ(got.entries[1].valid_from, D("2025-04-02"));
  EXPECT_EQ(got.entries[1].memoranda, Memo({"R01", "R02"}));

  const std::vector<std::pair<uint64_t, std::string>> want = {
      {2, "uscc"}, {3, "list"},        {4, "list"},      {5, "decided_on"}, {6, "memoranda"},
      {7, "uscc"}, {8, "valid_until"}, {9, "id_number"}, {10, "name"},      {11, "decided_on"},
  };
  ASSERT_EQ(got.report.errors.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.report.errors[i].row, want[i].first) << i;
    EXPECT_EQ(got.report.errors[i].field, want[i].second) << "row " << want[i].first;
    // A table's row number is hard to find again: the reason names the entry too.
    EXPECT_NE(
        got.report.errors[i].reason.find("(entry_id T-" + std::to_string(want[i].first) + ")"),
        std::string::npos)
        << got.report.errors[i].reason;
  }
  EXPECT_NE(got.report.errors[4].reason.find("X99"), std::string::npos);
  EXPECT_EQ(got.progress.back(), (std::pair<uint64_t, uint64_t>{12, 0}));  // never analysed
}

TEST_F(PostgresTest, TimestampsAreShanghaiDaysAndTextIsUtf8) {
  ASSERT_TRUE(
      Sql("CREATE TABLE stamps (list text, name text, uscc text, decided_on timestamptz, "
          "valid_from timestamp, valid_until date)"));
  ASSERT_TRUE(
      Sql("INSERT INTO stamps VALUES ('red', '营口港务集团', '914403001922038216', "
          "'2025-02-28 17:00:00+00', '2025-03-01 23:59:59', '2026-03-01')"));
  // The client asks for GBK; the loader still reads UTF-8.
  const Loaded got = Load("stamps", {}, server_->Conninfo() + " options='-c client_encoding=GBK'");
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  ASSERT_EQ(got.entries.size(), 1u);
  EXPECT_EQ(got.entries[0].decided_on, D("2025-03-01"));  // 17:00 UTC is 01:00 in Shanghai
  EXPECT_EQ(got.entries[0].valid_from, D("2025-03-01"));
  EXPECT_EQ(got.entries[0].name, "营口港务集团");
}

TEST_F(PostgresTest, MemorandaForms) {
  ASSERT_TRUE(
      Sql("CREATE TABLE memo_array (entry_id text, list text, name text, uscc text, "
          "memoranda text[])"));
  ASSERT_TRUE(
      Sql("INSERT INTO memo_array VALUES "
          "('A-1', 'black', '甲', '914403001922038216', '{P06,\"P07\"}'),"
          "('A-2', 'black', '乙', '914403001922038216', '[0:1]={P01,P43}'),"
          "('A-3', 'black', '丙', '914403001922038216', '{{P01,P02},{J01,J03}}'),"
          "('A-4', 'black', '丁', '914403001922038216', ARRAY['P06', NULL]),"
          "('A-5', 'black', '戊', '914403001922038216', ARRAY['P\"6']),"
          "('A-6', 'black', '己', '914403001922038216', ARRAY['P06 P07']),"
          "('A-7', 'black', '庚', '914403001922038216', NULL)"));
  const Loaded arr = Load("memo_array");
  ASSERT_TRUE(arr.status.ok()) << arr.status.ToString();
  EXPECT_EQ(arr.report.rows, 7u);
  ASSERT_EQ(arr.entries.size(), 5u);
  EXPECT_EQ(Find(arr, "A-1")->memoranda, Memo({"P06", "P07"}));
  EXPECT_EQ(Find(arr, "A-2")->memoranda, Memo({"P01", "P43"}));
  EXPECT_EQ(Find(arr, "A-3")->memoranda, Memo({"P01", "P02", "J01", "J03"}));
  EXPECT_EQ(Find(arr, "A-4")->memoranda, Memo({"P06"}));  // a null element is no memorandum
  EXPECT_EQ(Find(arr, "A-7")->memoranda, 0u);
  ASSERT_EQ(arr.report.errors.size(), 2u);
  EXPECT_EQ(arr.report.errors[0].row, 5u);
  EXPECT_EQ(arr.report.errors[0].field, "memoranda");
  EXPECT_NE(arr.report.errors[0].reason.find("'P\"6'"), std::string::npos)
      << arr.report.errors[0].reason;
  EXPECT_EQ(arr.report.errors[1].row, 6u);
  EXPECT_NE(arr.report.errors[1].reason.find("'P06 P07'"), std::string::npos)
      << arr.report.errors[1].reason;

  // A text column listing the ids.
  ASSERT_TRUE(
      Sql("CREATE TABLE memo_text (entry_id text, list text, name text, uscc text, "
          "memoranda text)"));
  ASSERT_TRUE(
      Sql("INSERT INTO memo_text VALUES "
          "('M-1', 'black', '甲', '914403001922038216', 'P06,P07'),"
          "('M-2', 'black', '乙', '914403001922038216', 'P06、P08； P09'),"
          "('M-3', 'black', '丙', '914403001922038216', '{P10}'),"
          "('M-4', 'black', '丁', '914403001922038216', '{P10')"));
  const Loaded text = Load("memo_text");
  ASSERT_TRUE(text.status.ok()) << text.status.ToString();
  ASSERT_EQ(text.entries.size(), 3u);
  EXPECT_EQ(Find(text, "M-1")->memoranda, Memo({"P06", "P07"}));
  EXPECT_EQ(Find(text, "M-2")->memoranda, Memo({"P06", "P08", "P09"}));
  EXPECT_EQ(Find(text, "M-3")->memoranda, Memo({"P10"}));
  ASSERT_EQ(text.report.errors.size(), 1u);
  EXPECT_EQ(text.report.errors[0].row, 4u);
  EXPECT_EQ(text.report.errors[0].field, "memoranda");
}

TEST_F(PostgresTest, MissingOptionalColumnsAreNull) {
  ASSERT_TRUE(Sql("CREATE TABLE minimal (name text, list text, uscc text, decided_on text)"));
  ASSERT_TRUE(
      Sql("INSERT INTO minimal VALUES ('营口某某公司', 'black', '91110000600037341L', "
          "'2025-05-01')"));
  LoadOptions options;
  options.department = "市市场监督管理局";
  const Loaded first = Load("minimal", options);
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  ASSERT_EQ(first.entries.size(), 1u);
  const Entry& e = first.entries[0];
  EXPECT_EQ(e.entry_id.substr(0, 2), "L-");  // no entry_id column: derived from the content
  EXPECT_EQ(FormatKey(e.uscc), "91110000600037341L");
  EXPECT_TRUE(e.reg_no.empty());
  EXPECT_TRUE(e.id_number.empty());
  EXPECT_EQ(e.category, "");
  EXPECT_EQ(e.department, "市市场监督管理局");
  EXPECT_EQ(e.valid_from, D("2025-05-01"));
  EXPECT_EQ(e.valid_until, kForever);
  EXPECT_EQ(e.memoranda, 0u);
  EXPECT_EQ(e.state, State::kInForce);

  const Loaded second = Load("minimal", options);
  ASSERT_EQ(second.entries.size(), 1u);
  EXPECT_EQ(second.entries[0].entry_id, e.entry_id);  // the same row is the same entry
}

TEST_F(PostgresTest, MissingRequiredColumnIsAnError) {
  ASSERT_TRUE(Sql("CREATE TABLE no_name (list text, uscc text)"));
  ASSERT_TRUE(Sql("CREATE TABLE no_list (name text, uscc text)"));
  ASSERT_TRUE(Sql("CREATE TABLE no_identifier (list text, name text, id_type text)"));
  ASSERT_TRUE(Sql("INSERT INTO no_name VALUES ('black', '914403001922038216')"));

  const Loaded a = Load("no_name");
  EXPECT_EQ(a.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.status.field(), "name");
  EXPECT_NE(a.status.reason().find("no column name"), std::string::npos) << a.status.reason();
  EXPECT_EQ(a.report.rows, 0u);
  EXPECT_TRUE(a.entries.empty());

  const Loaded b = Load("no_list");
  EXPECT_EQ(b.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status.field(), "list");

  const Loaded c = Load("no_identifier");
  EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status.reason().find("uscc, reg_no, id_number"), std::string::npos)
      << c.status.reason();
}

TEST_F(PostgresTest, MissingTableIsNotFound) {
  const Loaded a = Load("no_such_table");
  EXPECT_EQ(a.status.code(), StatusCode::kNotFound);
  EXPECT_NE(a.status.reason().find("no_such_table"), std::string::npos) << a.status.reason();
  const Loaded b = Load("no_such_schema.entries");
  EXPECT_EQ(b.status.code(), StatusCode::kNotFound) << b.status.ToString();
  EXPECT_EQ(b.report.rows, 0u);
}

TEST_F(PostgresTest, TableNamesAreParsedAndQuoted) {
  ASSERT_TRUE(Sql("CREATE SCHEMA sharing"));
  ASSERT_TRUE(Sql("CREATE TABLE sharing.entries (list text, name text, uscc text)"));
  ASSERT_TRUE(Sql("CREATE TABLE sharing.\"Mixed Case.名单\" (list text, name text, uscc text)"));
  ASSERT_TRUE(Sql("INSERT INTO sharing.entries VALUES ('red', '甲', '914403001922038216')"));
  ASSERT_TRUE(
      Sql("INSERT INTO sharing.\"Mixed Case.名单\" VALUES "
          "('red', '乙', '914403001922038216'), ('black', '丙', '91110000600037341L')"));

  EXPECT_EQ(Load("sharing.entries").entries.size(), 1u);
  EXPECT_EQ(Load("Sharing.ENTRIES").entries.size(), 1u);  // unquoted: folded to lower case
  EXPECT_EQ(Load(" sharing . entries ").status.code(), StatusCode::kInvalidArgument);
  const Loaded mixed = Load("sharing.\"Mixed Case.名单\"");
  ASSERT_TRUE(mixed.status.ok()) << mixed.status.ToString();
  EXPECT_EQ(mixed.entries.size(), 2u);
  EXPECT_EQ(Load("\"Sharing\".entries").status.code(), StatusCode::kNotFound);  // quoted: as is

  for (const char* bad : {"entries; DROP TABLE sharing.entries", "sharing.entries--", "a.b.c",
                          "\"unclosed", "", "1abc", "sharing.", "\"\""}) {
    const Loaded got = Load(bad);
    EXPECT_EQ(got.status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(got.status.field(), "table") << bad;
  }
  EXPECT_EQ(SqlValue("SELECT count(*) FROM sharing.entries"), "1");  // still there
}

// Needs no server: nothing listens where it connects.
TEST(PostgresConnectionTest, FailureNamesNoPassword) {
  const std::string secret = "s3cr3t-pw-4711";
  auto load = [](const std::string& conninfo) {
    LoadReport report;
    return LoadPostgresTable(
        conninfo, "t", {}, [](Entry&&) {}, &report);
  };
  const Status a = load("host=/nonexistent-credlist port=5 user=u password=" + secret);
  EXPECT_EQ(a.code(), StatusCode::kIoError);
  EXPECT_NE(a.reason().find("cannot connect"), std::string::npos) << a.reason();
  EXPECT_NE(a.reason().find("/nonexistent-credlist"), std::string::npos)
      << a.reason();  // libpq's message
  EXPECT_EQ(a.reason().find(secret), std::string::npos) << a.reason();

  // libpq quotes a malformed URI whole in its message.
  const Status b = load("postgresql://u:" + secret + "@[::1/db");
  EXPECT_EQ(b.code(), StatusCode::kIoError);
  EXPECT_NE(b.reason().find("postgresql://u:***@"), std::string::npos) << b.reason();
  EXPECT_EQ(b.reason().find(secret), std::string::npos) << b.reason();

  const Status c = load("host=/nonexistent-credlist password = '" + secret + "' port=");
  EXPECT_EQ(c.code(), StatusCode::kIoError);
  EXPECT_EQ(c.reason().find(secret), std::string::npos) << c.reason();
}

TEST_F(PostgresTest, StreamsTwentyThousandRows) {
  constexpr int kRows = 20000;
  ASSERT_TRUE(Sql(FullTable("big", "date")));
  // Every 1000th row has a wrong USCC check character; the rest are valid.
  std::string data;
  std::vector<std::string> usccs(kRows + 1);
  for (int i = 1; i <= kRows; ++i) {
    std::string uscc = MakeUscc(i);
    ASSERT_TRUE(ParseUscc(uscc).ok()) << uscc;
    if (i % 1000 == 0) uscc.back() = uscc.back() == '0' ? '1' : '0';
    usccs[i] = uscc;
    const char* list = i % 3 == 0 ? "red" : (i % 3 == 1 ? "black" : "watch");
    data +=
        "E-" + std::to_string(i) + "\t" + list + "\t类别\\t" + std::to_string(i % 7) +
        "\tlegal_person\t营口第" + std::to_string(i) + "号公司\t" + uscc + "\t" + MakeRegNo(i) +
        "\t\\N\t\\N\t法定代表人\t" + MakeIdNumber(i) +
        "\t违法失信行为\t处罚结果\t市场监管局\t依据\t2025-03-01\t2025-03-01\t2028-03-01\t{P06,P" +
        std::string(i % 2 ? "07" : "08") + "}\tin_force\t\\N\t\\N\n";
  }
  ASSERT_TRUE(CopyIn("COPY big FROM STDIN", data));
  ASSERT_TRUE(Sql("ANALYZE big"));

  // While the first entry reaches the sink, the COPY is still running on the server: the
  // rows are streamed, not fetched whole.
  std::string active_while_first;
  Loaded got;
  LoadOptions options;
  options.progress = [&got](uint64_t done, uint64_t total) {
    got.progress.emplace_back(done, total);
  };
  got.status = LoadPostgresTable(
      server_->Conninfo(), "big", options,
      [&](Entry&& e) {
        if (got.entries.empty())
          active_while_first = SqlValue(
              "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
              "AND query LIKE 'COPY (SELECT%' AND pid <> pg_backend_pid()");
        got.entries.push_back(std::move(e));
      },
      &got.report);
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  EXPECT_EQ(active_while_first, "1");
  EXPECT_EQ(got.report.rows, static_cast<uint64_t>(kRows));
  EXPECT_EQ(got.report.loaded, static_cast<uint64_t>(kRows - kRows / 1000));
  EXPECT_EQ(got.report.rejected, static_cast<uint64_t>(kRows / 1000));
  ASSERT_EQ(got.report.errors.size(), static_cast<size_t>(kRows / 1000));
  for (int k = 0; k < kRows / 1000; ++k) {
    EXPECT_EQ(got.report.errors[k].row, static_cast<uint64_t>((k + 1) * 1000));
    EXPECT_EQ(got.report.errors[k].field, "uscc");
  }
  ASSERT_EQ(got.entries.size(), static_cast<size_t>(kRows - kRows / 1000));

  const Entry& e = got.entries[12344 - 12];  // row 12345, after 12 rejected rows
  EXPECT_EQ(e.entry_id, "E-12345");
  EXPECT_EQ(e.list, ListKind::kRed);
  EXPECT_EQ(e.category, "类别\t4");
  EXPECT_EQ(e.name, "营口第12345号公司");
  EXPECT_EQ(FormatKey(e.uscc), usccs[12345]);
  EXPECT_EQ(FormatKey(e.reg_no), MakeRegNo(12345));
  EXPECT_EQ(FormatKey(e.legal_rep_id), MakeIdNumber(12345));
  EXPECT_EQ(e.valid_until, D("2028-03-01"));
  EXPECT_EQ(e.memoranda, Memo({"P06", "P07"}));

  // The last call reports the whole table, with ANALYZE's estimate as the total.
  ASSERT_FALSE(got.progress.empty());
  EXPECT_EQ(got.progress.back(), (std::pair<uint64_t, uint64_t>{kRows, kRows}));
}

}  // namespace
}  // namespace credlist
