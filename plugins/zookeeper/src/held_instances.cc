#include "held_instances.h"

#include <utility>

namespace kreg {
namespace zk {

bool HeldInstances::Renew(const std::string& key, std::chrono::milliseconds ttl) {
  auto now = LeaseClock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  it->second.deadline = now + ttl;
  return true;
}

int64_t HeldInstances::RegTime(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.reg_time;
}

bool HeldInstances::Contains(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.count(key) != 0;
}

void HeldInstances::Put(const std::string& key, HeldInstance entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = std::move(entry);
}

bool HeldInstances::Take(const std::string& key, HeldInstance* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  *out = std::move(it->second);
  entries_.erase(it);
  return true;
}

std::vector<HeldInstance> HeldInstances::TakeExpired(LeaseClock::time_point now) {
  std::vector<HeldInstance> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.deadline < now) {
      out.push_back(std::move(it->second));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void HeldInstances::MarkAllForRecreate() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, entry] : entries_) entry.recreate = true;
}

std::vector<std::string> HeldInstances::RecreateKeys() {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, entry] : entries_) {
    if (entry.recreate) out.push_back(key);
  }
  return out;
}

bool HeldInstances::GetIfRecreate(const std::string& key, HeldInstance* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.recreate) return false;
  *out = it->second;
  return true;
}

void HeldInstances::ClearRecreate(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.recreate = false;
}

}  // namespace zk
}  // namespace kreg
