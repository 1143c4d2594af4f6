#include "adversarial/batch_rows.hpp"

#include <numeric>

#include "engine/ops.hpp"

namespace attrax::adversarial {

Tensor sample_column(const std::vector<float>& values, const Tensor& like) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(like.rank()), 1);
  shape[0] = std::int64_t(values.size());
  return Tensor::from_data(values, Shape(shape));
}

Tensor select_samples(const std::vector<bool>& take, const Tensor& candidate, const Tensor& current) {
  return where(sample_column(std::vector<float>(take.begin(), take.end()), candidate), candidate, current);
}

std::vector<std::int64_t> rows_where(const std::vector<bool>& flags, bool value) {
  std::vector<std::int64_t> rows;
  for (std::size_t i = 0; i < flags.size(); ++i)
    if (flags[i] == value) rows.push_back(std::int64_t(i));
  return rows;
}

Tensor take_rows(const Tensor& t, const std::vector<std::int64_t>& rows) {
  return index_select(t, 0, Tensor::from_data(rows, {std::int64_t(rows.size())}));
}

Tensor replace_rows(const Tensor& full, const std::vector<std::int64_t>& rows, const Tensor& part) {
  const std::int64_t n = full.size(0), m = part.size(0);
  // source row of the result in concat(part, full): m + i by default, j where rows[j] = i
  std::vector<std::int64_t> source(static_cast<std::size_t>(n));
  std::iota(source.begin(), source.end(), m);
  for (std::size_t j = 0; j < rows.size(); ++j) source[std::size_t(rows[j])] = std::int64_t(j);
  return index_select(concat({part, full}, 0), 0, Tensor::from_data(source, {n}));
}

}  // namespace attrax::adversarial
