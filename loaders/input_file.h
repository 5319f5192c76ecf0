// InputFile: an input opened for reading, closed when it goes out of scope.
//
// The file loaders share it: open, then learn whether the input is a regular file (which may
// be mapped and has a size to show progress against) or a pipe. One owner, not thread-safe.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "engine/status.h"

namespace credlist {

class InputFile {
 public:
  // An Io status naming the path when it cannot be opened.
  static Result<InputFile> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::Io(path + ": " + std::strerror(errno));
    InputFile f(fd);
    struct stat st {};
    f.regular_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    f.size_ = f.regular_ ? static_cast<uint64_t>(st.st_size) : 0;
    return f;
  }

  InputFile(InputFile&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), regular_(other.regular_), size_(other.size_) {}
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const { return fd_; }
  bool regular() const { return regular_; }
  uint64_t size() const { return size_; }  // 0 unless a regular file

 private:
  explicit InputFile(int fd) : fd_(fd) {}
  int fd_;
  bool regular_ = false;
  uint64_t size_ = 0;
};

}  // namespace credlist
