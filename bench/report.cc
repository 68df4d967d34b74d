#include "report.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <thread>

namespace kreg {
namespace bench {

namespace {

std::string Ratio(const Row& r) {
  if (r.baseline <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", r.kreg / r.baseline);
  return buf;
}

std::string Verdict(const Row& r) {
  if (r.target.empty()) return "";
  return r.target + (r.met ? " ok" : " MISSED");
}

std::string Cell(double value, const std::string& unit) {
  if (value <= 0) return "-";
  return FormatFigure(value) + " " + unit;
}

}  // namespace

double Percentile(std::vector<double>* samples, double p) {
  if (samples->empty()) return 0;
  std::sort(samples->begin(), samples->end());
  size_t at = static_cast<size_t>(p / 100.0 * (samples->size() - 1) + 0.5);
  return (*samples)[std::min(at, samples->size() - 1)];
}

std::string FormatFigure(double value) {
  char buf[32];
  if (value >= 1e6) std::snprintf(buf, sizeof(buf), "%.2fM", value / 1e6);
  else if (value >= 1e4) std::snprintf(buf, sizeof(buf), "%.1fk", value / 1e3);
  else if (value >= 100) std::snprintf(buf, sizeof(buf), "%.0f", value);
  else std::snprintf(buf, sizeof(buf), "%.3g", value);
  return buf;
}

void Report::Add(const Row& row) {
  rows_.push_back(row);
  std::fprintf(stderr, "  %-44s kreg %-14s baseline %-14s %s %s\n", row.scenario.c_str(),
               Cell(row.kreg, row.unit).c_str(), Cell(row.baseline, row.unit).c_str(), Ratio(row).c_str(),
               Verdict(row).c_str());
}

std::string Report::Text() const {
  int width = 8;
  for (const Row& r : rows_) width = std::max(width, static_cast<int>(r.scenario.size()));
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-*s %-16s %-16s %-8s %s\n", width, "scenario", "kreg", "baseline", "ratio",
                "target");
  out += line;
  for (const Row& r : rows_) {
    std::snprintf(line, sizeof(line), "%-*s %-16s %-16s %-8s %s\n", width, r.scenario.c_str(),
                  Cell(r.kreg, r.unit).c_str(), Cell(r.baseline, r.unit).c_str(), Ratio(r).c_str(),
                  Verdict(r).c_str());
    out += line;
  }
  return out;
}

std::string Report::Markdown(const std::string& commit, const std::string& notes) const {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string out = "# kreg benchmark\n\n";
  out += std::string("- date: ") + date + "\n- commit: " + commit + "\n- cores: " +
         std::to_string(std::thread::hardware_concurrency()) + "\n";
  if (!notes.empty()) out += "- " + notes + "\n";
  out += "\n| scenario | kreg | baseline | ratio | target |\n|---|---|---|---|---|\n";
  for (const Row& r : rows_) {
    out += "| " + r.scenario + " | " + Cell(r.kreg, r.unit) + " | " + Cell(r.baseline, r.unit) + " | " + Ratio(r) +
           " | " + Verdict(r) + " |\n";
  }
  return out;
}

}  // namespace bench
}  // namespace kreg
