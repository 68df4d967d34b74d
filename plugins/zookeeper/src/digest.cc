#include "digest.h"

#include <array>
#include <cstdint>
#include <string_view>

#include <boost/uuid/detail/sha1.hpp>

namespace kreg {
namespace zk {

namespace {

// Not for security of its own: only to name the same identity the server
// names. Boost's header-only SHA-1 keeps the plugin free of a crypto library.
std::array<uint8_t, 20> Sha1(std::string_view data) {
  boost::uuids::detail::sha1 sha1;
  sha1.process_bytes(data.data(), data.size());
  boost::uuids::detail::sha1::digest_type words;
  sha1.get_digest(words);
  std::array<uint8_t, 20> out;
  for (int i = 0; i < 20; ++i) out[i] = static_cast<uint8_t>(words[i / 4] >> (24 - (i % 4) * 8));
  return out;
}

// Standard base64 with padding, as java.util.Base64 writes it.
template <size_t N>
std::string Base64(const std::array<uint8_t, N>& bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < N; i += 3) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    if (i + 1 < N) v |= uint32_t{bytes[i + 1]} << 8;
    if (i + 2 < N) v |= bytes[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < N ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < N ? kAlphabet[v & 63] : '=');
  }
  return out;
}

}  // namespace

std::string DigestId(const std::string& user, const std::string& password) {
  return user + ":" + Base64(Sha1(user + ":" + password));
}

}  // namespace zk
}  // namespace kreg
