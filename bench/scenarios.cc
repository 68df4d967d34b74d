#include "scenarios.h"

namespace kreg {
namespace bench {

void RunScenarios(const std::vector<NamedScenario>& scenarios, const Options& options, Report* report) {
  for (const NamedScenario& scenario : scenarios) {
    if (options.scenario.empty() || options.scenario == scenario.name) scenario.run(options, report);
  }
}

std::string ScenarioNames(const std::vector<NamedScenario>& scenarios) {
  std::string names;
  for (const NamedScenario& scenario : scenarios) names += std::string(names.empty() ? "" : "|") + scenario.name;
  return names;
}

bool HasScenario(const std::vector<NamedScenario>& scenarios, const std::string& name) {
  for (const NamedScenario& scenario : scenarios) {
    if (name == scenario.name) return true;
  }
  return false;
}

}  // namespace bench
}  // namespace kreg
