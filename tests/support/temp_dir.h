// A fresh directory under $TMPDIR for one test, removed with everything in
// it when the object goes.
#ifndef KREG_TESTS_SUPPORT_TEMP_DIR_H_
#define KREG_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace kreg {
namespace testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

  // Writes `contents` to Join(name) and returns that path.
  std::string WriteFile(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_TEMP_DIR_H_
