// Navigation in JSON text without building values: where each member of an
// object starts and ends. The registry file is mostly instance entries that
// a write does not touch; keeping them as text spares parsing and
// re-serializing the whole file on every write.
//
// REQUIRES for every function but IsValidJson: the text is valid JSON
// (check the whole document once with IsValidJson).
#ifndef KREG_PLUGINS_FILE_JSON_TEXT_H_
#define KREG_PLUGINS_FILE_JSON_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kreg {
namespace file {

using JsonMembers = std::vector<std::pair<std::string, std::string_view>>;

// Nesting deeper than this is JSON by the grammar but not what the plugin
// reads: nlohmann::json writes and destroys values recursively.
inline constexpr size_t kMaxJsonDepth = 512;

// A part of a valid JSON text that the plugin's parser (nlohmann::json)
// cannot read, though the grammar allows it.
struct JsonProblem {
  size_t offset;     // where in the text it starts
  const char* what;  // "holds a lone surrogate escape", "nests deeper than 512 levels"
};

// True when `text` is one JSON value (RFC 8259, UTF-8) with nothing but
// whitespace around it, several times faster than nlohmann::json::accept
// and at any depth. Each lone surrogate escape (e.g. "\udc80", which
// Python's json writes) and each container opened deeper than
// kMaxJsonDepth is appended to *unreadable, in text order: the caller
// rejects the record holding it, not the whole text.
bool IsValidJson(std::string_view text, std::vector<JsonProblem>* unreadable);

// The members of the object `text` (surrounding whitespace allowed), in
// order, keys unescaped and values as text. False when `text` is not an
// object. A key IsValidJson found unreadable is kept as it is written.
bool ObjectMembers(std::string_view text, JsonMembers* out);

// The object `object` with the value of its member `key` replaced by the
// JSON text `value`, or with that member appended when it has none; every
// other byte is kept as written (a number wider than a double included).
// REQUIRES: `object` is a JSON object with `key` at most once.
std::string WithMember(std::string_view object, std::string_view key, std::string_view value);

// The value of `text` when it is an integer that fits int64_t.
std::optional<int64_t> IntegerValue(std::string_view text);

// `s` as a JSON string literal.
std::string QuoteJson(std::string_view s);

}  // namespace file
}  // namespace kreg

#endif  // KREG_PLUGINS_FILE_JSON_TEXT_H_
