#include "output.h"

#include <cstdio>

#include "kreg/json_format.hpp"

namespace kreg {
namespace cli {

namespace {

using nlohmann::json;

// Bytes that are not UTF-8 (e.g. a plugin file name) are replaced rather
// than allowed to abort the output.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void PrintLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);  // watchers and scripts read line by line
}

std::string Joined(const StringMap& map) {
  std::string out;
  for (const auto& [k, v] : map) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

std::string InstanceLine(const Instance& in) {
  std::string line = in.service_name + "/" + in.id + " zone=" + in.zone;
  if (!in.env.empty()) line += " env=" + in.env;
  if (!in.hostname.empty()) line += " hostname=" + in.hostname;
  if (!in.addrs.empty()) line += " addrs[" + Joined(in.addrs) + "]";
  if (!in.metadata.empty()) line += " meta[" + Joined(in.metadata) + "]";
  return line;
}

std::string PropertyLine(const Property& p) {
  std::string line = p.service_name;
  for (const auto& [zone, w] : p.zone_weights) {
    for (const auto& [dst, weight] : w.dst) line += " weight " + w.src + "->" + dst + "=" + std::to_string(weight);
  }
  for (const auto& [id, attrs] : p.attrs) line += " attrs " + id + "[" + Joined(attrs) + "]";
  return line;
}

}  // namespace

void Output::Done(const std::string& verb, const std::string& service, const std::string& id) const {
  if (json_) {
    json j{{"result", verb}, {"service_name", service}};
    if (!id.empty()) j["id"] = id;
    PrintLine(Dump(j));
  } else {
    PrintLine(verb + " " + service + (id.empty() ? "" : "/" + id));
  }
}

void Output::PrintService(const Service& service) const {
  if (json_) {
    PrintLine(Dump(format::ServiceToJson(service)));
    return;
  }
  PrintLine("service " + service.service_name + " version=" + std::to_string(service.version) +
            " instances=" + std::to_string(service.instance_count()));
  for (const auto& [k, v] : service.metadata) PrintLine("  metadata " + k + "=" + v);
  for (const auto& [zone, by_id] : service.instances) {
    PrintLine("  zone " + zone);
    for (const auto& [id, shared] : by_id) {
      const Instance& in = *shared;
      PrintLine("    " + id + (in.online() ? "" : " (offline)") + " version=" + std::to_string(in.version) +
                (in.hostname.empty() ? "" : " hostname=" + in.hostname) +
                (in.addrs.empty() ? "" : " addrs[" + Joined(in.addrs) + "]") +
                (in.metadata.empty() ? "" : " meta[" + Joined(in.metadata) + "]"));
    }
  }
}

void Output::PrintServiceList(const std::vector<Service>& services) const {
  for (const Service& s : services) {
    if (json_) {
      PrintLine(Dump(format::ServiceToJson(s)));
    } else {
      PrintLine(s.service_name + " instances=" + std::to_string(s.instance_count()) +
                " version=" + std::to_string(s.version));
    }
  }
}

void Output::PrintEvent(const WatchEvent& e) const {
  if (json_) {
    PrintLine(Dump(format::EventToJson(e)));
    return;
  }
  std::string line = EventTypeName(e.type);
  if (e.type == EventType::kSynced) {
    PrintLine(line);
    return;
  }
  if (e.type == EventType::kError) {
    PrintLine(line + " " + e.message);
    return;
  }
  line += std::string(" ") + EventInfoName(e.info) + " ";
  if (e.info == EventInfo::kInstance) {
    line += e.type == EventType::kDelete ? e.instance.service_name + "/" + e.instance.id : InstanceLine(e.instance);
  } else {
    line += e.type == EventType::kDelete ? e.service_name : PropertyLine(e.property);
  }
  PrintLine(line + " version=" + std::to_string(e.version));
}

void Output::PrintType(const std::string& type) const {
  PrintLine(json_ ? json{{"type", type}}.dump() : type);
}

void Output::PrintPlugin(const std::string& path, const std::string& name, const std::string& abi,
                         const std::string& description, const std::string& error) const {
  if (json_) {
    json j{{"path", path}};
    if (error.empty()) {
      j["type"] = name;
      j["abi"] = abi;
      j["description"] = description;
    } else {
      j["error"] = error;
    }
    PrintLine(Dump(j));
  } else if (error.empty()) {
    PrintLine(name + "  abi " + abi + "  " + path + "  " + description);
  } else {
    PrintLine("(unloadable)  " + path + "  " + error);
  }
}

}  // namespace cli
}  // namespace kreg
