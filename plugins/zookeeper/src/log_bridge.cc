#include "log_bridge.h"

#include <array>
#include <cstring>
#include <string>
#include <mutex>
#include <string_view>
#include <utility>

namespace kreg {
namespace zk {

namespace {

constexpr int kSlots = 64;

struct Slot {
  bool used = false;
  plugin::Logger log;
  std::string secret;
};

std::mutex& SlotsMu() {
  static std::mutex mu;
  return mu;
}

std::array<Slot, kSlots>& Slots() {
  static std::array<Slot, kSlots> slots;
  return slots;
}

// A client line looks like
//   "2026-01-01 00:00:00,000:123(0x7f):ZOO_INFO@zookeeper_init@1234: text".
// Returns the level and sets *text to what follows the level marker.
kreg_log_level ParseLine(std::string_view line, std::string_view* text) {
  static const std::pair<const char*, kreg_log_level> kLevels[] = {
      {":ZOO_ERROR@", KREG_LOG_ERROR},
      {":ZOO_WARN@", KREG_LOG_WARN},
      {":ZOO_INFO@", KREG_LOG_INFO},
      {":ZOO_DEBUG@", KREG_LOG_DEBUG}};
  for (const auto& [marker, level] : kLevels) {
    size_t at = line.find(marker);
    if (at != std::string_view::npos) {
      *text = line.substr(at + std::strlen(marker));
      return level;
    }
  }
  *text = line;
  return KREG_LOG_INFO;
}

void Route(int slot, const char* message) {
  if (message == nullptr) return;
  std::lock_guard<std::mutex> lock(SlotsMu());
  const Slot& s = Slots()[slot];
  if (!s.used) return;
  std::string_view text;
  kreg_log_level level = ParseLine(message, &text);
  if (!s.log.enabled(level)) return;
  std::string line = "zookeeper client: " + std::string(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!s.secret.empty()) {
    for (size_t at = line.find(s.secret); at != std::string::npos; at = line.find(s.secret, at)) {
      line.replace(at, s.secret.size(), "***");
    }
  }
  s.log.Log(level, line);
}

template <int N>
void Trampoline(const char* message) {
  Route(N, message);
}

template <int... N>
constexpr std::array<log_callback_fn, sizeof...(N)> MakeTrampolines(std::integer_sequence<int, N...>) {
  return {&Trampoline<N>...};
}

constexpr std::array<log_callback_fn, kSlots> kTrampolines =
    MakeTrampolines(std::make_integer_sequence<int, kSlots>());

void Drop(const char*) {}

}  // namespace

ClientLog::ClientLog(plugin::Logger log, std::string secret) : slot_(-1), callback_(&Drop) {
  std::lock_guard<std::mutex> lock(SlotsMu());
  for (int i = 0; i < kSlots; ++i) {
    Slot& s = Slots()[i];
    if (s.used) continue;
    s.used = true;
    s.log = log;
    s.secret = std::move(secret);
    slot_ = i;
    callback_ = kTrampolines[i];
    return;
  }
  log.Warn("zookeeper: more than " + std::to_string(kSlots) +
           " ZooKeeper handles in this process; the client log of this one is dropped");
}

ClientLog::~ClientLog() {
  if (slot_ < 0) return;
  std::lock_guard<std::mutex> lock(SlotsMu());
  Slots()[slot_] = Slot();
}

}  // namespace zk
}  // namespace kreg
