// Where things live in ZooKeeper (plugins/zookeeper/README.md):
//   <root>/<service>/instance/<id>      ephemeral, Instance JSON
//   <root>/<service>/property/backend   persistent, Property JSON
// Paths are absolute, prefixed with the configured root: the root plays the
// part of a chroot, but unlike the C client's connect-string chroot it can
// be created by the plugin itself when it is missing.
#ifndef KREG_PLUGINS_ZOOKEEPER_LAYOUT_H_
#define KREG_PLUGINS_ZOOKEEPER_LAYOUT_H_

#include <string>

namespace kreg {
namespace zk {

class Layout {
 public:
  // `root` as normalized by ParseOptions ("/" or "/a/b").
  explicit Layout(std::string root);

  const std::string& root() const { return root_; }
  std::string Service(const std::string& service) const;
  std::string InstanceDir(const std::string& service) const;
  std::string Instance(const std::string& service, const std::string& id) const;
  std::string PropertyDir(const std::string& service) const;
  std::string Property(const std::string& service) const;

  // True when `name`, a child of the root, is not a service: ZooKeeper's
  // own /zookeeper node when the root is "/".
  bool Reserved(const std::string& name) const { return root_ == "/" && name == "zookeeper"; }

  // What a path seen in a watch notification refers to.
  enum class Kind { kOther, kRoot, kService, kInstanceDir, kInstance, kPropertyDir, kProperty };
  struct Ref {
    Kind kind = Kind::kOther;
    std::string service;
    std::string id;  // kInstance only
  };
  Ref Parse(const std::string& path) const;

 private:
  std::string root_;
  std::string prefix_;  // root_ + "/", or "/" when root_ is "/"
};

// The parent of an absolute path ("/a/b" -> "/a", "/a" -> "/").
std::string ParentPath(const std::string& path);

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_LAYOUT_H_
