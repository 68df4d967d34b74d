#include "file_type.h"

namespace kreg {
namespace host {

std::string DescribeFileType(std::filesystem::file_type type) {
  using std::filesystem::file_type;
  switch (type) {
    case file_type::regular: return "a regular file";
    case file_type::directory: return "a directory";
    case file_type::fifo: return "a FIFO";
    case file_type::socket: return "a socket";
    case file_type::block: return "a block device";
    case file_type::character: return "a character device";
    case file_type::not_found: return "missing (or a link to nothing)";
    default: return "unreadable";
  }
}

}  // namespace host
}  // namespace kreg
