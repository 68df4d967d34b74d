// ServiceLister: reads many services whole, once, without watches -- what
// ListServices returns.
//
// The reads are pipelined across services and chained on the client's
// completion thread: the reply to a directory's listing issues the reads
// of what it lists at once, with at most 2000 requests in flight (as many
// as the raw client's pipelined reads keep), so no service waits for
// another's round and a listing costs about three round trips plus the
// transfer. The replies are decoded on the caller's thread while the rest
// are still in flight, and each service is handed over as soon as it and
// those before it are read.
//
// Per service: getChildren of its node (is it there; are instance/ and
// property/?) and of instance/, at once; then getData of every instance
// listed, and getChildren of property/ (its pzxid; is backend there?)
// when the service has one, then getData of backend when it is there.
//
// Thread safety: List may be called from any thread but the client's
// completion thread, by several callers at once.
#ifndef KREG_PLUGINS_ZOOKEEPER_SERVICE_LISTER_H_
#define KREG_PLUGINS_ZOOKEEPER_SERVICE_LISTER_H_

#include <functional>
#include <string>
#include <vector>

#include "deadline.h"
#include "kreg/plugin.hpp"
#include "kreg/status.hpp"
#include "kreg/types.hpp"
#include "layout.h"
#include "session.h"

namespace kreg {
namespace zk {

class ServiceLister {
 public:
  ServiceLister(Session* session, const Layout* layout, plugin::Logger log)
      : session_(session), layout_(layout), log_(log) {}

  // Receives a service of the listing, on the caller's thread.
  using ServiceFn = std::function<void(Service&&)>;

  // Passes to `emit` the services `names` (children of the root) that
  // still exist, in the order of `names`, each with its instances by zone,
  // its property merged in, at its ServiceVersion. A node deleted since its
  // directory was listed is left out; a malformed one is skipped with a
  // warning (its mzxid still counts in the version), an invalid instance
  // id likewise. A read that fails on connection loss or session expiry is
  // retried until `deadline`; any other failure, or the deadline, fails
  // the whole listing, and what was emitted is no listing. Replies due
  // after List returned are dropped without touching anything of the
  // caller's.
  Status List(const std::vector<std::string>& names, const Deadline& deadline, const ServiceFn& emit) const;

 private:
  Session* const session_;
  const Layout* const layout_;
  const plugin::Logger log_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_SERVICE_LISTER_H_
