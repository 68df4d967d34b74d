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
  for (auto& [key, entry] : entries_) entry.recreate = entry.check = true;
}

bool HeldInstances::MarkCheck(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  it->second.check = true;
  return true;
}

bool HeldInstances::MarkFailed(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  it->second.check = true;
  return std::exchange(it->second.failing, true);
}

std::vector<HeldInstances::Name> HeldInstances::TakeChecks() {
  std::vector<Name> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, entry] : entries_) {
    if (!entry.check) continue;
    entry.check = false;
    out.push_back(Name{key, entry.service, entry.id});
  }
  return out;
}

bool HeldInstances::Get(const std::string& key, HeldInstance* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  *out = it->second;
  return true;
}

void HeldInstances::SetState(const std::string& key, bool recreate, bool waiting) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.recreate = recreate;
  it->second.waiting = waiting;
  it->second.failing = false;
}

void HeldInstances::SetJson(const std::string& key, std::string json) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.json = std::move(json);
}

bool HeldInstances::FinishCreate(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.creating != token) return false;
  it->second.creating = 0;
  it->second.check = true;
  return true;
}

bool HeldInstances::DropCreate(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.creating != token) return false;
  entries_.erase(it);
  return true;
}

}  // namespace zk
}  // namespace kreg
