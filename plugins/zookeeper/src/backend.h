// ZkBackend: the kreg backend over ZooKeeper (api/CONTRACT.md "Liveness",
// plugins/zookeeper/README.md).
//
// Threads: callers' threads run the operations (a GetService of a cached
// service only looks it up, see service_cache.h; a RegisterAsync completes
// on the client's completion thread or on its worker, async_register.h);
// one maintenance thread
// ends lapsed leases (deleting their nodes, pipelined) and keeps every held
// instance's node there; the Session's own threads renew the session; each
// node mirror (node_mirror.h) answers notifications on the client's
// completion thread and retries failed reads on a thread of its own.
//
// Held nodes: each held node carries an exists watch, set by the
// maintenance thread after every write and every notification (the event
// thread only flags the key). A node found missing -- deleted by someone
// else, or gone with an expired session -- is created again with the held
// record; a deregister or a lapsed lease removes the key first, so its
// delete is never undone. A node at the path that this backend does not
// own (another session's, live or dead -- a client cannot tell -- or a
// persistent one) is never deleted or written: the instance is held as
// waiting, is listed with that node's data, and our node is created the
// moment that one goes. Nodes of this backend's own earlier sessions are
// replaced at once.
//
// Locking: HeldInstances' table mutex guards the leases (the keepalive path
// takes only it); a per-key stripe mutex serializes the ZooKeeper writes of
// one instance (create, refresh, deregister, expiry, re-creation).
#ifndef KREG_PLUGINS_ZOOKEEPER_BACKEND_H_
#define KREG_PLUGINS_ZOOKEEPER_BACKEND_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "async_register.h"
#include "create_batcher.h"
#include "directory_guard.h"
#include "held_instances.h"
#include "kreg/plugin.hpp"
#include "layout.h"
#include "options.h"
#include "node_mirror.h"
#include "service_cache.h"
#include "service_lister.h"
#include "requests.h"
#include "session.h"

namespace kreg {
namespace zk {

class ZkBackend : public plugin::Backend, private SessionListener {
 public:
  static Status Create(const plugin::Config& config, std::unique_ptr<plugin::Backend>* out);
  ~ZkBackend() override;

  // The keepalive path: a lookup in HeldInstances, no ZooKeeper request.
  bool Renew(std::string_view service_name, std::string_view id, std::chrono::milliseconds ttl) override;
  Status Register(const Instance& instance, const RegisterOptions& options) override;
  // A first register issues its create and completes from its reply; a
  // keepalive completes at once; the rest (async_register.h) finishes on
  // the worker as Register does.
  void RegisterAsync(const Instance& instance, const RegisterOptions& options, RegisterDone done) override;
  Status Deregister(const std::string& service_name, const std::string& id) override;
  // Answered from the ServiceCache: read-your-writes, as fresh as a watch.
  Status GetService(const std::string& service_name, Service* out) override;
  Status GetServiceSnapshot(const std::string& service_name, std::shared_ptr<const Service>* out) override;
  std::shared_ptr<const Service> KeptSnapshot(const std::string& service_name, int64_t version) override;
  // Read from the server, not cached: a listing would otherwise leave a
  // watch on every node of the tree.
  Status ListServices(std::vector<Service>* out) override;
  // Each service as soon as it is read, for the host to copy meanwhile.
  Status StreamServices(const ServiceFn& emit) override;
  Status SetProperty(const Property& property) override;
  Status Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) override;

 private:
  ZkBackend(const Options& options, plugin::Logger log, std::unique_ptr<Session> session);

  void OnNodeEvent(int type, const std::string& path) override;
  void OnNewSession() override;
  // The listing behind ListServices and StreamServices.
  Status List(const ServiceLister::ServiceFn& emit);

  Deadline OpDeadline() const { return Deadline::After(options_.timeout); }
  Status RegisterBy(const Instance& instance, const RegisterOptions& options, const Deadline& deadline);
  // The parts of RegisterAsync (async_register.h): on the caller's thread
  // (or the worker's), on the completion thread, and on the worker.
  void StartRegister(const std::shared_ptr<AsyncRegister>& reg);
  void OnCreated(const std::shared_ptr<AsyncRegister>& reg, int rc);
  void RegisterOnWorker(const std::shared_ptr<AsyncRegister>& reg);
  void ExpireRegister(const std::shared_ptr<AsyncRegister>& reg);
  void FinishRegister(const std::shared_ptr<AsyncRegister>& reg, const Status& status);
  void WakeMaintainer();
  void LogOtherOwner(const std::string& path, int64_t owner);
  void Maintain();  // the maintenance thread
  void ExpireLeases();
  // Looks at every flagged held node (pipelined exists, setting watches)
  // and makes those that are missing or not ours.
  void CheckHeld();
  void MakeHeldNode(const std::string& key, const std::string& path);

  const Options options_;
  const plugin::Logger log_;
  const Layout layout_;
  std::unique_ptr<Session> session_;
  std::shared_ptr<NodeMirror> mirror_;  // under the cache and every watch
  std::unique_ptr<ServiceCache> cache_;
  CreateBatcher batcher_;  // the first create of each instance
  DirectoryGuard directories_;  // checked before writing under them
  HeldInstances held_;

  std::mutex maintain_mu_;
  std::condition_variable maintain_cv_;
  bool wake_ = false;
  std::atomic<bool> stopping_{false};
  std::thread maintainer_;

  std::atomic<uint64_t> next_create_token_{1};
  AsyncRegisterWorker register_worker_;  // last: its thread calls into the members above
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_BACKEND_H_
