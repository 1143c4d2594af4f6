#pragma once
// Classification accuracy of a model on a dataset, in eval mode and without a tape.
#include <cstdint>
#include <string>
#include <vector>

#include "models/classifier.hpp"
#include "models/data/dataset.hpp"

namespace attrax::models {

struct Evaluation {
  std::int64_t count = 0;
  double accuracy = 0;                     // fraction correct, in [0, 1]
  double mean_confidence = 0;              // mean softmax probability of the predicted class
  std::vector<std::string> class_names;
  std::vector<double> class_accuracy;      // per true class (0 for a class with no images)
  std::vector<std::vector<std::int64_t>> confusion;  // [true][predicted] counts

  // {"count", "accuracy", "mean_confidence", "classes", "class_accuracy", "confusion"}
  std::string json() const;
  // A readable report: accuracy, per-class accuracy, confusion matrix.
  std::string table() const;
};

// Evaluates the first `limit` images (all when limit <= 0) in batches. ValueError when the model's
// class count or input channels do not fit the data.
Evaluation evaluate(Classifier& model, const data::Dataset& data, std::int64_t limit = 0,
                    std::int64_t batch_size = 256);

}  // namespace attrax::models
