// The fast path of format::DecodeInstance (kreg/json_format.hpp): an
// instance record in the plain form kreg and the Go keeper write -- one
// object of ASCII strings without escapes, integer times and maps of such
// strings -- read straight into an Instance, with no JSON tree between.
// A backend decodes every record it lists, and the tree was most of that.
//
// On anything else (an escape, a byte past ASCII, a float, an array, a
// nested value, a field of the wrong type, bad syntax) it declines, and
// DecodeInstance reads the text the general way, which decides what the
// text is. So a record it accepts decodes as the general way decodes it,
// to the last of a repeated key; tests/format/plain_instance_test.cc holds
// the two to that.
#ifndef KREG_PLAIN_INSTANCE_HPP_
#define KREG_PLAIN_INSTANCE_HPP_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "kreg/types.hpp"

namespace kreg {
namespace format {
namespace internal {

class PlainInstanceReader {
 public:
  explicit PlainInstanceReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // True, with *out set, when the whole text is a plain record; false, with
  // *out as it was, when the general way must read it.
  bool Read(Instance* out) {
    Instance in;
    if (!Record(&in)) return false;
    SkipSpace();
    if (p_ != end_) return false;
    *out = std::move(in);
    return true;
  }

 private:
  bool Record(Instance* in) {
    SkipSpace();
    if (!Take('{')) return false;
    SkipSpace();
    if (Take('}')) return true;
    do {
      SkipSpace();
      std::string_view key;
      if (!String(&key)) return false;
      SkipSpace();
      if (!Take(':')) return false;
      SkipSpace();
      if (!Field(key, in)) return false;
      SkipSpace();
    } while (Take(','));
    return Take('}');
  }

  // The value of field `key`; null reads as the field's empty value.
  bool Field(std::string_view key, Instance* in) {
    if (key == "id") return StringOrNull(&in->id);
    if (key == "service_name") return StringOrNull(&in->service_name);
    if (key == "zone") return StringOrNull(&in->zone);
    if (key == "env") return StringOrNull(&in->env);
    if (key == "hostname") return StringOrNull(&in->hostname);
    if (key == "addrs") return Map(&in->addrs);
    if (key == "metadata") return Map(&in->metadata);
    if (key == "reg_time") return IntOrNull(&in->reg_time);
    if (key == "update_time") return IntOrNull(&in->update_time);
    return UnknownScalar();
  }

  bool StringOrNull(std::string* out) {
    std::string_view s;
    if (Null()) {
      out->clear();
      return true;
    }
    if (!String(&s)) return false;
    out->assign(s);
    return true;
  }

  bool IntOrNull(int64_t* out) {
    if (Null()) {
      *out = 0;
      return true;
    }
    return Int(out);
  }

  bool Map(StringMap* out) {
    out->clear();
    if (Null()) return true;
    if (!Take('{')) return false;
    SkipSpace();
    if (Take('}')) return true;
    do {
      SkipSpace();
      std::string_view key, value;
      if (!String(&key)) return false;
      SkipSpace();
      if (!Take(':')) return false;
      SkipSpace();
      if (!String(&value)) return false;
      out->insert_or_assign(std::string(key), std::string(value));
      SkipSpace();
    } while (Take(','));
    return Take('}');
  }

  // A field kreg does not read: skipped when it is a plain scalar.
  bool UnknownScalar() {
    std::string_view s;
    int64_t i;
    if (p_ != end_ && *p_ == '"') return String(&s);
    return Null() || Literal("true") || Literal("false") || Int(&i);
  }

  // A string of printable ASCII, no escapes.
  bool String(std::string_view* out) {
    if (!Take('"')) return false;
    const char* start = p_;
    while (p_ != end_ && *p_ != '"') {
      if (*p_ < 0x20 || *p_ > 0x7e || *p_ == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }

  // An integer that fits int64, in JSON's syntax; a fraction or an
  // exponent after it fails the caller's next Take.
  bool Int(int64_t* out) {
    const bool negative = Take('-');
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 != end_ && p_[1] >= '0' && p_[1] <= '9') return false;
    const uint64_t limit = negative ? uint64_t{1} << 63 : static_cast<uint64_t>(INT64_MAX);
    uint64_t magnitude = 0;
    for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_) {
      const uint64_t digit = static_cast<uint64_t>(*p_ - '0');
      if (magnitude > (limit - digit) / 10) return false;
      magnitude = magnitude * 10 + digit;
    }
    *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
  }

  bool Null() { return Literal("null"); }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool Take(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  const char* p_;
  const char* const end_;
};

}  // namespace internal
}  // namespace format
}  // namespace kreg

#endif  // KREG_PLAIN_INSTANCE_HPP_
