// Module: tensor names and order (as PyTorch's state_dict), loading, weight sharing, forward hooks,
// train/eval propagation, paths, and Sequential.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/attrax.hpp"
#include "helpers.hpp"
#include "nn/nn.hpp"

using namespace attrax;
using namespace attrax::nn;
using namespace attrax::nn::testing;

namespace {

using Names = std::vector<std::string>;

// The state_dict of a Tree with every value replaced by `value` (num_batches-like int64 `count`
// set to 5).
std::vector<NamedTensor> filled_state(const Tree& tree, double value) {
  std::vector<NamedTensor> out;
  for (const NamedTensor& e : tree.state_dict()) {
    const double v = e.tensor.dtype() == DType::Int64 ? 5.0 : value;
    out.push_back({e.name, Tensor::full(e.tensor.shape(), v, e.tensor.dtype())});
  }
  return out;
}

}  // namespace

TEST_CASE("state_dict lists own parameters, own buffers, then children, as PyTorch") {
  Tree tree;
  CHECK(names_of(tree.state_dict()) == Names{"scale", "count", "first.w", "first.b", "first.stat",
                                             "inner.0.w", "inner.0.b", "inner.0.stat", "inner.1.w",
                                             "inner.1.b", "inner.1.stat"});
  CHECK(names_of(tree.named_parameters()) ==
        Names{"scale", "first.w", "first.b", "inner.0.w", "inner.0.b", "inner.1.w", "inner.1.b"});
  // named_buffers lists every buffer (as torch's named_buffers); only state_dict leaves out the
  // non-persistent ones.
  CHECK(names_of(tree.named_buffers()) ==
        Names{"count", "first.stat", "first.scratch", "inner.0.stat", "inner.0.scratch",
              "inner.1.stat", "inner.1.scratch"});
  CHECK(tree.parameter_count() == 1 + (3 + 1) + (3 + 1) + (2 + 1));

  // The entries are handles to the module's own tensors, not copies.
  const std::vector<NamedTensor> state = tree.state_dict();
  CHECK(state[0].tensor.impl() == tree.scale.impl());
  CHECK(state[2].tensor.impl() == tree.first->w.impl());
  const std::vector<Tensor> params = tree.parameters();
  REQUIRE(params.size() == 7);
  CHECK(params[1].impl() == tree.first->w.impl());
  for (const Tensor& p : params) CHECK(p.requires_grad());
}

TEST_CASE("load_state_dict copies values into the existing tensors") {
  Tree tree;
  const TensorImpl* w_before = tree.first->w.impl();
  const TensorImpl* stat_before = tree.inner->operator[](1).state_dict()[2].tensor.impl();
  std::vector<NamedTensor> entries = filled_state(tree, 0.5);
  tree.load_state_dict(entries);

  CHECK(tree.first->w.impl() == w_before);
  CHECK(tree.inner->operator[](1).state_dict()[2].tensor.impl() == stat_before);
  for (const NamedTensor& e : tree.state_dict()) {
    const double expected = e.tensor.dtype() == DType::Int64 ? 5.0 : 0.5;
    for (double v : e.tensor.to_vector()) CHECK_MESSAGE(v == expected, e.name);
  }
  CHECK(tree.first->w.requires_grad());
  // The source is copied, not aliased: changing it later leaves the module alone.
  entries[2].tensor.data<float>()[0] = 42.0f;
  CHECK(tree.first->w.at({0}) == 0.5);
  // The forward uses the loaded values: (x * 0.5 + 0.5) * 0.5.
  const Tensor y = tree(Tensor::full({3}, 1.0));
  CHECK(y.at({0}) == doctest::Approx(0.5));
}

TEST_CASE("load_state_dict names missing, unexpected, wrong-shape and duplicate entries") {
  Tree tree;
  const std::vector<NamedTensor> good = filled_state(tree, 0.5);

  SUBCASE("missing") {
    std::vector<NamedTensor> entries = good;
    entries.erase(entries.begin() + 4);  // first.stat
    const std::string message = error_message<ValueError>([&] { tree.load_state_dict(entries); });
    CHECK(contains(message, "missing"));
    CHECK(contains(message, "'first.stat'"));
  }
  SUBCASE("missing but optional by suffix") {
    std::vector<NamedTensor> entries;
    for (const NamedTensor& e : good)
      if (e.name.find("stat") == std::string::npos) entries.push_back(e);
    tree.load_state_dict(entries, {"stat"});
    CHECK(tree.first->stat.at({0}) == 10.0);  // left as it was
    CHECK(tree.first->w.at({0}) == 0.5);      // the rest loaded
    // A suffix covers only names that end with it.
    entries.erase(entries.begin());  // scale
    CHECK(contains(error_message<ValueError>([&] { tree.load_state_dict(entries, {"stat"}); }),
                   "'scale'"));
  }
  SUBCASE("unexpected") {
    std::vector<NamedTensor> entries = good;
    entries.push_back({"inner.2.w", Tensor::ones({3})});
    const std::string message = error_message<ValueError>([&] { tree.load_state_dict(entries); });
    CHECK(contains(message, "unexpected"));
    CHECK(contains(message, "'inner.2.w'"));
  }
  SUBCASE("non-persistent buffers are not loadable") {
    std::vector<NamedTensor> entries = good;
    entries.push_back({"first.scratch", Tensor::ones({2})});
    CHECK(contains(error_message<ValueError>([&] { tree.load_state_dict(entries); }),
                   "'first.scratch'"));
  }
  SUBCASE("wrong shape") {
    std::vector<NamedTensor> entries = good;
    entries[5].tensor = Tensor::ones({4});  // inner.0.w is [3]
    const std::string message = error_message<ValueError>([&] { tree.load_state_dict(entries); });
    CHECK(contains(message, "'inner.0.w'"));
    CHECK(contains(message, "[4]"));
    CHECK(contains(message, "[3]"));
  }
  SUBCASE("a rejected state_dict changes nothing") {
    std::vector<NamedTensor> entries = good;
    entries.back().tensor = Tensor::ones({7});
    const double before = tree.first->w.at({0});
    CHECK_THROWS_AS(tree.load_state_dict(entries), ValueError);
    CHECK(tree.first->w.at({0}) == before);
  }
  SUBCASE("wrong dtype") {
    std::vector<NamedTensor> entries = good;
    entries[1].tensor = Tensor::zeros({}, DType::Float32);  // count is int64
    const std::string message = error_message<ValueError>([&] { tree.load_state_dict(entries); });
    CHECK(contains(message, "'count'"));
    CHECK(contains(message, "int64"));
  }
  SUBCASE("duplicate") {
    std::vector<NamedTensor> entries = good;
    entries.push_back(good[3]);
    const std::string message = error_message<ValueError>([&] { tree.load_state_dict(entries); });
    CHECK(contains(message, "'first.b'"));
    CHECK(contains(message, "twice"));
  }
}

TEST_CASE("share_tensors_with makes two modules hold the same tensors") {
  Tree a, b;
  a.load_state_dict(filled_state(a, 0.25));
  b.share_tensors_with(a);
  CHECK(b.first->w.impl() == a.first->w.impl());
  CHECK(b.first->scratch.impl() == a.first->scratch.impl());  // non-persistent buffers too
  CHECK(b.first->w.at({1}) == 0.25);

  // A change made through either is seen by the other.
  a.first->w.data<float>()[1] = 7.0f;
  CHECK(b.first->w.at({1}) == 7.0);
  b.load_state_dict(filled_state(b, -1.0));
  CHECK(a.scale.at({0}) == -1.0);
  CHECK(a(Tensor::ones({3})).to_vector() == b(Tensor::ones({3})).to_vector());

  SUBCASE("mismatched modules are rejected") {
    Leaf leaf;
    CHECK(contains(error_message<ValueError>([&] { leaf.share_tensors_with(a); }), "tensors"));
    Leaf small(1.0f, 2);
    const std::string message = error_message<ValueError>([&] { small.share_tensors_with(leaf); });
    CHECK(contains(message, "'w'"));
    CHECK(contains(message, "[2]"));
    CHECK(contains(message, "[3]"));
    CHECK(small.w.numel() == 2);  // left unchanged
  }
}

TEST_CASE("forward hooks record and replace outputs, and can be removed") {
  Generator gen(3);
  Sequential seq;
  Linear& fc = seq.append(std::make_unique<Linear>(3, 2, gen));
  seq.append(std::make_unique<Activation>(ActivationSpec::parse("leaky_relu:0.5")));
  const Tensor x = Tensor::randn({4, 3}, gen);
  const Tensor plain = seq(x);

  Tensor recorded;
  fc.set_forward_hook([&](const Tensor& y) {
    recorded = y;
    return y;
  });
  CHECK(seq(x).to_vector() == plain.to_vector());
  REQUIRE(recorded.defined());
  CHECK(recorded.to_vector() == fc.forward(x).to_vector());

  // A hook that returns a substitute changes what the next layer sees.
  fc.set_forward_hook([](const Tensor& y) { return y * 0.0 - 2.0; });
  for (double v : seq(x).to_vector()) CHECK(v == -1.0);  // leaky_relu(-2, 0.5)
  // forward() itself does not run the hook; operator() does.
  CHECK(fc.forward(x).to_vector() == recorded.to_vector());

  fc.set_forward_hook(nullptr);
  CHECK(seq(x).to_vector() == plain.to_vector());
}

TEST_CASE("train() and eval() reach every descendant") {
  Tree tree;
  const auto all_training = [&](bool expected) {
    for (auto& [path, module] : tree.named_modules())
      CHECK_MESSAGE(module->is_training() == expected, "'" << path << "'");
  };
  all_training(true);
  tree.eval();
  all_training(false);
  tree.train();
  all_training(true);
  tree.train(false);
  all_training(false);
  // A subtree can be switched alone.
  tree.inner->train();
  CHECK_FALSE(tree.is_training());
  CHECK_FALSE(tree.first->is_training());
  CHECK(tree.module_at("inner.1").is_training());
}

TEST_CASE("named_modules and module_at address modules by dotted path") {
  Tree tree;
  Names paths;
  for (auto& [path, module] : tree.named_modules()) paths.push_back(path);
  CHECK(paths == Names{"", "first", "inner", "inner.0", "inner.1"});
  CHECK(&tree.module_at("") == &tree);
  CHECK(&tree.module_at("first") == tree.first);
  CHECK(&tree.module_at("inner.1") == &(*tree.inner)[1]);
  CHECK(tree.module_at("inner.1").describe() == "Leaf");

  const std::string message = error_message<ValueError>([&] { tree.module_at("inner.2"); });
  CHECK(contains(message, "'inner.2'"));
  CHECK(contains(message, "first, inner, inner.0, inner.1"));
  CHECK(contains(error_message<ValueError>([&] { tree.module_at("first.w"); }), "'first.w'"));
}

TEST_CASE("Sequential names children by position and runs them in order") {
  Generator gen(5);
  Sequential seq;
  CHECK(seq.size() == 0);
  Linear& a = seq.append(std::make_unique<Linear>(4, 3, gen));
  Linear& b = seq.append(std::make_unique<Linear>(3, 2, gen, false));
  CHECK(seq.size() == 2);
  CHECK(&seq[0] == &a);
  CHECK(&seq[1] == &b);
  CHECK(names_of(seq.state_dict()) == Names{"0.weight", "0.bias", "1.weight"});
  CHECK_THROWS_AS(seq[2], IndexError);
  CHECK_THROWS_AS(seq[-1], IndexError);
  CHECK(contains(error_message<IndexError>([&] { seq[2]; }), "[0, 2)"));

  const Tensor x = Tensor::randn({5, 4}, gen);
  CHECK(seq(x).to_vector() == b(a(x)).to_vector());
  Sequential empty;
  CHECK(empty(x).to_vector() == x.to_vector());
  CHECK(seq.describe() == "Sequential(2 layers)");
}
