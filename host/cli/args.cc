#include "args.h"

#include <charconv>
#include <limits>

namespace kreg {
namespace cli {
namespace {

// Splits "key<sep>value" at the first `sep`; false when it is missing or
// either side is empty.
bool SplitPair(const std::string& text, char sep, std::string* key, std::string* value) {
  size_t at = text.find(sep);
  if (at == std::string::npos || at == 0 || at + 1 >= text.size()) return false;
  *key = text.substr(0, at);
  *value = text.substr(at + 1);
  return true;
}

// The whole of `text` as a number: no sign, space or trailing character.
bool ParseWholeNumber(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

Status MustBe(const std::string& text, const std::string& form) {
  return Status::InvalidArgument("\"" + text + "\" must be " + form);
}

}  // namespace

Status ParseKeyValue(const std::string& text, std::string* key, std::string* value) {
  if (!SplitPair(text, '=', key, value)) return MustBe(text, "key=value");
  return Status::OK();
}

Status ParseAddr(const std::string& text, std::string* scheme, std::string* host_port) {
  if (!SplitPair(text, '=', scheme, host_port)) return MustBe(text, "scheme=host:port, e.g. http=127.0.0.1:8080");
  return Status::OK();
}

Status ParseZoneWeight(const std::string& text, std::string* src, std::string* dst, uint64_t* weight) {
  std::string route, weight_text;
  if (!SplitPair(text, '=', &route, &weight_text) || !SplitPair(route, ':', src, dst) ||
      !ParseWholeNumber(weight_text, weight)) {
    return MustBe(text, "SRC:DST=WEIGHT, e.g. sh001:sh002=30");
  }
  return Status::OK();
}

Status ParseAttr(const std::string& text, std::string* id, std::string* key, std::string* value) {
  std::string id_key;
  size_t colon = std::string::npos;
  if (SplitPair(text, '=', &id_key, value)) colon = id_key.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == id_key.size()) {
    return MustBe(text, "ID:key=value, e.g. web-1:backend-metadata-online=N");
  }
  *id = id_key.substr(0, colon);
  *key = id_key.substr(colon + 1);
  return Status::OK();
}

Status ParseCount(const std::string& text, int64_t* count) {
  uint64_t n = 0;
  if (!ParseWholeNumber(text, &n) || n < 1 || n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::InvalidArgument("must be a positive number, not \"" + text + "\"");
  }
  *count = static_cast<int64_t>(n);
  return Status::OK();
}

}  // namespace cli
}  // namespace kreg
