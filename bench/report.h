// The benchmark's result table: one row per figure, kreg beside its
// baseline measured in the same run, and the ratio the targets are about.
#ifndef KREG_BENCH_REPORT_H_
#define KREG_BENCH_REPORT_H_

#include <string>
#include <vector>

namespace kreg {
namespace bench {

struct Row {
  std::string scenario;
  std::string unit;       // "ops/s", "us", "ns/call", "bytes"
  double kreg = 0;
  double baseline = 0;    // 0: no baseline for this figure
  std::string target;     // e.g. ">= 0.8x", "<= 1 ms"; empty: none
  bool higher_is_better = true;
  // Whether the target was met; meaningful only when `target` is set.
  bool met = true;
};

class Report {
 public:
  void Add(const Row& row);
  const std::vector<Row>& rows() const { return rows_; }

  // The table as aligned text for a terminal.
  std::string Text() const;
  // The table as markdown with a header naming date, commit and cores.
  std::string Markdown(const std::string& commit, const std::string& notes) const;

 private:
  std::vector<Row> rows_;
};

// Percentile `p` (0..100) of `samples`, which it sorts; 0 when empty.
double Percentile(std::vector<double>* samples, double p);

// "12.3k", "1.23M", "850": short figures for the table.
std::string FormatFigure(double value);

}  // namespace bench
}  // namespace kreg

#endif  // KREG_BENCH_REPORT_H_
