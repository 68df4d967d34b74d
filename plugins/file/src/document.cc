#include "document.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include "json_text.h"
#include "kreg/json_format.hpp"
#include "kreg/validate.hpp"

namespace kreg {
namespace file {

using nlohmann::json;

namespace {

// The parts of the file's text that IsValidJson found unreadable, looked
// up by the part of the text (a view into it) a record takes. They come in
// text order, so a lookup is a binary search however many there are.
class UnreadableParts {
 public:
  UnreadableParts(std::string_view text, std::vector<JsonProblem> problems)
      : text_(text), problems_(std::move(problems)) {}

  // How many problems lie inside `part`.
  size_t CountIn(std::string_view part) const {
    auto [first, last] = Range(part);
    return static_cast<size_t>(last - first);
  }
  // What the first problem inside `part` is; null when there is none.
  const char* In(std::string_view part) const {
    auto [first, last] = Range(part);
    return first != last ? first->what : nullptr;
  }

 private:
  using Iterator = std::vector<JsonProblem>::const_iterator;

  std::pair<Iterator, Iterator> Range(std::string_view part) const {
    const size_t begin = static_cast<size_t>(part.data() - text_.data());
    auto before = [](const JsonProblem& p, size_t offset) { return p.offset < offset; };
    return {std::lower_bound(problems_.begin(), problems_.end(), begin, before),
            std::lower_bound(problems_.begin(), problems_.end(), begin + part.size(), before)};
  }

  std::string_view text_;
  std::vector<JsonProblem> problems_;
};

// The first key `members` hold twice; empty when none is.
std::string KeyTwice(const JsonMembers& members) {
  // An entry has a handful of members: comparing the pairs allocates nothing.
  if (members.size() <= 16) {
    for (size_t i = 1; i < members.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (members[i].first == members[j].first) return members[i].first;
      }
    }
    return std::string();
  }
  std::set<std::string_view> keys;
  for (const auto& [key, value] : members) {
    if (!keys.insert(key).second) return key;
  }
  return std::string();
}

// Splits one service record into `slot`; a malformed record is kept whole.
// An entry holding unreadable JSON is malformed on its own; unreadable
// JSON anywhere else in the record makes the record malformed.
void ParseServiceRecord(const std::string& name, std::string_view where, std::string_view text,
                        const UnreadableParts& unreadable, Document::ServiceSlot* slot) {
  auto malformed = [&](const std::string& what) {
    *slot = Document::ServiceSlot();
    slot->malformed = std::string(where) + ": " + what;
    slot->malformed_text = std::string(text);
  };
  // Served, it could be neither read nor removed by name.
  Status valid = ValidateName("service name", name);
  if (!valid.ok()) return malformed("its key is no service name: " + valid.message());
  JsonMembers members;
  if (!ObjectMembers(text, &members)) return malformed("not a JSON object");
  // Reading one of two and dropping the other would lose it at the next write.
  const std::string record_key_twice = KeyTwice(members);
  if (!record_key_twice.empty()) return malformed("the key " + QuoteJson(record_key_twice) + " appears twice");
  std::optional<int64_t> version;
  size_t unreadable_in_entries = 0;
  for (const auto& [key, value] : members) {
    if (key == "version") {
      version = IntegerValue(value);
    } else if (key == "instances") {
      JsonMembers instances;
      if (!ObjectMembers(value, &instances)) return malformed("\"instances\" is not an object");
      for (const auto& [id, entry] : instances) {
        auto [at, added] = slot->instances.try_emplace(id);
        if (!added) return malformed("the instance " + QuoteJson(id) + " appears twice");
        Document::InstanceSlot& s = at->second;
        s.text = std::string(entry);
        if (const char* what = unreadable.In(entry)) {
          s.unreadable = what;
          unreadable_in_entries += unreadable.CountIn(entry);
          continue;
        }
        JsonMembers fields;
        if (ObjectMembers(entry, &fields)) {
          for (const auto& [field, field_value] : fields) {
            if (field == "expires_at_ms") s.lease = IntegerValue(field_value);
          }
          // The lease's rewrite would change one, the decode read the other.
          const std::string twice = KeyTwice(fields);
          if (!twice.empty()) s.unreadable = "holds the key " + QuoteJson(twice) + " twice";
        }
      }
    } else {
      if (const char* what = unreadable.In(value)) return malformed(QuoteJson(key) + " " + what);
      JsonMembers fields;
      if (key == "property" && ObjectMembers(value, &fields)) {
        // A restamp changes its first "version", the decode reads the last.
        const std::string twice = KeyTwice(fields);
        if (!twice.empty()) return malformed("\"property\" holds the key " + QuoteJson(twice) + " twice");
      }
      slot->others[key] = std::string(value);
    }
  }
  // What is left is in a key, e.g. an instance id.
  if (unreadable.CountIn(text) > unreadable_in_entries) return malformed(std::string("a key ") + unreadable.In(text));
  if (!version) return malformed("\"version\" is missing or not an integer");
  slot->version = *version;
}

// value + 1 into *next. CORRUPT when `value` is the largest int64: only
// another tool can have stored that (counting there takes 2^63 changes),
// and wrapping would write numbers kreg rejects.
Status NextCounter(int64_t value, const std::string& what, const std::string& fix, int64_t* next) {
  if (value == std::numeric_limits<int64_t>::max()) {
    return Status::Corrupt(what + " is " + std::to_string(value) +
                           ", the largest there is, so no change can be stored; " + fix);
  }
  *next = value + 1;
  return Status::OK();
}

}  // namespace

json ParseEntry(std::string_view text) { return json::parse(text, nullptr, /*allow_exceptions=*/false); }

Status DecodeInstanceSlot(const Document::InstanceSlot& slot, const std::string& service, const std::string& id,
                          std::string_view where, InstanceEntry* out) {
  if (!slot.unreadable.empty()) {
    return Status::Corrupt(std::string(where) + ": it " + slot.unreadable + ", which this plugin does not read");
  }
  return DecodeInstanceEntry(ParseEntry(slot.text), service, id, where, out);
}

Document::Document(std::string path)
    : path_(std::move(path)),
      top_{{"format", QuoteJson(kFormatName)}, {"format_version", std::to_string(kFormatVersion)}} {}

Status Document::Parse(std::string path, std::string_view bytes, Document* out) {
  auto not_kreg = [&](const std::string& what) {
    return Status::Corrupt("registry file " + path + " is not a kreg file: " + what + "; move it away or fix it");
  };
  if (bytes.empty()) return not_kreg("it is empty (0 bytes)");
  std::vector<JsonProblem> problems;
  if (!IsValidJson(bytes, &problems)) {
    return not_kreg("it is not valid JSON (" + std::to_string(bytes.size()) + " bytes; truncated?)");
  }
  const UnreadableParts unreadable(bytes, std::move(problems));
  JsonMembers members;
  if (!ObjectMembers(bytes, &members)) return not_kreg("the top level is not a JSON object");
  // The top level is checked as JSON with "services" standing in as an
  // empty object when it is one: its content is split up below.
  json top = json::object();
  std::vector<std::pair<std::string, std::string>> top_texts;
  std::string_view services_text;
  size_t unreadable_in_services = 0;
  for (const auto& [key, value] : members) {
    if (top.contains(key)) return not_kreg("the top-level key " + QuoteJson(key) + " appears twice");
    if (key == "services" && !value.empty() && value.front() == '{') {
      services_text = value;
      unreadable_in_services = unreadable.CountIn(value);
      top[key] = json::object();
    } else if (const char* what = unreadable.In(value)) {
      return not_kreg(QuoteJson(key) + " " + what);
    } else {
      top[key] = json::parse(value);
      if (key != "revision") top_texts.emplace_back(key, value);
    }
  }
  if (unreadable.CountIn(bytes) > unreadable_in_services) {
    return not_kreg(std::string("a top-level key ") + unreadable.In(bytes));
  }
  std::string wrong = CheckTopLevel(top);
  if (!wrong.empty()) return not_kreg(wrong);

  Document doc(path);  // not moved: not_kreg still names it
  doc.revision_ = top["revision"].get<int64_t>();
  doc.top_ = std::move(top_texts);
  JsonMembers services;
  ObjectMembers(services_text, &services);
  size_t unreadable_in_records = 0;
  for (const auto& [name, record] : services) {
    auto [slot, added] = doc.services_.try_emplace(name);
    if (!added) return not_kreg("the service " + QuoteJson(name) + " appears twice");
    ParseServiceRecord(name, ServiceWhere(doc.path_, name), record, unreadable, &slot->second);
    unreadable_in_records += unreadable.CountIn(record);
  }
  // A service's name is part of the file's structure, not of its record.
  if (unreadable_in_services > unreadable_in_records) {
    return not_kreg(std::string("a service name ") + unreadable.In(services_text));
  }
  *out = std::move(doc);
  return Status::OK();
}

std::string Document::Serialize() const {
  // Sized up front: the entries' text is nearly all of the file.
  size_t size = 256;
  for (const auto& [name, slot] : services_) {
    size += name.size() + slot.malformed_text.size() + 64;
    for (const auto& [id, instance] : slot.instances) size += id.size() + instance.text.size() + 4;
  }
  std::string out;
  out.reserve(size);
  out += "{";
  for (const auto& [key, value] : top_) out += QuoteJson(key) + ":" + value + ",";
  out += "\"revision\":" + std::to_string(revision_) + ",\"services\":{";
  bool first_service = true;
  for (const auto& [name, slot] : services_) {
    if (!first_service) out += ",";
    first_service = false;
    out += QuoteJson(name) + ":";
    if (!slot.malformed.empty()) {
      out += slot.malformed_text;
      continue;
    }
    out += "{\"version\":" + std::to_string(slot.version);
    for (const auto& [key, value] : slot.others) out += "," + QuoteJson(key) + ":" + value;
    out += ",\"instances\":{";
    bool first_instance = true;
    for (const auto& [id, instance] : slot.instances) {
      if (!first_instance) out += ",";
      first_instance = false;
      out += QuoteJson(id);
      out += ":";
      out += instance.text;
    }
    out += "}}";
  }
  out += "}}\n";
  return out;
}

Status Document::BeginWrite(int64_t not_below) {
  int64_t next = 0;
  Status s = NextCounter(revision_, "registry file " + path_ + ": its \"revision\"",
                         "move the file away to start a new registry", &next);
  if (!s.ok()) return s;
  write_revision_ = std::max(next, not_below);
  return Status::OK();
}

void Document::Stamp(ServiceSlot* slot) {
  slot->version = write_revision_;
  revision_ = write_revision_;
  dirty_ = true;
}

Status Document::MutableService(const std::string& service, bool create, ServiceSlot** out) {
  auto it = services_.find(service);
  *out = nullptr;
  if (it == services_.end()) {
    // Version 0 until the change that creates it stamps it.
    if (create) *out = &services_[service];
    return Status::OK();
  }
  if (!it->second.malformed.empty()) {
    return Status::Corrupt(it->second.malformed +
                           "; the plugin will not change this service until the record is fixed or removed");
  }
  *out = &it->second;
  return Status::OK();
}

int Document::SweepExpired(int64_t now_ms) {
  int removed = 0;
  for (auto& [service, slot] : services_) {
    for (auto it = slot.instances.begin(); it != slot.instances.end();) {
      // The cheap lease test first: most entries are live. The decoded
      // lease decides, as it is the one readers see.
      InstanceEntry entry;
      if (it->second.lease && *it->second.lease < now_ms &&
          DecodeInstanceSlot(it->second, service, it->first, "", &entry).ok() &&
          entry.expires_at_ms < now_ms) {
        it = slot.instances.erase(it);
        Stamp(&slot);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

void Document::RestampAll() {
  revision_ = write_revision_;
  dirty_ = true;
  for (auto& [service, slot] : services_) {
    if (!slot.malformed.empty()) continue;
    Stamp(&slot);
    for (auto& [id, instance] : slot.instances) {
      InstanceEntry decoded;
      if (!DecodeInstanceSlot(instance, service, id, "", &decoded).ok()) continue;
      instance.text = WithMember(instance.text, "version", std::to_string(write_revision_));
    }
    auto property = slot.others.find("property");
    Property decoded;
    if (property != slot.others.end() &&
        DecodePropertyEntry(ParseEntry(property->second), service, "", &decoded).ok()) {
      property->second = WithMember(property->second, "version", std::to_string(write_revision_));
    }
  }
}

bool Document::GetInstance(const std::string& service, const std::string& id, InstanceEntry* out) const {
  auto slot = services_.find(service);
  if (slot == services_.end()) return false;
  auto entry = slot->second.instances.find(id);
  return entry != slot->second.instances.end() && DecodeInstanceSlot(entry->second, service, id, "", out).ok();
}

Status Document::PutInstance(const Instance& instance, int64_t expires_at_ms) {
  ServiceSlot* slot = nullptr;
  Status s = MutableService(instance.service_name, /*create=*/true, &slot);
  if (!s.ok()) return s;
  InstanceEntry old;
  int64_t data_version = 1;
  if (GetInstance(instance.service_name, instance.id, &old)) {
    s = NextCounter(old.instance.data_version,
                    InstanceWhere(path_, instance.service_name, instance.id) + ": its \"data_version\"",
                    "deregister the instance and register it again", &data_version);
    if (!s.ok()) return s;
  }
  Stamp(slot);
  InstanceSlot& entry = slot->instances[instance.id];
  entry.unreadable.clear();
  entry.text = json{{"data", format::InstanceToJson(instance)},
                    {"version", slot->version},
                    {"data_version", data_version},
                    {"expires_at_ms", expires_at_ms}}
                   .dump();
  entry.lease = expires_at_ms;
  return Status::OK();
}

void Document::RenewLease(const std::string& service, const std::string& id, int64_t expires_at_ms) {
  InstanceSlot& entry = services_[service].instances[id];
  entry.text = WithMember(entry.text, "expires_at_ms", std::to_string(expires_at_ms));
  entry.lease = expires_at_ms;
  dirty_ = true;
}

Status Document::RemoveInstance(const std::string& service, const std::string& id, bool* removed) {
  *removed = false;
  ServiceSlot* slot = nullptr;
  Status s = MutableService(service, /*create=*/false, &slot);
  if (!s.ok() || slot == nullptr || slot->instances.erase(id) == 0) return s;
  Stamp(slot);
  *removed = true;
  return Status::OK();
}

Status Document::PutProperty(const Property& property) {
  ServiceSlot* slot = nullptr;
  Status s = MutableService(property.service_name, /*create=*/true, &slot);
  if (!s.ok()) return s;
  int64_t data_version = 1;
  auto old = slot->others.find("property");
  Property decoded;
  if (old != slot->others.end() &&
      DecodePropertyEntry(ParseEntry(old->second), property.service_name, "", &decoded).ok()) {
    s = NextCounter(decoded.data_version, PropertyWhere(path_, property.service_name) + ": its \"data_version\"",
                    "remove the property from the file and set it again", &data_version);
    if (!s.ok()) return s;
  }
  Stamp(slot);
  slot->others["property"] = json{{"data", format::PropertyToJson(property)},
                                  {"version", slot->version},
                                  {"data_version", data_version}}
                                 .dump();
  return Status::OK();
}

}  // namespace file
}  // namespace kreg
