#include "support/event_recorder.h"

#include <algorithm>

#include "kreg/json_format.hpp"

namespace kreg {
namespace testing {

std::map<std::string, Instance> InstancesById(const Service& service) {
  std::map<std::string, Instance> out;
  for (const auto& [zone, by_id] : service.instances) {
    for (const auto& [id, in] : by_id) out[id] = *in;
  }
  return out;
}

Watch::Callback EventRecorder::Callback() {
  std::shared_ptr<State> st = state_;
  return [st](const WatchEvent& e) {
    std::lock_guard<std::mutex> lock(st->mu);
    st->events.push_back(e);
    auto violation = [&](const std::string& what) {
      st->violations.push_back(std::string(EventTypeName(e.type)) + " " + EventInfoName(e.info) + " " +
                               e.service_name + " v" + std::to_string(e.version) + ": " + what);
    };
    if (e.type == EventType::kSynced) {
      if (++st->synced != 1) violation("more than one SYNCED");
    } else if (e.type != EventType::kError) {
      if (st->synced == 0 && e.type != EventType::kCreate) violation("not a CREATE before SYNCED");
      std::string broken = st->version_rule.Check(e);
      if (!broken.empty()) violation(broken);
      st->model.versions[e.service_name] = st->version_rule.last(e.service_name);
      if (e.info == EventInfo::kInstance) {
        auto& by_id = st->model.instances[e.service_name];
        if (e.instance.id.empty()) violation("no instance id");
        if (e.type == EventType::kDelete) {
          if (by_id.erase(e.instance.id) == 0) violation("delete of an unknown instance " + e.instance.id);
        } else {
          if (e.type == EventType::kCreate && by_id.count(e.instance.id) != 0) {
            violation("create of a known instance " + e.instance.id);
          }
          if (e.type == EventType::kModify && by_id.count(e.instance.id) == 0) {
            violation("modify of an unknown instance " + e.instance.id);
          }
          by_id[e.instance.id] = e.instance;
        }
        if (by_id.empty()) st->model.instances.erase(e.service_name);
      } else if (e.info == EventInfo::kProperty) {
        if (e.type == EventType::kDelete) {
          st->model.properties.erase(e.service_name);
        } else {
          st->model.properties[e.service_name] = e.property;
        }
      }
    }
    st->cv.notify_all();
  };
}

bool EventRecorder::WaitSynced(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [this] { return state_->synced > 0; });
}

bool EventRecorder::WaitUntil(const std::function<bool(const Model&)>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return pred(state_->model); });
}

EventRecorder::Model EventRecorder::model() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->model;
}

std::vector<WatchEvent> EventRecorder::events() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->events;
}

std::vector<std::string> EventRecorder::violations() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->violations;
}

size_t EventRecorder::count(EventType type, EventInfo info) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return static_cast<size_t>(std::count_if(state_->events.begin(), state_->events.end(), [&](const WatchEvent& e) {
    return e.type == type && e.info == info;
  }));
}

std::map<std::string, std::string> StoredView(const std::map<std::string, Instance>& instances) {
  std::map<std::string, std::string> out;
  for (const auto& [id, in] : instances) out[id] = format::InstanceToJson(in).dump();
  return out;
}

std::map<std::string, std::map<std::string, std::string>> ServerView(const Registry& registry) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::vector<Service> services;
  if (!registry.ListServices(&services).ok()) return {{"<error>", {}}};
  for (const Service& s : services) {
    auto view = StoredView(InstancesById(s));
    if (!view.empty()) out[s.service_name] = view;
  }
  return out;
}

std::map<std::string, std::map<std::string, std::string>> ModelView(const EventRecorder::Model& model) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [service, by_id] : model.instances) {
    auto view = StoredView(by_id);
    if (!view.empty()) out[service] = view;
  }
  return out;
}

std::string DescribeDiff(const std::map<std::string, std::map<std::string, std::string>>& want,
                         const std::map<std::string, std::map<std::string, std::string>>& got) {
  std::string out;
  auto side = [&](const auto& a, const auto& b, const char* what) {
    for (const auto& [service, by_id] : a) {
      auto other = b.find(service);
      for (const auto& [id, json] : by_id) {
        if (other == b.end() || other->second.count(id) == 0) {
          out += std::string(what) + " " + service + "/" + id + "\n";
        } else if (other->second.at(id) != json && what[0] == 's') {
          out += "differs " + service + "/" + id + ": server " + json + " watch " + other->second.at(id) + "\n";
        }
      }
    }
  };
  side(want, got, "server only");
  side(got, want, "watch only");
  return out;
}

}  // namespace testing
}  // namespace kreg
