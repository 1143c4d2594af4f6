#pragma once
// Per-sample bookkeeping on batches [N, ...]: attacks keep state per sample (fooled or not, best
// point so far) and work on the rows still in play.
#include <cstdint>
#include <vector>

#include "engine/tensor.hpp"

namespace attrax::adversarial {

// A [N, 1, 1, ...] float tensor from per-sample values, broadcasting against a batch like `like`.
Tensor sample_column(const std::vector<float>& values, const Tensor& like);

// Per sample: where(take, candidate, current).
Tensor select_samples(const std::vector<bool>& take, const Tensor& candidate, const Tensor& current);

// The positions where flags[i] == value.
std::vector<std::int64_t> rows_where(const std::vector<bool>& flags, bool value);

// Rows `rows` of t, in that order.
Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows);

// `full` with row rows[j] replaced by row j of `part`.
Tensor replace_rows(const Tensor& full, const std::vector<std::int64_t>& rows, const Tensor& part);

}  // namespace attrax::adversarial
