// Routes the ZooKeeper C client's own log lines into the plugin's log sink
// instead of stderr.
//
// Every client line is logged at debug (the client's DEBUG lines at trace),
// whatever level the client gave it, which the line keeps in its text. The
// client logs each failed connection attempt, several a second while the
// ensemble is down, and a banner of its environment for every handle; kreg
// itself retries, reports what an operation could not do in its Status,
// and logs each change of the connection once (session.h).
//
// The C client's per-handle log callback receives only the formatted line,
// no context pointer, so each handle gets one of a fixed set of static
// trampolines ("slots"), each bound to one sink while the slot is held.
#ifndef KREG_PLUGINS_ZOOKEEPER_LOG_BRIDGE_H_
#define KREG_PLUGINS_ZOOKEEPER_LOG_BRIDGE_H_

#include <memory>
#include <string>

#include <zookeeper/zookeeper.h>

#include "kreg/plugin.hpp"

namespace kreg {
namespace zk {

class ClientLog {
 public:
  // Binds a slot to `log`. Every occurrence of `secret` (the password) in a
  // client line is masked before it reaches the sink. When all slots are
  // taken the callback drops lines: they still never reach stderr.
  ClientLog(plugin::Logger log, std::string secret);
  ~ClientLog();  // frees the slot; the handle using it must be closed first
  ClientLog(const ClientLog&) = delete;
  ClientLog& operator=(const ClientLog&) = delete;

  // Pass to zookeeper_init2 / zoo_set_log_callback.
  log_callback_fn callback() const { return callback_; }

 private:
  int slot_;
  log_callback_fn callback_;
};

}  // namespace zk
}  // namespace kreg

#endif  // KREG_PLUGINS_ZOOKEEPER_LOG_BRIDGE_H_
