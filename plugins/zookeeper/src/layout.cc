#include "layout.h"

#include <utility>

namespace kreg {
namespace zk {

namespace {
constexpr const char* kInstanceDir = "instance";
constexpr const char* kPropertyDir = "property";
constexpr const char* kPropertyNode = "backend";
}  // namespace

Layout::Layout(std::string root) : root_(std::move(root)) {
  prefix_ = root_ == "/" ? "/" : root_ + "/";
}

std::string Layout::Service(const std::string& service) const { return prefix_ + service; }

std::string Layout::InstanceDir(const std::string& service) const {
  return Service(service) + "/" + kInstanceDir;
}

std::string Layout::Instance(const std::string& service, const std::string& id) const {
  return InstanceDir(service) + "/" + id;
}

std::string Layout::PropertyDir(const std::string& service) const {
  return Service(service) + "/" + kPropertyDir;
}

std::string Layout::Property(const std::string& service) const {
  return PropertyDir(service) + "/" + kPropertyNode;
}

Layout::Ref Layout::Parse(const std::string& path) const {
  Ref ref;
  if (path == root_) {
    ref.kind = Kind::kRoot;
    return ref;
  }
  if (path.compare(0, prefix_.size(), prefix_) != 0) return ref;
  std::string rest = path.substr(prefix_.size());
  size_t slash = rest.find('/');
  ref.service = rest.substr(0, slash);
  if (ref.service.empty()) return ref;
  if (slash == std::string::npos) {
    ref.kind = Kind::kService;
    return ref;
  }
  std::string tail = rest.substr(slash + 1);
  if (tail == kInstanceDir) {
    ref.kind = Kind::kInstanceDir;
  } else if (tail.compare(0, 9, "instance/") == 0 && tail.size() > 9 &&
             tail.find('/', 9) == std::string::npos) {
    ref.kind = Kind::kInstance;
    ref.id = tail.substr(9);
  } else if (tail == kPropertyDir) {
    ref.kind = Kind::kPropertyDir;
  } else if (tail == std::string(kPropertyDir) + "/" + kPropertyNode) {
    ref.kind = Kind::kProperty;
  }
  return ref;
}

std::string ParentPath(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace zk
}  // namespace kreg
