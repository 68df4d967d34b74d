// Kv: the etcd requests the backend makes (key-value, transactions,
// leases), typed, over HttpClient. Thread-safe. Every call is bounded by
// its deadline and fails as HttpClient::Call does; `what` names the
// operation in the error line.
#ifndef KREG_PLUGINS_ETCD_KV_H_
#define KREG_PLUGINS_ETCD_KV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "http_client.h"

namespace kreg {
namespace etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;  // writes since the key was created: 1 for a new key
  int64_t lease = 0;
};

// A KeyValue from the gateway's JSON (base64 key and value); false when it
// does not decode.
bool KeyValueFromJson(const json& j, KeyValue* out);

// What a conditional write found.
struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // the write's revision when it succeeded
  bool found = false;    // on failure: the key exists, as *existing
  KeyValue existing;
};

class Kv {
 public:
  explicit Kv(HttpClient* http) : http_(http) {}

  // Every key in [key, range_end) as of `revision` (0: now, linearizable),
  // read in pages at one revision; *revision_read is that revision. With
  // keys_only the values are left empty. *code as HttpClient::Call's (an
  // OutOfRange code: `revision` was compacted).
  Status Range(const std::string& what, const std::string& key, const std::string& range_end, int64_t revision,
               bool keys_only, std::vector<KeyValue>* out, int64_t* revision_read, Clock::time_point deadline,
               int* code = nullptr);
  // Puts `value` at `key` with `lease` when the key does not exist;
  // otherwise writes nothing and returns what is there.
  Status PutIfAbsent(const std::string& what, const std::string& key, const std::string& value, int64_t lease,
                     TxnResult* result, Clock::time_point deadline, int* code = nullptr);
  // Puts `value` at `key` when the key is attached to `lease` (a record this
  // backend holds); otherwise writes nothing and returns what is there.
  Status PutIfLease(const std::string& what, const std::string& key, const std::string& value, int64_t lease,
                    TxnResult* result, Clock::time_point deadline, int* code = nullptr);
  // Puts `value` at `key`, no lease (the property).
  Status Put(const std::string& what, const std::string& key, const std::string& value, int64_t* revision,
             Clock::time_point deadline);
  // Deletes `key`; *revision is the delete's, or 0 when there was no key.
  Status Delete(const std::string& what, const std::string& key, int64_t* revision, Clock::time_point deadline);
  // Deletes `key` when it is attached to `lease`; *revision as Delete's.
  Status DeleteIfLease(const std::string& what, const std::string& key, int64_t lease, int64_t* revision,
                       Clock::time_point deadline);

  // A lease of `ttl_seconds`; *id is its ID.
  Status LeaseGrant(int64_t ttl_seconds, int64_t* id, Clock::time_point deadline);
  // Renews `id`; *ttl is the TTL granted again, 0 when the lease is gone.
  Status LeaseKeepAlive(int64_t id, int64_t* ttl, Clock::time_point deadline);
  Status LeaseRevoke(int64_t id, Clock::time_point deadline);

 private:
  Status PutUnless(const std::string& what, const json& compare, const std::string& key, const std::string& value,
                   int64_t lease, TxnResult* result, Clock::time_point deadline, int* code);
  HttpClient* http_;
};

}  // namespace etcd
}  // namespace kreg

#endif  // KREG_PLUGINS_ETCD_KV_H_
