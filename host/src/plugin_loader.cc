#include "kreg/host/plugin_loader.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "file_type.h"

namespace kreg {
namespace host {

namespace fs = std::filesystem;
namespace dll = boost::dll;

namespace {

// Opening a FIFO for reading waits for a writer, and a device or socket is
// no library either: only a regular file (or a link to one) is opened.
Status CheckRegularFile(const std::string& path) {
  std::error_code ec;
  fs::file_type type = fs::status(path, ec).type();
  if (type == fs::file_type::regular) return Status::OK();
  return Status::InvalidArgument(path + " is " + DescribeFileType(type) +
                                 ", not a regular file; point registry.plugin at a libkreg_<name>.so built against "
                                 "kreg.h");
}

bool HasElfHeader(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0};
  in.read(magic, sizeof(magic));
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

// Boost.DLL finds a symbol of any kind; calling one that is data (an `int
// kreg_plugin_entry`) would jump into it. True only when the dynamic symbol
// table says the symbol at `address` is not code; with no symbol to ask,
// the call is all there is.
bool IsDataSymbol(const void* address) {
  Dl_info info;
  void* symbol = nullptr;
  if (dladdr1(address, &info, &symbol, RTLD_DL_SYMENT) == 0 || symbol == nullptr) return false;
  // ELF32_ST_TYPE is the same macro: the type is st_info's low nibble.
  unsigned type = ELF64_ST_TYPE(static_cast<const ElfW(Sym)*>(symbol)->st_info);
  return type != STT_FUNC && type != STT_GNU_IFUNC;
}

// The host calls every member the table's struct_size holds (KREG_HAS_FIELD),
// so a NULL one would crash it at its first use.
struct TableMember {
  const char* name;
  uint32_t abi_minor;  // the minor that added it
  size_t end;          // the struct_size that holds it
  bool (*is_set)(const kreg_plugin& table);
};

#define KREG_TABLE_MEMBER(field, minor)                                                                     \
  TableMember {                                                                                            \
    #field, minor, offsetof(kreg_plugin, field) + sizeof(kreg_plugin::field),                              \
        [](const kreg_plugin& table) { return table.field != nullptr; }                                    \
  }

// In table order.
const TableMember kTableMembers[] = {
    KREG_TABLE_MEMBER(create, 0),
    KREG_TABLE_MEMBER(destroy, 0),
    KREG_TABLE_MEMBER(type, 0),
    KREG_TABLE_MEMBER(register_instance, 0),
    KREG_TABLE_MEMBER(deregister_instance, 0),
    KREG_TABLE_MEMBER(get_service, 0),
    KREG_TABLE_MEMBER(list_services, 0),
    KREG_TABLE_MEMBER(watch, 0),
    KREG_TABLE_MEMBER(watch_cancel, 0),
    KREG_TABLE_MEMBER(set_property, 0),
    KREG_TABLE_MEMBER(get_service_since, 1),
    KREG_TABLE_MEMBER(register_instance_async, 2),
    KREG_TABLE_MEMBER(get_service_changes, 3),
};

#undef KREG_TABLE_MEMBER

Status CheckTableMembers(const std::string& path, const kreg_plugin& table) {
  for (const TableMember& member : kTableMembers) {
    if (table.struct_size < member.end) break;  // members are appended: the rest are absent too
    if (!member.is_set(table)) {
      return Status::InvalidArgument("plugin " + path + " has no `" + member.name +
                                     "` in its function table (ABI 1." + std::to_string(member.abi_minor) +
                                     " requires it of a table this size); set every member, as "
                                     "KREG_DEFINE_PLUGIN does");
    }
  }
  return Status::OK();
}

// Loads `path` and negotiates the ABI through its entry point.
Status LoadFile(const std::string& path, LoadedPlugin* out) {
  Status s = CheckRegularFile(path);
  if (!s.ok()) return s;
  if (!HasElfHeader(path)) {
    return Status::InvalidArgument(path + " is not a shared object (no ELF header); point registry.plugin at a "
                                          "libkreg_<name>.so built against kreg.h");
  }
  // RTLD_NODELETE: a plugin's threads or thread-local destructors may still
  // be winding down when the last Registry goes, so the code stays mapped
  // for the life of the process (as Envoy does for dynamic modules).
  auto mode = dll::load_mode::rtld_now | dll::load_mode::rtld_local |
              static_cast<dll::load_mode::type>(RTLD_NODELETE);
  std::error_code ec;
  auto library = std::make_shared<dll::shared_library>();
  library->load(path, ec, mode);
  if (ec) {
    const char* why = dlerror();
    return Status::InvalidArgument("cannot load plugin " + path + ": " + (why != nullptr ? why : ec.message()));
  }
  if (!library->has(KREG_PLUGIN_ENTRY_SYMBOL)) {
    return Status::InvalidArgument(path + " is not a kreg plugin: it does not export the entry symbol `" +
                                   KREG_PLUGIN_ENTRY_SYMBOL + "` (define it with KREG_DEFINE_PLUGIN)");
  }
  auto& entry = library->get<std::remove_pointer_t<kreg_plugin_entry_fn>>(KREG_PLUGIN_ENTRY_SYMBOL);
  if (IsDataSymbol(reinterpret_cast<const void*>(&entry))) {
    return Status::InvalidArgument(path + " exports `" + KREG_PLUGIN_ENTRY_SYMBOL +
                                   "` as data, not a function; define it with KREG_DEFINE_PLUGIN");
  }
  kreg_host_info host{};
  host.struct_size = sizeof(host);
  host.abi_major = KREG_ABI_VERSION_MAJOR;
  host.abi_minor = KREG_ABI_VERSION_MINOR;
  const kreg_plugin* table = nullptr;
  char err[1024] = {0};
  kreg_status st = entry(&host, &table, err, sizeof(err));
  if (st != KREG_OK) return Status(st, "plugin " + path + " refused to load: " + err);
  if (table == nullptr) return Status::Internal("plugin " + path + " returned no function table");
  if (table->name == nullptr || table->description == nullptr) {
    return Status::InvalidArgument("plugin " + path + " has no name or description in its function table");
  }
  if (table->abi_major != KREG_ABI_VERSION_MAJOR) {
    return Status::Incompatible("plugin " + path + " was built for kreg ABI " + std::to_string(table->abi_major) +
                                "." + std::to_string(table->abi_minor) + ", this host speaks " +
                                std::to_string(KREG_ABI_VERSION_MAJOR) + "." +
                                std::to_string(KREG_ABI_VERSION_MINOR) + "; rebuild the plugin");
  }
  if (table->struct_size < offsetof(kreg_plugin, set_property) + sizeof(table->set_property)) {
    return Status::Incompatible("plugin " + path + " has a function table smaller than ABI 1.0 defines");
  }
  s = CheckTableMembers(path, *table);
  if (!s.ok()) return s;
  out->path = path;
  out->table = table;
  out->library = std::move(library);
  return Status::OK();
}

}  // namespace

std::vector<std::string> PluginSearchDirs(const std::string& plugin_dir) {
  std::vector<std::string> dirs;
  if (!plugin_dir.empty()) dirs.push_back(plugin_dir);
  if (const char* env = std::getenv("KREG_PLUGIN_PATH")) {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) dirs.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  std::error_code ec;
  fs::path exe_dir = dll::program_location(ec).parent_path();
  if (!ec) {
    dirs.push_back((exe_dir / ".." / "plugins").lexically_normal().string());
    dirs.push_back((exe_dir / KREG_PLUGIN_DIR_FROM_BINDIR).lexically_normal().string());
  }
  return dirs;
}

std::string PluginFileName(const std::string& name) { return "libkreg_" + name + ".so"; }

Status LoadPlugin(const std::string& name_or_path, const std::vector<std::string>& dirs, LoadedPlugin* out) {
  if (name_or_path.find('/') != std::string::npos) {
    std::error_code ec;
    if (!fs::exists(name_or_path, ec)) return Status::NotFound("plugin file " + name_or_path + " does not exist");
    return LoadFile(name_or_path, out);
  }
  std::string looked;
  for (const auto& dir : dirs) {
    fs::path candidate = fs::path(dir) / PluginFileName(name_or_path);
    std::error_code ec;
    if (fs::exists(candidate, ec)) return LoadFile(candidate.string(), out);
    looked += (looked.empty() ? "" : ", ") + candidate.string();
  }
  return Status::NotFound("plugin \"" + name_or_path + "\" not found; looked for " +
                          (looked.empty() ? std::string("it nowhere (no plugin dirs)") : looked) +
                          " (set registry.plugin_dir, KREG_PLUGIN_PATH, or give a path)");
}

std::vector<PluginListing> ListPlugins(const std::vector<std::string>& dirs) {
  std::vector<PluginListing> found;
  std::set<std::string> seen_names;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::set<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string file = it->path().filename().string();
      if (file.rfind("libkreg_", 0) == 0 && it->path().extension() == ".so") files.insert(it->path());
    }
    for (const auto& file : files) {
      std::string name = file.stem().string().substr(std::string("libkreg_").size());
      if (!seen_names.insert(name).second) continue;  // shadowed by an earlier dir
      PluginListing listing;
      LoadedPlugin loaded;
      listing.path = file.string();
      listing.status = LoadFile(listing.path, &loaded);
      listing.table = loaded.table;
      listing.library = loaded.library;
      found.push_back(std::move(listing));
    }
  }
  return found;
}

}  // namespace host
}  // namespace kreg
