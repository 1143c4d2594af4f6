// The README's worked example of adding an op (softsign), kept compiling and correct here.
#include <cmath>

#include "engine/ops/helpers.hpp"
#include "support/checks.hpp"

using namespace attrax;

namespace {

// y = x / (1 + |x|):  dx = g / (1 + |x|)²
Tensor softsign(const Tensor& x) {
  Tensor y = detail::unary_map("softsign", x, [](auto v) { return v / (1 + std::abs(v)); });
  return record("softsign", y, {x}, [x](const Tensor& g, const BackwardContext&) -> Grads {
    return {g / pow(1.0 + abs(x), 2)};
  });
}

}  // namespace

TEST_CASE("softsign: first and second derivatives") {
  const auto f = [](const std::vector<Tensor>& in) { return softsign(in[0]); };
  const Tensor x = Tensor::from_data(std::vector<double>{-2, -0.3, 0.4, 1.5}, {4});
  CHECK(testing::gradcheck(f, {x}).ok);
  CHECK(testing::gradgradcheck(f, {x}).ok);
  CHECK(softsign(x).at({0}) == doctest::Approx(-2.0 / 3.0));
}
