#include "tools/policy_setup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace credlist {
namespace {

bool HasPolicyFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / kMemorandaFile, ec) &&
         std::filesystem::is_regular_file(dir / kDepartmentsFile, ec) &&
         std::filesystem::is_regular_file(dir / kMeasuresFile, ec);
}

// Writes `content` to `path` through a temporary file, synced and renamed over it, so that a
// crash leaves the old file or the new one, never half of one.
Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Io("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Status::Io("cannot write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return Status::Io("cannot write " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::Io("cannot rename " + tmp + ": " + std::strerror(errno));
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace

std::string DefaultPolicyDir() {
  if (const char* env = std::getenv("CREDLIST_POLICY"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "credlist";
    if (HasPolicyFiles(installed)) return installed.string();
  }
#ifdef CREDLIST_POLICY_DIR
  if (HasPolicyFiles(CREDLIST_POLICY_DIR)) return CREDLIST_POLICY_DIR;
#endif
  return "";
}

Status SetUpPolicy(const std::string& policy_dir, const std::string& data_dir,
                   PolicyService* service, std::string* summary) {
  const std::string kept = (std::filesystem::path(data_dir) / kMeasuresFile).string();
  std::error_code ec;
  const bool have_kept = std::filesystem::is_regular_file(kept, ec);
  PolicyError error;
  std::shared_ptr<const Policy> policy =
      Policy::Load(policy_dir, &error, have_kept ? kept : std::string());
  if (policy == nullptr) {
    const std::string where = have_kept && error.file == kMeasuresFile ? kept : policy_dir;
    return Status::Make(error.ToStatus().code(), "", "policy " + where + ": " + error.ToString());
  }
  service->catalog.Publish(policy);
  service->persist = [kept](std::string_view tsv) { return WriteFileAtomically(kept, tsv); };
  *summary = std::to_string(policy->memoranda().size()) + " memoranda, " +
             std::to_string(policy->duties().size()) + " duties, " +
             std::to_string(policy->measures().size()) + " measures from " + policy_dir +
             (have_kept ? " (measures from " + kept + ")" : "");
  return Status::Ok();
}

}  // namespace credlist
