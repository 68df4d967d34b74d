#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

namespace kreg {
namespace file {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view s, size_t pos) {
  while (pos < s.size() && IsSpace(s[pos])) ++pos;
  return pos;
}

// REQUIRES: s[pos] == '"'. Returns the position after the closing quote.
// Strings are most of the file's bytes, so they are skipped with memchr.
size_t SkipString(std::string_view s, size_t pos) {
  for (;;) {
    const void* quote = std::memchr(s.data() + pos + 1, '"', s.size() - pos - 1);
    pos = static_cast<size_t>(static_cast<const char*>(quote) - s.data());
    // A quote after an odd number of backslashes is escaped. The opening
    // quote stops the count.
    size_t backslashes = 0;
    while (s[pos - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return pos + 1;
  }
}

// Returns the position after the value starting at s[pos].
size_t SkipValue(std::string_view s, size_t pos) {
  char c = s[pos];
  if (c == '"') return SkipString(s, pos);
  if (c != '{' && c != '[') {
    while (pos < s.size() && s[pos] != ',' && s[pos] != '}' && s[pos] != ']' && !IsSpace(s[pos])) ++pos;
    return pos;
  }
  int depth = 0;
  do {
    c = s[pos];
    if (c == '"') {
      pos = SkipString(s, pos);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ++pos;
  } while (depth > 0);
  return pos;
}

std::string UnescapeKey(std::string_view token) {
  std::string_view inner = token.substr(1, token.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);
  nlohmann::json key = nlohmann::json::parse(token, nullptr, /*allow_exceptions=*/false);
  return key.is_string() ? key.get<std::string>() : std::string(inner);
}

constexpr const char* kLoneSurrogate = "holds a lone surrogate escape";
constexpr const char* kTooDeep = "nests deeper than 512 levels";

// A checker that only walks and builds nothing. Containers are tracked on
// an explicit stack, so no nesting can exhaust the thread's stack.
class Validator {
 public:
  Validator(std::string_view s, std::vector<JsonProblem>* unreadable) : s_(s), unreadable_(unreadable) {}

  bool Document() {
    if (!Value()) return false;
    Space();
    return pos_ == s_.size();
  }

 private:
  int Peek() const { return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_]) : -1; }
  void Space() { pos_ = SkipSpace(s_, pos_); }
  void Unreadable(size_t offset, const char* what) { unreadable_->push_back(JsonProblem{offset, what}); }

  // One value, containers and all.
  bool Value() {
    std::vector<char> closers;  // of the containers the walk is in, innermost last
    for (;;) {
      // A value starts here.
      Space();
      int c = Peek();
      if (c == '{' || c == '[') {
        closers.push_back(c == '{' ? '}' : ']');
        if (closers.size() == kMaxJsonDepth + 1) Unreadable(pos_, kTooDeep);
        ++pos_;
        Space();
        if (Peek() != closers.back()) {
          if (closers.back() == '}' && !Key()) return false;
          continue;  // on to its first value
        }
        ++pos_;
        closers.pop_back();
      } else if (!Scalar()) {
        return false;
      }
      // A value ended: close what it ends, or go on to the next one.
      for (;;) {
        if (closers.empty()) return true;
        Space();
        if (Peek() == ',') {
          ++pos_;
          if (closers.back() == '}' && !Key()) return false;
          break;
        }
        if (Peek() != closers.back()) return false;
        ++pos_;
        closers.pop_back();
      }
    }
  }

  // An object member's key and colon.
  bool Key() {
    Space();
    if (Peek() != '"' || !String()) return false;
    Space();
    if (Peek() != ':') return false;
    ++pos_;
    return true;
  }

  bool Scalar() {
    switch (Peek()) {
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Digits() {
    size_t start = pos_;
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    bool integer = true;
    if (Peek() == '.') {
      integer = false;
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      integer = false;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!Digits()) return false;
    }
    // A number that is read as a double must be finite, as nlohmann
    // requires (integers too long for 64 bits are read as doubles).
    if (integer && pos_ - start <= 18) return true;
    std::string token(s_.substr(start, pos_ - start));
    return std::isfinite(std::strtod(token.c_str(), nullptr));
  }

  // Four hex digits after "\u"; -1 when they are not.
  int Hex4() {
    if (s_.size() - pos_ < 4) return -1;
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    pos_ += 4;
    return value;
  }

  bool Escape() {
    const size_t start = pos_;
    ++pos_;  // the backslash
    int c = Peek();
    ++pos_;
    if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') return true;
    if (c != 'u') return false;
    int unit = Hex4();
    if (unit < 0) return false;
    if (unit >= 0xD800 && unit <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
      // A high surrogate followed by a low one is one character.
      const size_t next = pos_;
      pos_ += 2;
      int low = Hex4();
      if (low >= 0xDC00 && low <= 0xDFFF) return true;
      pos_ = next;  // the next escape is checked on its own
    }
    if (unit >= 0xD800 && unit <= 0xDFFF) Unreadable(start, kLoneSurrogate);
    return true;
  }

  bool Continuation(int lo = 0x80, int hi = 0xBF) {
    int c = Peek();
    if (c < lo || c > hi) return false;
    ++pos_;
    return true;
  }

  // One UTF-8 sequence of 2 to 4 bytes: no overlong forms, no surrogates,
  // nothing above U+10FFFF.
  bool Utf8() {
    int c = Peek();
    ++pos_;
    if (c >= 0xC2 && c <= 0xDF) return Continuation();
    if (c == 0xE0) return Continuation(0xA0, 0xBF) && Continuation();
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return Continuation() && Continuation();
    if (c == 0xED) return Continuation(0x80, 0x9F) && Continuation();
    if (c == 0xF0) return Continuation(0x90, 0xBF) && Continuation() && Continuation();
    if (c >= 0xF1 && c <= 0xF3) return Continuation() && Continuation() && Continuation();
    if (c == 0xF4) return Continuation(0x80, 0x8F) && Continuation() && Continuation();
    return false;
  }

  bool String() {
    ++pos_;  // the opening quote
    for (;;) {
      int c = Peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;  // the end of the text, or a control character
      if (c == '\\') {
        if (!Escape()) return false;
      } else if (c >= 0x80) {
        if (!Utf8()) return false;
      } else {
        ++pos_;
      }
    }
  }

  std::string_view s_;
  std::vector<JsonProblem>* const unreadable_;
  size_t pos_ = 0;
};

}  // namespace

bool IsValidJson(std::string_view text, std::vector<JsonProblem>* unreadable) {
  return Validator(text, unreadable).Document();
}

bool ObjectMembers(std::string_view text, JsonMembers* out) {
  out->clear();
  size_t pos = SkipSpace(text, 0);
  if (pos >= text.size() || text[pos] != '{') return false;
  pos = SkipSpace(text, pos + 1);
  if (text[pos] == '}') return true;
  for (;;) {
    size_t key_end = SkipString(text, pos);
    std::string key = UnescapeKey(text.substr(pos, key_end - pos));
    size_t value_start = SkipSpace(text, SkipSpace(text, key_end) + 1);  // past ':'
    size_t value_end = SkipValue(text, value_start);
    out->emplace_back(std::move(key), text.substr(value_start, value_end - value_start));
    pos = SkipSpace(text, value_end);
    if (text[pos] == '}') return true;
    pos = SkipSpace(text, pos + 1);  // past ','
  }
}

std::string WithMember(std::string_view object, std::string_view key, std::string_view value) {
  JsonMembers members;
  ObjectMembers(object, &members);
  for (const auto& [name, old] : members) {
    if (name != key) continue;
    const size_t at = static_cast<size_t>(old.data() - object.data());
    return std::string(object.substr(0, at)).append(value).append(object.substr(at + old.size()));
  }
  const size_t close = object.rfind('}');
  std::string out(object.substr(0, close));
  if (!members.empty()) out += ",";
  out.append(QuoteJson(key)).append(":").append(value).append(object.substr(close));
  return out;
}

std::optional<int64_t> IntegerValue(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;  // not an integer, or too large
  return value;
}

std::string QuoteJson(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

}  // namespace file
}  // namespace kreg
