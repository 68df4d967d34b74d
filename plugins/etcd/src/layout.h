// Where things live in etcd: the Go keeper's layout, so both share one store
// (plugins/etcd/README.md):
//   <root>/<service>/instance/<id>/      Instance JSON, put with a lease
//   <root>/<service>/property/backend/   Property JSON, no lease
// kreg writes the keys with the trailing slash, as the Go keeper does, and
// reads them with or without it.
#ifndef KREG_PLUGINS_ETCD_LAYOUT_H_
#define KREG_PLUGINS_ETCD_LAYOUT_H_

#include <string>
#include <string_view>

namespace kreg {
namespace etcd {

class Layout {
 public:
  // `root` as normalized by ParseOptions ("" or "/a/b").
  explicit Layout(std::string root) : root_(std::move(root)) {}

  // The prefix every key of the registry starts with: "<root>/".
  std::string Prefix() const { return root_ + "/"; }
  std::string ServicePrefix(std::string_view service) const;
  std::string Instance(std::string_view service, std::string_view id) const;
  std::string Property(std::string_view service) const;

  // What a key under Prefix() is. kOther: not a key of this layout (or a
  // name kreg would refuse), which readers skip with a warning.
  enum class Kind { kOther, kInstance, kProperty };
  struct Ref {
    Kind kind = Kind::kOther;
    std::string service;
    std::string id;  // kInstance only
  };
  Ref Parse(std::string_view key) const;

  // The range_end of etcd's prefix ranges: the smallest key above every key
  // starting with `prefix`.
  static std::string PrefixEnd(std::string_view prefix);

 private:
  std::string root_;
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_LAYOUT_H_
