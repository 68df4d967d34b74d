// Conversions between the C views of kreg.h and the C++ value types.
//
// ToValue(...) copies a borrowed C view into an owning C++ value.
// The *View classes do the reverse: they borrow a C++ value (which must
// outlive them and stay unchanged) and expose a C view of it, valid while
// the *View object lives. Neither side of the ABI frees the other's memory.
#ifndef KREG_VIEWS_HPP_
#define KREG_VIEWS_HPP_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kreg/data_model.hpp"
#include "kreg/kreg.h"
#include "kreg/types.hpp"

namespace kreg {

inline kreg_str ToStr(std::string_view s) { return kreg_str{s.data(), s.size()}; }

inline std::string ToString(kreg_str s) {
  return s.size == 0 ? std::string() : std::string(s.data, s.size);
}

inline StringMap ToStringMap(const kreg_kv* kv, size_t count) {
  StringMap out;
  for (size_t i = 0; i < count; ++i) out[ToString(kv[i].key)] = ToString(kv[i].value);
  return out;
}

inline std::vector<kreg_kv> ToKvs(const StringMap& map) {
  std::vector<kreg_kv> out;
  out.reserve(map.size());
  for (const auto& [k, v] : map) out.push_back({ToStr(k), ToStr(v)});
  return out;
}

inline Instance ToValue(const kreg_instance& c) {
  Instance out;
  out.id = ToString(c.id);
  out.service_name = ToString(c.service_name);
  out.zone = ToString(c.zone);
  out.env = ToString(c.env);
  out.hostname = ToString(c.hostname);
  out.addrs = ToStringMap(c.addrs, c.addrs_count);
  out.metadata = ToStringMap(c.metadata, c.metadata_count);
  out.reg_time = c.reg_time;
  out.update_time = c.update_time;
  if (KREG_HAS_FIELD(&c, kreg_instance, data_version)) {
    out.version = c.version;
    out.data_version = c.data_version;
  }
  return out;
}

inline Property ToValue(const kreg_property& c) {
  Property out;
  out.service_name = ToString(c.service_name);
  for (size_t i = 0; i < c.zone_weights_count; ++i) {
    const kreg_zone_weight& zw = c.zone_weights[i];
    ZoneWeight& w = out.zone_weights[ToString(zw.zone)];
    w.src = ToString(zw.src);
    for (size_t j = 0; j < zw.dst_count; ++j) w.dst[ToString(zw.dst[j].zone)] = zw.dst[j].weight;
  }
  for (size_t i = 0; i < c.attrs_count; ++i) {
    out.attrs[ToString(c.attrs[i].instance_id)] = ToStringMap(c.attrs[i].attrs, c.attrs[i].attrs_count);
  }
  if (KREG_HAS_FIELD(&c, kreg_property, data_version)) {
    out.version = c.version;
    out.data_version = c.data_version;
  }
  return out;
}

// The i-th of an array of kreg_instance, stepping by the producer's struct
// size: a plugin of a later minor version may hand over larger elements.
inline const kreg_instance& InstanceAt(const kreg_instance* first, size_t i) {
  size_t stride = first->struct_size < sizeof(kreg_instance) ? sizeof(kreg_instance) : first->struct_size;
  return *reinterpret_cast<const kreg_instance*>(reinterpret_cast<const char*>(first) + i * stride);
}

// The name, metadata, times and version of `c`, without its instances.
inline void CopyServiceHeader(const kreg_service& c, Service* out) {
  out->service_name = ToString(c.service_name);
  out->update_time = c.update_time;
  out->metadata = ToStringMap(c.metadata, c.metadata_count);
  out->version = c.version;
}

inline Service ToValue(const kreg_service& c) {
  Service out;
  for (size_t i = 0; i < c.instances_count; ++i) AddInstance(ToValue(InstanceAt(c.instances, i)), &out);
  CopyServiceHeader(c, &out);
  return out;
}

// The service a get_service_changes answer describes: a delta applied to
// `known` (the host's copy at the version it offered), whose unchanged
// instances the result shares; a whole answer copied as ToValue does.
inline Service ApplyServiceChanges(const Service& known, const kreg_service_changes& c) {
  if (c.is_delta == 0) return ToValue(*c.service);
  Service out;
  out.instances = known.instances;
  for (size_t i = 0; i < c.removed_count; ++i) {
    const kreg_instance& gone = InstanceAt(c.removed, i);
    auto by_id = out.instances.find(ToString(gone.zone));
    if (by_id == out.instances.end()) continue;
    by_id->second.erase(ToString(gone.id));
    if (by_id->second.empty()) out.instances.erase(by_id);
  }
  const kreg_service& now = *c.service;
  for (size_t i = 0; i < now.instances_count; ++i) AddInstance(ToValue(InstanceAt(now.instances, i)), &out);
  CopyServiceHeader(now, &out);  // its update_time is over every instance, not only the changed
  return out;
}

inline WatchEvent ToValue(const kreg_watch_event& c) {
  WatchEvent out;
  switch (c.type) {
    case KREG_EVENT_CREATE: out.type = EventType::kCreate; break;
    case KREG_EVENT_MODIFY: out.type = EventType::kModify; break;
    case KREG_EVENT_DELETE: out.type = EventType::kDelete; break;
    case KREG_EVENT_SYNCED: out.type = EventType::kSynced; break;
    case KREG_EVENT_ERROR: out.type = EventType::kError; break;
  }
  out.service_name = ToString(c.service_name);
  if (c.info == KREG_INFO_INSTANCE && c.instance != nullptr) {
    out.info = EventInfo::kInstance;
    out.instance = ToValue(*c.instance);
  } else if (c.info == KREG_INFO_PROPERTY && c.property != nullptr) {
    out.info = EventInfo::kProperty;
    out.property = ToValue(*c.property);
  }
  out.version = c.version;
  out.data_version = c.data_version;
  out.message = ToString(c.message);
  return out;
}

// The entries of a string map as kreg_kv, stored inline when few: viewing
// an instance (every register call) then needs no heap allocation.
class KvList {
 public:
  explicit KvList(const StringMap& map) {
    kreg_kv* out = inline_;
    if (map.size() > kInline) {
      heap_.resize(map.size());
      out = heap_.data();
    }
    size_t i = 0;
    for (const auto& [k, v] : map) out[i++] = {ToStr(k), ToStr(v)};
    data_ = out;
    size_ = map.size();
  }
  KvList(const KvList&) = delete;
  KvList& operator=(const KvList&) = delete;

  const kreg_kv* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kInline = 8;
  kreg_kv inline_[kInline];
  std::vector<kreg_kv> heap_;
  const kreg_kv* data_;
  size_t size_;
};

// The C view of `v` with its string maps at `addrs` and `metadata` (their
// entries, as ToKvs lays them out).
inline kreg_instance InstanceViewOf(const Instance& v, const kreg_kv* addrs, const kreg_kv* metadata) {
  kreg_instance view{};
  view.struct_size = sizeof(view);
  view.id = ToStr(v.id);
  view.service_name = ToStr(v.service_name);
  view.zone = ToStr(v.zone);
  view.env = ToStr(v.env);
  view.hostname = ToStr(v.hostname);
  view.addrs = addrs;
  view.addrs_count = v.addrs.size();
  view.metadata = metadata;
  view.metadata_count = v.metadata.size();
  view.reg_time = v.reg_time;
  view.update_time = v.update_time;
  view.version = v.version;
  view.data_version = v.data_version;
  return view;
}

class InstanceView {
 public:
  explicit InstanceView(const Instance& v)
      : addrs_(v.addrs), metadata_(v.metadata), view_(InstanceViewOf(v, addrs_.data(), metadata_.data())) {}
  InstanceView(const InstanceView&) = delete;
  InstanceView& operator=(const InstanceView&) = delete;

  const kreg_instance* get() const { return &view_; }

 private:
  KvList addrs_;
  KvList metadata_;
  kreg_instance view_;
};

class PropertyView {
 public:
  explicit PropertyView(const Property& v) {
    dsts_.reserve(v.zone_weights.size());
    for (const auto& [zone, w] : v.zone_weights) {
      std::vector<kreg_zone_weight_dst>& dst = dsts_.emplace_back();
      for (const auto& [to, weight] : w.dst) dst.push_back({ToStr(to), weight});
      weights_.push_back({ToStr(zone), ToStr(w.src), dst.data(), dst.size()});
    }
    attr_kvs_.reserve(v.attrs.size());
    for (const auto& [id, attrs] : v.attrs) {
      std::vector<kreg_kv>& kvs = attr_kvs_.emplace_back(ToKvs(attrs));
      attrs_.push_back({ToStr(id), kvs.data(), kvs.size()});
    }
    view_.struct_size = sizeof(view_);
    view_.service_name = ToStr(v.service_name);
    view_.zone_weights = weights_.data();
    view_.zone_weights_count = weights_.size();
    view_.attrs = attrs_.data();
    view_.attrs_count = attrs_.size();
    view_.version = v.version;
    view_.data_version = v.data_version;
  }
  PropertyView(const PropertyView&) = delete;
  PropertyView& operator=(const PropertyView&) = delete;

  const kreg_property* get() const { return &view_; }

 private:
  std::vector<std::vector<kreg_zone_weight_dst>> dsts_;
  std::vector<kreg_zone_weight> weights_;
  std::vector<std::vector<kreg_kv>> attr_kvs_;
  std::vector<kreg_instance_attrs> attrs_;
  kreg_property view_{};
};

// The C views of many instances, in two arrays for the lot (every
// instance's map entries in one): viewing a large service costs no
// allocation per instance.
class InstanceArrayView {
 public:
  explicit InstanceArrayView(const std::vector<const Instance*>& instances) {
    size_t kv_count = 0;
    for (const Instance* inst : instances) kv_count += inst->addrs.size() + inst->metadata.size();
    kvs_.reserve(kv_count);  // never grows past this: the views point into it
    views_.reserve(instances.size());
    for (const Instance* inst : instances) {
      const kreg_kv* addrs = Append(inst->addrs);
      const kreg_kv* metadata = Append(inst->metadata);
      views_.push_back(InstanceViewOf(*inst, addrs, metadata));
    }
  }
  InstanceArrayView(const InstanceArrayView&) = delete;
  InstanceArrayView& operator=(const InstanceArrayView&) = delete;

  const kreg_instance* data() const { return views_.data(); }
  size_t size() const { return views_.size(); }

 private:
  const kreg_kv* Append(const StringMap& map) {
    const kreg_kv* first = kvs_.data() + kvs_.size();
    for (const auto& [k, val] : map) kvs_.push_back({ToStr(k), ToStr(val)});
    return first;
  }

  std::vector<kreg_kv> kvs_;
  std::vector<kreg_instance> views_;
};

inline std::vector<const Instance*> InstancesOf(const Service& v) {
  std::vector<const Instance*> out;
  out.reserve(v.instance_count());
  for (const auto& [zone, by_id] : v.instances) {
    for (const auto& [id, inst] : by_id) out.push_back(inst.get());
  }
  return out;
}

inline std::vector<const Instance*> InstancesOf(const std::vector<InstancePtr>& v) {
  std::vector<const Instance*> out;
  out.reserve(v.size());
  for (const InstancePtr& inst : v) out.push_back(inst.get());
  return out;
}

class ServiceView {
 public:
  explicit ServiceView(const Service& v) : ServiceView(v, InstancesOf(v)) {}
  // `header`'s name, metadata, times and version with `instances` instead
  // of its own (the changed ones of a delta).
  ServiceView(const Service& header, const std::vector<const Instance*>& instances)
      : instances_(instances), metadata_(ToKvs(header.metadata)) {
    view_.struct_size = sizeof(view_);
    view_.service_name = ToStr(header.service_name);
    view_.instances = instances_.data();
    view_.instances_count = instances_.size();
    view_.metadata = metadata_.data();
    view_.metadata_count = metadata_.size();
    view_.update_time = header.update_time;
    view_.version = header.version;
  }
  ServiceView(const ServiceView&) = delete;
  ServiceView& operator=(const ServiceView&) = delete;

  const kreg_service* get() const { return &view_; }

 private:
  InstanceArrayView instances_;
  std::vector<kreg_kv> metadata_;
  kreg_service view_{};
};

// A get_service_changes answer: `now` whole, or its difference from the
// host's version as DiffInstances found it.
class ServiceChangesView {
 public:
  explicit ServiceChangesView(const Service& now) : service_(now) {
    view_.struct_size = sizeof(view_);
    view_.service = service_.get();
  }
  ServiceChangesView(const Service& now, const std::vector<InstancePtr>& changed,
                     const std::vector<InstancePtr>& removed)
      : service_(now, InstancesOf(changed)), removed_(InstancesOf(removed)) {
    view_.struct_size = sizeof(view_);
    view_.service = service_.get();
    view_.is_delta = 1;
    view_.removed = removed_.data();
    view_.removed_count = removed_.size();
  }
  ServiceChangesView(const ServiceChangesView&) = delete;
  ServiceChangesView& operator=(const ServiceChangesView&) = delete;

  const kreg_service_changes* get() const { return &view_; }

 private:
  ServiceView service_;
  InstanceArrayView removed_{{}};
  kreg_service_changes view_{};
};

class WatchEventView {
 public:
  explicit WatchEventView(const WatchEvent& e) {
    view_.struct_size = sizeof(view_);
    switch (e.type) {
      case EventType::kCreate: view_.type = KREG_EVENT_CREATE; break;
      case EventType::kModify: view_.type = KREG_EVENT_MODIFY; break;
      case EventType::kDelete: view_.type = KREG_EVENT_DELETE; break;
      case EventType::kSynced: view_.type = KREG_EVENT_SYNCED; break;
      case EventType::kError: view_.type = KREG_EVENT_ERROR; break;
    }
    view_.info = KREG_INFO_NONE;
    if (e.info == EventInfo::kInstance) {
      view_.info = KREG_INFO_INSTANCE;
      view_.instance = instance_.emplace(e.instance).get();
    } else if (e.info == EventInfo::kProperty) {
      view_.info = KREG_INFO_PROPERTY;
      view_.property = property_.emplace(e.property).get();
    }
    view_.service_name = ToStr(e.service_name);
    view_.version = e.version;
    view_.data_version = e.data_version;
    view_.message = ToStr(e.message);
  }
  WatchEventView(const WatchEventView&) = delete;
  WatchEventView& operator=(const WatchEventView&) = delete;

  const kreg_watch_event* get() const { return &view_; }

 private:
  std::optional<InstanceView> instance_;
  std::optional<PropertyView> property_;
  kreg_watch_event view_{};
};

}  // namespace kreg

#endif  // KREG_VIEWS_HPP_
