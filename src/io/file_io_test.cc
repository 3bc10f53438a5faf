#include "src/io/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake::io {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

TEST(FileIoTest, WritesThenReadsBack) {
  const std::string path = TempPath("round_trip.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "hello\nworld").ok());
  absl::StatusOr<std::string> back = ReadFileBounded(path, 1024);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "hello\nworld");
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  back = ReadFileBounded(path, 1024);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "");
}

TEST(FileIoTest, ReadRefusesFilesAboveTheBound) {
  const std::string path = TempPath("big.txt");
  ASSERT_TRUE(WriteFileAtomically(path, std::string(101, 'x')).ok());
  EXPECT_TRUE(ReadFileBounded(path, 101).ok());
  absl::StatusOr<std::string> read = ReadFileBounded(path, 100);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("101 bytes"));
}

TEST(FileIoTest, ReadRefusesDirectories) {
  absl::StatusOr<std::string> read = ReadFileBounded(TempPath(""), 100);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("is a directory"));
  read = ReadFileBounded("/dev/null", 100);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("not a regular file"));
}

TEST(FileIoTest, FailedRenameLeavesNoTemporaryFile) {
  // Renaming a file over a non-empty directory fails after the temporary
  // file was written.
  const std::string dir = TempPath("occupied");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  std::ofstream(dir + "/inside") << "x";
  absl::Status status = WriteFileAtomically(dir, "data");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("rename"));
  DIR* parent = opendir(TempPath("").c_str());
  ASSERT_NE(parent, nullptr);
  while (dirent* entry = readdir(parent)) {
    EXPECT_FALSE(absl::StartsWith(entry->d_name, "occupied.tmp"))
        << entry->d_name;
  }
  closedir(parent);
}

std::string Slurp(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileBounded(path, 1 << 20);
  return s.ok() ? *s : "<" + std::string(s.status().message()) + ">";
}

TEST(WriteOutputTest, KeepsAnExistingFilesMode) {
  const std::string path = TempPath("mode0600.json");
  std::ofstream(path) << "old";
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(WriteOutput(path, "new").ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Slurp(path), "new");
}

TEST(WriteOutputTest, ReplacesASymlinksTargetAndKeepsTheLink) {
  const std::string target = TempPath("link_target.json");
  const std::string link = TempPath("link.json");
  std::ofstream(target) << "old";
  ASSERT_EQ(chmod(target.c_str(), 0640), 0);
  unlink(link.c_str());
  ASSERT_EQ(symlink("link_target.json", link.c_str()), 0);  // relative
  ASSERT_TRUE(WriteOutput(link, "new").ok());
  struct stat st;
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Slurp(target), "new");
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(WriteOutputTest, DanglingSymlinkCreatesItsTarget) {
  const std::string target = TempPath("dangling_target.json");
  const std::string link = TempPath("dangling.json");
  unlink(target.c_str());
  unlink(link.c_str());
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  ASSERT_TRUE(WriteOutput(link, "x").ok());
  struct stat st;
  ASSERT_EQ(lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Slurp(target), "x");
}

TEST(WriteOutputTest, DevNullStaysACharacterDevice) {
  ASSERT_TRUE(WriteOutput("/dev/null", "data").ok());
  struct stat st;
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(WriteOutputTest, WritesIntoAFifo) {
  const std::string fifo = TempPath("out.fifo");
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] {
    int fd = open(fifo.c_str(), O_RDONLY);
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) got.append(buf, n);
    close(fd);
  });
  absl::Status s = WriteOutput(fifo, "through the fifo");
  reader.join();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(got, "through the fifo");
  struct stat st;
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(WriteOutputTest, RefusesADirectory) {
  const std::string dir = TempPath("a_dir");
  mkdir(dir.c_str(), 0755);
  absl::Status s = WriteOutput(dir, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is a directory"));
}

TEST(WriteOutputTest, ClosedPipeIsAnErrorNotADeath) {
  signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  absl::Status s = WriteOutput(absl::StrCat("/dev/fd/", fds[1]), "lost");
  close(fds[1]);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("closed the pipe"));
}

TEST(CheckOutputPathsTest, SamePathTwiceIsRefused) {
  const std::string path = TempPath("twice.json");
  unlink(path.c_str());
  absl::Status s = CheckOutputPaths({{"json", path}, {"csv", path}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--json and --csv"));
  std::ofstream(path) << "x";
  EXPECT_FALSE(CheckOutputPaths({{"json", path}, {"csv", path}}).ok());
  const std::string link = TempPath("twice_link.json");
  unlink(link.c_str());
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  EXPECT_FALSE(CheckOutputPaths({{"json", path}, {"csv", link}}).ok());
  EXPECT_FALSE(CheckOutputPaths({{"json", "-"}, {"csv", "/dev/stdout"}}).ok());
  EXPECT_TRUE(CheckOutputPaths({{"json", path}, {"csv", TempPath("other.csv")}}).ok());
  EXPECT_TRUE(CheckOutputPaths({{"json", ""}, {"csv", ""}}).ok());
}

TEST(CheckOutputPathsTest, RefusesDirectoriesAndMissingDirectories) {
  EXPECT_THAT(std::string(CheckOutputPaths({{"json", TempPath("")}}).message()),
              HasSubstr("is a directory"));
  EXPECT_THAT(std::string(CheckOutputPaths({{"json", TempPath("no/such/dir/x.json")}}).message()),
              HasSubstr("no directory"));
}

}  // namespace
}  // namespace mailshake::io
