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

struct ClientLevel {
  const char* marker;
  const char* name;       // kept in the text
  kreg_log_level level;  // what the line is logged at
};

// A client line looks like
//   "2026-01-01 00:00:00,000:123(0x7f):ZOO_INFO@zookeeper_init@1234: text".
// Returns its level and sets *text to what follows the level marker.
const ClientLevel& ParseLine(std::string_view line, std::string_view* text) {
  static const ClientLevel kLevels[] = {{":ZOO_ERROR@", "error", KREG_LOG_DEBUG},
                                        {":ZOO_WARN@", "warn", KREG_LOG_DEBUG},
                                        {":ZOO_INFO@", "info", KREG_LOG_DEBUG},
                                        {":ZOO_DEBUG@", "debug", KREG_LOG_TRACE}};
  for (const ClientLevel& l : kLevels) {
    size_t at = line.find(l.marker);
    if (at != std::string_view::npos) {
      *text = line.substr(at + std::strlen(l.marker));
      return l;
    }
  }
  *text = line;
  return kLevels[2];
}

void Route(int slot, const char* message) {
  if (message == nullptr) return;
  std::lock_guard<std::mutex> lock(SlotsMu());
  const Slot& s = Slots()[slot];
  if (!s.used) return;
  std::string_view text;
  const ClientLevel& level = ParseLine(message, &text);
  if (!s.log.enabled(level.level)) return;
  std::string line = "zookeeper client: " + std::string(level.name) + ": " + std::string(text);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!s.secret.empty()) {
    for (size_t at = line.find(s.secret); at != std::string::npos; at = line.find(s.secret, at)) {
      line.replace(at, s.secret.size(), "***");
    }
  }
  s.log.Log(level.level, line);
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
