#include "kreg/host/logging.h"

#include <spdlog/spdlog.h>

namespace kreg {
namespace host {

namespace {

spdlog::level::level_enum ToSpdlog(kreg_log_level level) {
  switch (level) {
    case KREG_LOG_TRACE: return spdlog::level::trace;
    case KREG_LOG_DEBUG: return spdlog::level::debug;
    case KREG_LOG_INFO: return spdlog::level::info;
    case KREG_LOG_WARN: return spdlog::level::warn;
    case KREG_LOG_ERROR: return spdlog::level::err;
    case KREG_LOG_OFF: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

LogFunction PluginLogFunction(const std::string& plugin_name) {
  std::string name = "kreg." + plugin_name;
  std::shared_ptr<spdlog::logger> logger = spdlog::get(name);
  if (!logger) {
    auto base = spdlog::default_logger();
    logger = std::make_shared<spdlog::logger>(name, base->sinks().begin(), base->sinks().end());
    logger->set_level(base->level());
    spdlog::register_logger(logger);
  }
  return [logger](kreg_log_level level, std::string_view message) {
    logger->log(ToSpdlog(level), "{}", message);
  };
}

void SetLogLevel(kreg_log_level level) { spdlog::set_level(ToSpdlog(level)); }

}  // namespace host
}  // namespace kreg
