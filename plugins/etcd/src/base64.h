// Standard base64 (RFC 4648, padded): etcd's JSON gateway carries keys and
// values as base64 strings.
#ifndef KREG_PLUGINS_ETCD_BASE64_H_
#define KREG_PLUGINS_ETCD_BASE64_H_

#include <string>
#include <string_view>

namespace kreg {
namespace etcd {

std::string Base64Encode(std::string_view bytes);
// False when `text` is not base64.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_BASE64_H_
