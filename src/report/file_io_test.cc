#include "src/report/file_io.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace report {
namespace internal {
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
  EXPECT_THAT(std::string(read.status().message()),
              HasSubstr("not a regular file"));
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

}  // namespace
}  // namespace internal
}  // namespace report
}  // namespace mailshake
