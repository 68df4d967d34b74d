// What a path is when it should be a regular file, for error messages.
#ifndef KREG_HOST_SRC_FILE_TYPE_H_
#define KREG_HOST_SRC_FILE_TYPE_H_

#include <filesystem>
#include <string>

namespace kreg {
namespace host {

// "a directory", "a FIFO", ...: reads as "X is a FIFO, not a regular file".
std::string DescribeFileType(std::filesystem::file_type type);

}  // namespace host
}  // namespace kreg

#endif  // KREG_HOST_SRC_FILE_TYPE_H_
