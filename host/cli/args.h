// The values kregctl's flags take, parsed and checked without a process.
// Each parser fails with an InvalidArgument whose message follows the
// flag's name in the error line ("--addr" + " " + message): it quotes the
// value and shows a form that works.
#ifndef KREG_HOST_CLI_ARGS_H_
#define KREG_HOST_CLI_ARGS_H_

#include <cstdint>
#include <string>

#include "kreg/status.hpp"

namespace kreg {
namespace cli {

// --meta key=value: split at the first '='; neither side may be empty.
Status ParseKeyValue(const std::string& text, std::string* key, std::string* value);

// --addr scheme=host:port, e.g. http=127.0.0.1:8080.
Status ParseAddr(const std::string& text, std::string* scheme, std::string* host_port);

// --zone-weight SRC:DST=WEIGHT, e.g. sh001:sh002=30; WEIGHT is a whole
// number (0 included).
Status ParseZoneWeight(const std::string& text, std::string* src, std::string* dst, uint64_t* weight);

// --attr ID:key=value. Split at the '=' and then at the last ':' before
// it, because ids may hold a ':' (10.0.0.1:8080) and keys may not.
Status ParseAttr(const std::string& text, std::string* id, std::string* key, std::string* value);

// --count N: a whole number from 1.
Status ParseCount(const std::string& text, int64_t* count);

}  // namespace cli
}  // namespace kreg

#endif  // KREG_HOST_CLI_ARGS_H_
