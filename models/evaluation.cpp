#include "models/evaluation.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "engine/autograd.hpp"
#include "engine/error.hpp"
#include "engine/ops/loss.hpp"

namespace attrax::models {

namespace {

void check_fits(const Classifier& model, const data::Dataset& data) {
  const ModelConfig& c = model.config();
  if (c.num_classes < data.num_classes() || c.in_channels != data.channels)
    throw ValueError("evaluate: the model (" + c.summary() + ") does not fit the data (" +
                     std::to_string(data.channels) + " channels, " +
                     std::to_string(data.num_classes()) + " classes)");
}

// Adds one batch's predictions: p = softmax(logits); predicted = argmax p.
void accumulate(const Tensor& probabilities, const Tensor& labels, Evaluation& e,
                double& confidence_sum) {
  const float* p = probabilities.data<float>();
  const std::int64_t* y = labels.data<std::int64_t>();
  const std::int64_t n = probabilities.size(0), classes = probabilities.size(1);
  for (std::int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    const std::int64_t predicted = std::max_element(row, row + classes) - row;
    confidence_sum += row[predicted];
    e.confusion[std::size_t(y[i])][std::size_t(predicted)] += 1;
  }
}

void summarise(Evaluation& e, double confidence_sum) {
  std::int64_t correct = 0;
  for (std::size_t c = 0; c < e.confusion.size(); ++c) {
    const std::int64_t total = std::accumulate(e.confusion[c].begin(), e.confusion[c].end(),
                                               std::int64_t(0));
    const std::int64_t right = c < e.confusion[c].size() ? e.confusion[c][c] : 0;
    correct += right;
    e.class_accuracy.push_back(total ? double(right) / double(total) : 0.0);
  }
  e.accuracy = e.count ? double(correct) / double(e.count) : 0.0;
  e.mean_confidence = e.count ? confidence_sum / double(e.count) : 0.0;
}

}  // namespace

Evaluation evaluate(Classifier& model, const data::Dataset& full, std::int64_t limit,
                    std::int64_t batch_size) {
  check_fits(model, full);
  const data::Dataset data = full.head(limit);
  const std::int64_t classes = model.config().num_classes;
  Evaluation e;
  e.count = data.count;
  e.class_names = data.class_names;
  e.confusion.assign(std::size_t(data.num_classes()), std::vector<std::int64_t>(std::size_t(classes)));
  model.eval();
  NoGradGuard no_grad;
  double confidence_sum = 0;
  for (std::int64_t begin = 0; begin < data.count; begin += batch_size) {
    std::vector<std::int64_t> indices(std::size_t(std::min(batch_size, data.count - begin)));
    std::iota(indices.begin(), indices.end(), begin);
    const Tensor probabilities = softmax(model(data.images(indices)), 1);
    accumulate(probabilities, data.labels_of(indices), e, confidence_sum);
  }
  summarise(e, confidence_sum);
  return e;
}

std::string Evaluation::json() const {
  return nlohmann::json{{"count", count},
                        {"accuracy", accuracy},
                        {"mean_confidence", mean_confidence},
                        {"classes", class_names},
                        {"class_accuracy", class_accuracy},
                        {"confusion", confusion}}
      .dump();
}

std::string Evaluation::table() const {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "accuracy %.4f on %lld images, mean confidence %.4f\n\n",
                accuracy, static_cast<long long>(count), mean_confidence);
  out += line;
  out += "class                 accuracy   confusion (rows: true class, columns: predicted)\n";
  for (std::size_t c = 0; c < confusion.size(); ++c) {
    std::snprintf(line, sizeof line, "%2zu %-18.18s %8.4f  ", c, class_names[c].c_str(),
                  class_accuracy[c]);
    out += line;
    for (std::int64_t count_ij : confusion[c]) {
      std::snprintf(line, sizeof line, " %5lld", static_cast<long long>(count_ij));
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace attrax::models
