// A backend whose operations do nothing: what is left of a call through it
// is the cost of the host wrapper, the C ABI and the plugin helper. Built
// as a plugin (noop_plugin.cc) and linked directly into the benchmark as
// the baseline of a plain C++ call.
#ifndef KREG_BENCH_NOOP_BACKEND_H_
#define KREG_BENCH_NOOP_BACKEND_H_

#include "kreg/plugin.hpp"

namespace kreg {
namespace bench {

class NoopBackend : public plugin::Backend {
 public:
  static Status Create(const plugin::Config&, std::unique_ptr<plugin::Backend>* out) {
    out->reset(new NoopBackend());
    return Status::OK();
  }
  // As if every instance were held: keepalives end here.
  bool Renew(std::string_view, std::string_view, std::chrono::milliseconds) override { return true; }
  Status Register(const Instance&, const RegisterOptions&) override { return {}; }
  Status Deregister(const std::string&, const std::string&) override { return {}; }
  Status GetService(const std::string&, Service*) override { return {}; }
  Status ListServices(std::vector<Service>*) override { return {}; }
  Status SetProperty(const Property&) override { return {}; }
  Status Watch(std::shared_ptr<plugin::EventSink> sink, std::unique_ptr<plugin::WatchSource>* source) override {
    sink->Push(WatchEvent{});
    source->reset(new plugin::WatchSource());
    return {};
  }
};

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_NOOP_BACKEND_H_
