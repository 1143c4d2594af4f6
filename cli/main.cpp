#include <iostream>

#include "engine/attrax.hpp"

int main() {
  using namespace attrax;
  Generator gen(0, 0);
  Tensor x = Tensor::randn({2, 3}, gen).requires_grad_();
  Tensor y = sum(exp(x) * x);
  y.backward();
  std::cout << x << "\n" << x.grad() << "\n";
}
