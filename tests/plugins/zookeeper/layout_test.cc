// Where the ZooKeeper backend keeps things (plugins/zookeeper/src/layout.h)
// and how it reads back a path a watch reports: every kind of path under
// roots "/", "/discovery" and a nested one, roots written with and without
// a trailing slash (normalized by ParseOptions), and paths that are not
// the layout's.
#include <gtest/gtest.h>

#include <string>

#include "layout.h"
#include "options.h"

namespace kreg {
namespace zk {
namespace {

using Kind = Layout::Kind;

// The root as ParseOptions normalizes `written`.
std::string NormalizedRoot(const std::string& written) {
  plugin::Config config;
  config.addrs = {"127.0.0.1:2181"};
  config.root = written;
  Options o;
  Status s = ParseOptions(config, &o);
  EXPECT_TRUE(s.ok()) << written << ": " << s.ToString();
  return o.root;
}

Status RootError(const std::string& written) {
  plugin::Config config;
  config.addrs = {"127.0.0.1:2181"};
  config.root = written;
  Options o;
  return ParseOptions(config, &o);
}

void ExpectRef(const Layout& layout, const std::string& path, Kind kind, const std::string& service = "",
               const std::string& id = "") {
  Layout::Ref ref = layout.Parse(path);
  EXPECT_EQ(ref.kind, kind) << path << " under root " << layout.root();
  if (kind == Kind::kOther || kind == Kind::kRoot) return;
  EXPECT_EQ(ref.service, service) << path;
  EXPECT_EQ(ref.id, id) << path;
}

TEST(ZooKeeperRoot, TrailingSlashesAreDroppedAndTheDefaultIsDiscovery) {
  EXPECT_EQ(NormalizedRoot(""), "/discovery");
  EXPECT_EQ(NormalizedRoot("/discovery"), "/discovery");
  EXPECT_EQ(NormalizedRoot("/discovery/"), "/discovery");
  EXPECT_EQ(NormalizedRoot("/discovery///"), "/discovery");
  EXPECT_EQ(NormalizedRoot("/a/b/"), "/a/b");
  EXPECT_EQ(NormalizedRoot("/"), "/");
  EXPECT_EQ(NormalizedRoot("//"), "/");
}

TEST(ZooKeeperRoot, RelativeRootsAndEmptyComponentsAreRefused) {
  Status s = RootError("discovery");
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), "zookeeper root \"discovery\" must be an absolute path such as /discovery");
  EXPECT_EQ(RootError("discovery/").code(), KREG_INVALID_ARGUMENT);
  s = RootError("/a//b");
  EXPECT_EQ(s.code(), KREG_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), "zookeeper root \"/a//b\" has an empty path component");
  EXPECT_EQ(RootError("//a").code(), KREG_INVALID_ARGUMENT);
}

TEST(ZooKeeperLayout, PathsUnderARoot) {
  for (const char* written : {"/discovery", "/discovery/"}) {
    Layout layout(NormalizedRoot(written));
    EXPECT_EQ(layout.root(), "/discovery");
    EXPECT_EQ(layout.Service("web"), "/discovery/web");
    EXPECT_EQ(layout.InstanceDir("web"), "/discovery/web/instance");
    EXPECT_EQ(layout.Instance("web", "10.0.0.1:8080"), "/discovery/web/instance/10.0.0.1:8080");
    EXPECT_EQ(layout.PropertyDir("web"), "/discovery/web/property");
    EXPECT_EQ(layout.Property("web"), "/discovery/web/property/backend");
  }
}

TEST(ZooKeeperLayout, PathsUnderTheServersRoot) {
  for (const char* written : {"/", "//"}) {
    Layout layout(NormalizedRoot(written));
    EXPECT_EQ(layout.Service("web"), "/web") << "no double slash";
    EXPECT_EQ(layout.Instance("web", "i1"), "/web/instance/i1");
    EXPECT_EQ(layout.Property("web"), "/web/property/backend");
  }
}

TEST(ZooKeeperLayout, EveryKindOfPathParsesBack) {
  for (const char* root : {"/", "/discovery", "/a/b.c/d"}) {
    SCOPED_TRACE(root);
    Layout layout(root);
    ExpectRef(layout, layout.root(), Kind::kRoot);
    for (const char* service : {"web", "demo.service", "a", "x:y@z-1_2"}) {
      ExpectRef(layout, layout.Service(service), Kind::kService, service);
      ExpectRef(layout, layout.InstanceDir(service), Kind::kInstanceDir, service);
      ExpectRef(layout, layout.PropertyDir(service), Kind::kPropertyDir, service);
      ExpectRef(layout, layout.Property(service), Kind::kProperty, service);
      for (const char* id : {"i1", "10.0.0.1:8080", "instance", "property", "backend", "..."}) {
        ExpectRef(layout, layout.Instance(service, id), Kind::kInstance, service, id);
      }
    }
    // Services named like the layout's own nodes are services.
    ExpectRef(layout, layout.Service("instance"), Kind::kService, "instance");
    ExpectRef(layout, layout.InstanceDir("property"), Kind::kInstanceDir, "property");
  }
}

TEST(ZooKeeperLayout, PathsThatAreNotTheLayoutsAreOther) {
  Layout layout("/discovery");
  for (const char* path : {"", "/", "discovery", "discovery/web", "/discoveryx", "/discoveryx/web", "/discover",
                           "/other/web/instance/i1", "/discovery/", "/discovery//", "/discovery//instance",
                           "/discovery/web/", "/discovery/web//", "/discovery/web/instancex",
                           "/discovery/web/instance/", "/discovery/web/instance//", "/discovery/web/instance/i1/",
                           "/discovery/web/instance/i1/x", "/discovery/web/property/", "/discovery/web/property/other",
                           "/discovery/web/property/backend/", "/discovery/web/property/backend/x",
                           "/discovery/web/properties", "/discovery/web/other", "/discovery/web/Instance/i1"}) {
    ExpectRef(layout, path, Kind::kOther);
  }
  Layout nested("/a/b");
  ExpectRef(nested, "/a", Kind::kOther);
  ExpectRef(nested, "/a/bc/web", Kind::kOther);
  ExpectRef(nested, "/a/b/web", Kind::kService, "web");
}

TEST(ZooKeeperLayout, UnderTheServersRootOnlyZooKeepersOwnNodeIsReserved) {
  Layout top("/");
  ExpectRef(top, "/", Kind::kRoot);
  ExpectRef(top, "//", Kind::kOther);
  ExpectRef(top, "//instance", Kind::kOther);
  ExpectRef(top, "/zookeeper", Kind::kService, "zookeeper");
  EXPECT_TRUE(top.Reserved("zookeeper"));
  EXPECT_FALSE(top.Reserved("web"));
  EXPECT_FALSE(top.Reserved("zookeeper2"));
  ExpectRef(top, "/zookeeper/quota", Kind::kOther);
  EXPECT_FALSE(Layout("/discovery").Reserved("zookeeper")) << "a service may be called zookeeper under a root";
}

TEST(ZooKeeperLayout, ParentPath) {
  EXPECT_EQ(ParentPath("/discovery/web/instance/i1"), "/discovery/web/instance");
  EXPECT_EQ(ParentPath("/discovery"), "/");
  EXPECT_EQ(ParentPath("/"), "/");
  EXPECT_EQ(ParentPath("/a/b"), "/a");
}

}  // namespace
}  // namespace zk
}  // namespace kreg
