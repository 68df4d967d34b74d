// EventRecorder: applies the events of a watch to a model of every service
// and checks the contract as they come; and views of a registry's services
// to compare the model with what the store holds. For any backend's tests.
#ifndef KREG_TESTS_SUPPORT_EVENT_RECORDER_H_
#define KREG_TESTS_SUPPORT_EVENT_RECORDER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kreg/registry.hpp"
#include "kreg/types.hpp"
#include "support/version_rule.h"

namespace kreg {
namespace testing {

// The instances of `service` by id; empty when the service is missing.
std::map<std::string, Instance> InstancesById(const Service& service);

// Applies the events of a watch to a model of every service and checks
// the contract as they come: the version rule (support/version_rule.h),
// the initial state precedes exactly one SYNCED, and a delete names an
// instance the model has.
class EventRecorder {
 public:
  Watch::Callback Callback();

  struct Model {
    std::map<std::string, std::map<std::string, Instance>> instances;  // service -> id
    std::map<std::string, Property> properties;
    std::map<std::string, int64_t> versions;  // service -> last event version

    bool has_instance(const std::string& service, const std::string& id) const {
      auto it = instances.find(service);
      return it != instances.end() && it->second.count(id) == 1;
    }
  };

  bool WaitSynced(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Polls until `pred(model)` holds.
  bool WaitUntil(const std::function<bool(const Model&)>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Model model() const;
  std::vector<WatchEvent> events() const;
  // Contract violations seen so far (empty when all is well).
  std::vector<std::string> violations() const;
  size_t count(EventType type, EventInfo info) const;

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    Model model;
    std::vector<WatchEvent> events;
    std::vector<std::string> violations;
    VersionRule version_rule;
    int synced = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// The model's view of one service's instances, comparable with the server:
// id -> JSON of the stored fields.
std::map<std::string, std::string> StoredView(const std::map<std::string, Instance>& instances);

// Every service under `root`, read through `registry`, as the model has it.
std::map<std::string, std::map<std::string, std::string>> ServerView(const Registry& registry);
std::map<std::string, std::map<std::string, std::string>> ModelView(const EventRecorder::Model& model);
// What differs between two views, one line per instance, for messages.
std::string DescribeDiff(const std::map<std::string, std::map<std::string, std::string>>& want,
                         const std::map<std::string, std::map<std::string, std::string>>& got);

}  // namespace testing
}  // namespace kreg

#endif  // KREG_TESTS_SUPPORT_EVENT_RECORDER_H_
