#include "layout.h"

#include "kreg/validate.hpp"

namespace kreg {
namespace etcd {

std::string Layout::ServicePrefix(std::string_view service) const {
  std::string key = Prefix();
  key.append(service);
  key.push_back('/');
  return key;
}

std::string Layout::Instance(std::string_view service, std::string_view id) const {
  std::string key = ServicePrefix(service);
  key.append("instance/");
  key.append(id);
  key.push_back('/');
  return key;
}

std::string Layout::Property(std::string_view service) const { return ServicePrefix(service) + "property/backend/"; }

Layout::Ref Layout::Parse(std::string_view key) const {
  Ref ref;
  const std::string prefix = Prefix();
  if (key.substr(0, prefix.size()) != prefix) return ref;
  std::string_view rest = key.substr(prefix.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return ref;
  std::string_view service = rest.substr(0, slash);
  std::string_view tail = rest.substr(slash + 1);
  if (!ValidateName("service name", service).ok()) return ref;
  constexpr std::string_view kInstanceDir = "instance/";
  if (tail == "property/backend") {
    ref.kind = Kind::kProperty;
  } else if (tail.substr(0, kInstanceDir.size()) == kInstanceDir) {
    std::string_view id = tail.substr(kInstanceDir.size());
    if (!ValidateName("instance id", id).ok()) return ref;
    ref.kind = Kind::kInstance;
    ref.id = std::string(id);
  } else {
    return ref;
  }
  ref.service = std::string(service);
  return ref;
}

std::string Layout::PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "\0" as range_end means every key
}

}  // namespace etcd
}  // namespace kreg
