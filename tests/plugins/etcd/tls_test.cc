// TLS to etcd: the members verified by ca_file, the backend's client
// certificate (cert_file, key_file), and one clear error when either side
// does not verify.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "etcd_test_util.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace kreg {
namespace testing {
namespace {

// Runs openssl in `dir`; fails the test when it fails.
void Openssl(const TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = RunProcess(argv, dir.path(), {}, std::chrono::seconds(60), dir.path());
  ASSERT_EQ(r.exit_code, 0) << "openssl " << args[0] << ": " << r.err;
}

void MakeCa(const TempDir& dir, const std::string& name) {
  Openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                name + ".key", "-out", name + ".crt", "-days", "2", "-subj", "/CN=" + name});
}

// A key and a certificate `name`.crt signed by the CA `ca`, with `extensions`.
void MakeSigned(const TempDir& dir, const std::string& ca, const std::string& name, const std::string& extensions) {
  Openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + name});
  dir.WriteFile(name + ".ext", extensions);
  Openssl(dir, {"x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext"});
}

class EtcdTls : public ::testing::Test {
 protected:
  // A CA of the test's own, a member's certificate for 127.0.0.1 (good for
  // client auth too, as etcd's gateway needs) and the keeper's, both signed by it.
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(MakeCa(dir_, "ca"));
    ASSERT_NO_FATAL_FAILURE(
        MakeSigned(dir_, "ca", "member", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"));
    ASSERT_NO_FATAL_FAILURE(MakeSigned(dir_, "ca", "keeper", "extendedKeyUsage=clientAuth\n"));
    EtcdServer::Options options;
    options.tls_cert_file = dir_.Join("member.crt");
    options.tls_key_file = dir_.Join("member.key");
    options.tls_client_ca_file = dir_.Join("ca.crt");
    std::string error;
    etcd_ = EtcdServer::Start(1, &error, options);
    ASSERT_NE(etcd_, nullptr) << error;
  }

  // Options for the TLS port, with the CA and the client certificate.
  OpenOptions TlsOptions() const {
    OpenOptions o = EtcdOptions(*etcd_);
    o.addrs = {etcd_->tls_addr(0)};
    o.timeout = std::chrono::seconds(3);
    o.options["ca_file"] = dir_.Join("ca.crt");
    o.options["cert_file"] = dir_.Join("keeper.crt");
    o.options["key_file"] = dir_.Join("keeper.key");
    return o;
  }

  // Opens a registry with `o` and registers an instance: that fails with
  // UNAVAILABLE naming the TLS endpoint and containing each of `hints`,
  // and leaves nothing in the store.
  void ExpectRefused(const OpenOptions& o, const std::vector<std::string>& hints) const {
    Registry r;
    Status s = OpenEtcd(o, &r);
    if (s.ok()) s = r.Register(MakeInstance("svc", "a"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), KREG_UNAVAILABLE) << s.ToString();
    EXPECT_NE(s.message().find(etcd_->tls_addr(0)), std::string::npos) << s.ToString();
    for (const std::string& hint : hints) {
      EXPECT_NE(s.message().find(hint), std::string::npos) << "no \"" << hint << "\" in: " << s.ToString();
    }
    EXPECT_EQ(EtcdctlKeys(*etcd_, "/discovery/").size(), 0u);
  }

  TempDir dir_;
  std::unique_ptr<EtcdServer> etcd_;
};

TEST_F(EtcdTls, RegistersReadsAndWatchesOverTls) {
  Registry r;
  ASSERT_TRUE(OpenEtcd(TlsOptions(), &r).ok());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "a")).ok());
  Service read;
  ASSERT_TRUE(r.GetService("svc", &read).ok());
  EXPECT_EQ(read.instance_count(), 1u);
  EventRecorder rec;
  std::unique_ptr<Watch> w;
  ASSERT_TRUE(r.StartWatch(rec.Callback(), &w).ok());
  ASSERT_TRUE(rec.WaitSynced());
  ASSERT_TRUE(r.Register(MakeInstance("svc", "b")).ok());
  EXPECT_TRUE(rec.WaitUntil([](const EventRecorder::Model& m) { return m.has_instance("svc", "b"); }));
  // It is the store's own data, as etcdctl on the plain port sees it.
  EXPECT_FALSE(EtcdctlGet(*etcd_, "/discovery/svc/instance/b/").empty());
  EXPECT_TRUE(rec.violations().empty()) << rec.violations().front();
}

TEST_F(EtcdTls, AMemberSignedByAnotherCaIsRefusedNamingTheEndpoint) {
  ASSERT_NO_FATAL_FAILURE(MakeCa(dir_, "other-ca"));
  OpenOptions o = TlsOptions();
  o.options["ca_file"] = dir_.Join("other-ca.crt");
  ExpectRefused(o, {"certificate problem" /* libcurl's account */, "ca_file signed its certificate"});
}

TEST_F(EtcdTls, WithoutAClientCertificateTheMemberRefusesNamingTheEndpoint) {
  OpenOptions o = TlsOptions();
  o.options.erase("cert_file");
  o.options.erase("key_file");
  // What libcurl can tell varies: under TLS 1.3 the member's refusal may
  // reach it as an alert ("bad certificate") or as a broken connection.
  ExpectRefused(o, {"wants no client certificate (else set cert_file and key_file)"});
}

}  // namespace
}  // namespace testing
}  // namespace kreg
