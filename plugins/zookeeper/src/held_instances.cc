#include "held_instances.h"

#include <algorithm>
#include <utility>

namespace kreg {
namespace zk {

namespace {

// Stale items beyond the live ones before the heap is built again: enough
// that rebuilding, O(held), is rare against the pushes that made them.
constexpr size_t kStaleSlack = 1024;

}  // namespace

void HeldInstances::QueueLocked(const std::string& key, Slot* slot) {
  slot->due = slot->entry.deadline;
  slot->ticket = ++next_ticket_;
  due_.push_back(DueItem{slot->due, slot->ticket, key});
  std::push_heap(due_.begin(), due_.end(), &EndsLater);
  if (due_.size() <= 2 * entries_.size() + kStaleSlack) return;
  due_.clear();
  for (const auto& [live_key, live] : entries_) due_.push_back(DueItem{live.due, live.ticket, live_key});
  std::make_heap(due_.begin(), due_.end(), &EndsLater);
}

void HeldInstances::FlagLocked(const std::string& key, HeldInstance* entry) {
  if (entry->check) return;  // flagged_ has it already
  entry->check = true;
  flagged_.push_back(key);
}

bool HeldInstances::Renew(const std::string& key, std::chrono::milliseconds ttl) {
  auto now = LeaseClock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  Slot& slot = it->second;
  slot.entry.deadline = now + ttl;
  // A later end is found when the queued one comes up; an earlier one
  // must be queued now.
  if (slot.entry.deadline < slot.due) QueueLocked(it->first, &slot);
  return true;
}

int64_t HeldInstances::RegTime(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.entry.reg_time;
}

bool HeldInstances::Contains(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.count(key) != 0;
}

void HeldInstances::Put(const std::string& key, HeldInstance entry) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.try_emplace(key).first;
  Slot& slot = it->second;
  const bool check = std::exchange(entry.check, false);
  slot.entry = std::move(entry);
  QueueLocked(it->first, &slot);
  if (check) FlagLocked(it->first, &slot.entry);
}

bool HeldInstances::Take(const std::string& key, HeldInstance* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  *out = std::move(it->second.entry);
  entries_.erase(it);
  return true;
}

std::vector<HeldInstance> HeldInstances::TakeExpired(LeaseClock::time_point now) {
  std::vector<HeldInstance> out;
  std::lock_guard<std::mutex> lock(mu_);
  while (!due_.empty() && due_.front().at < now) {
    std::pop_heap(due_.begin(), due_.end(), &EndsLater);
    DueItem item = std::move(due_.back());
    due_.pop_back();
    auto it = entries_.find(item.key);
    if (it == entries_.end() || it->second.ticket != item.ticket) continue;  // stale
    if (it->second.entry.deadline < now) {
      out.push_back(std::move(it->second.entry));
      entries_.erase(it);
    } else {
      QueueLocked(it->first, &it->second);  // renewed since it was queued
    }
  }
  return out;
}

void HeldInstances::MarkAllForRecreate() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, slot] : entries_) {
    slot.entry.recreate = true;
    FlagLocked(key, &slot.entry);
  }
}

bool HeldInstances::MarkCheck(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  FlagLocked(it->first, &it->second.entry);
  return true;
}

bool HeldInstances::MarkFailed(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  FlagLocked(it->first, &it->second.entry);
  return std::exchange(it->second.entry.failing, true);
}

std::vector<HeldInstances::Name> HeldInstances::TakeChecks() {
  std::vector<Name> out;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> flagged;
  flagged.swap(flagged_);
  out.reserve(flagged.size());
  for (std::string& key : flagged) {
    auto it = entries_.find(key);
    // Taken since, or a key flagged twice (the first took the flag).
    if (it == entries_.end() || !it->second.entry.check) continue;
    HeldInstance& entry = it->second.entry;
    entry.check = false;
    out.push_back(Name{std::move(key), entry.service, entry.id});
  }
  return out;
}

bool HeldInstances::Get(const std::string& key, HeldInstance* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  *out = it->second.entry;
  return true;
}

void HeldInstances::SetState(const std::string& key, bool recreate, bool waiting) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  HeldInstance& entry = it->second.entry;
  entry.recreate = recreate;
  entry.waiting = waiting;
  entry.failing = false;
}

void HeldInstances::SetJson(const std::string& key, std::string json) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.entry.json = std::move(json);
}

bool HeldInstances::FinishCreate(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.entry.creating != token) return false;
  it->second.entry.creating = 0;
  FlagLocked(it->first, &it->second.entry);
  return true;
}

bool HeldInstances::DropCreate(const std::string& key, uint64_t token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.entry.creating != token) return false;
  entries_.erase(it);
  return true;
}

}  // namespace zk
}  // namespace kreg
