#pragma once
// The figures of one `attrax bench` run, under torch_ref.py's keys so that both JSON objects can be
// compared key by key.
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace attrax::bench {

enum class Format { Text, Json };

class Report {
 public:
  // `filter`: only workloads whose key contains it run (the empty filter matches every key).
  Report(Format format, std::string filter, std::ostream& out);

  bool wants(const std::string& key) const;
  // Records key = value. Text: prints at once "key  value unit", and for a conv_* GFLOP/s figure
  // its share of fma_peak_gflops (recorded first).
  void add(const std::string& key, double value);
  // JSON: prints every recorded pair as one flat object, in the order recorded.
  void finish() const;

 private:
  Format format_;
  std::string filter_;
  std::ostream& out_;
  std::vector<std::pair<std::string, double>> entries_;
  double peak_gflops_ = 0;
};

}  // namespace attrax::bench
