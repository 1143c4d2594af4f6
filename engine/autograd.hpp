#pragma once
// Reverse-mode autodiff on a define-by-run tape.
//
// Every op that sees an input requiring grad records a Node: its VJP (a function from the gradient of
// its output to the gradients of its inputs) and edges to the nodes of its inputs. VJPs are written with
// the engine's own differentiable ops, so a backward pass run with create_graph=true is itself recorded
// and gradients of gradients are exact.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace attrax {

// Nonlinearities whose VJP a GradientRules scope may replace for one backward pass.
enum class Nonlinearity : std::uint8_t { None, Relu, LeakyRelu, Softplus, Sigmoid, Tanh };

class BackwardContext;

// Gradients of the inputs, in input order; an undefined Tensor where an input needs none.
using Grads = std::vector<Tensor>;
using Vjp = std::function<Grads(const Tensor& grad_output, const BackwardContext& ctx)>;

// One recorded op (or, for a leaf that requires grad, its gradient accumulator).
class Node : public std::enable_shared_from_this<Node> {
 public:
  std::string name;                            // the op, for messages
  std::vector<std::shared_ptr<Node>> inputs;   // per input: its node, or null if it needs no grad
  Vjp vjp;                                     // released after a pass unless retain_graph
  Shape shape;                                 // shape and dtype of the output
  DType dtype = DType::Float32;
  std::shared_ptr<Storage> saved_output;       // the output's data, for VJPs that read it
  Nonlinearity nonlinearity = Nonlinearity::None;
  Tensor nonlinearity_input;                   // x of y = f(x), for gradient-rule overrides
  bool accumulator = false;                    // a leaf's gradient sink rather than an op
  std::weak_ptr<TensorImpl> leaf;              // the leaf, on accumulators only
  std::uint64_t sequence = 0;                  // creation order: later nodes run first
  bool released = false;                       // VJP freed by a pass without retain_graph

  // Releases the inputs one node at a time rather than recursively (graphs may be very deep).
  ~Node();
};

// What a VJP may ask of the pass that runs it.
class BackwardContext {
 public:
  BackwardContext(const Node& node, std::vector<bool> needs) : node_(node), needs_(std::move(needs)) {}
  // Whether input i's gradient is wanted by this pass (skip computing it when false).
  bool needs_input_grad(std::size_t i) const { return needs_[i]; }
  // The op's output, reconstructed with this node as its grad_fn (only for ops recorded with
  // RecordOptions::save_output), so VJPs that read the output stay differentiable.
  Tensor output() const;

 private:
  const Node& node_;
  std::vector<bool> needs_;
};

// Whether ops record onto the tape (thread-local; on by default).
struct GradMode {
  static bool enabled();
  static void set_enabled(bool enabled);
};

// Turns recording off for its lifetime: inference, attack updates, optimizer steps.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

struct RecordOptions {
  bool save_output = false;                               // the VJP calls ctx.output()
  Nonlinearity nonlinearity = Nonlinearity::None;         // overridable by GradientRules
  Tensor nonlinearity_input;                              // x, when nonlinearity != None

  // For ops whose VJP reads their output.
  static RecordOptions saving_output() {
    RecordOptions options;
    options.save_output = true;
    return options;
  }
};

namespace detail {
// record's work once grad mode is known to be on.
Tensor record_node(const char* op, Tensor result, const Tensor* inputs, std::size_t count, Vjp vjp,
                   RecordOptions options);
}  // namespace detail

// Attaches a tape node to `result` when grad mode is on and some input requires grad; otherwise
// returns `result` untouched. `inputs` are the op's tensor arguments in the order the VJP returns
// their gradients. The VJP becomes a Vjp (a std::function, which may allocate) only when grad mode
// is on, so the inference path allocates neither nodes nor closures.
template <class F>
Tensor record(const char* op, Tensor result, std::initializer_list<Tensor> inputs, F&& vjp,
              RecordOptions options = {}) {
  if (!GradMode::enabled()) return result;
  return detail::record_node(op, std::move(result), inputs.begin(), inputs.size(),
                             Vjp(std::forward<F>(vjp)), std::move(options));
}
template <class F>
Tensor record(const char* op, Tensor result, const std::vector<Tensor>& inputs, F&& vjp,
              RecordOptions options = {}) {
  if (!GradMode::enabled()) return result;
  return detail::record_node(op, std::move(result), inputs.data(), inputs.size(),
                             Vjp(std::forward<F>(vjp)), std::move(options));
}

// The node through which gradients reach `t`: its grad_fn, or a leaf's accumulator; null if none.
std::shared_ptr<Node> gradient_edge(const Tensor& t);

struct GradOptions {
  bool create_graph = false;   // record the backward pass so its results can be differentiated
  bool retain_graph = false;   // keep VJPs for another pass (implied by create_graph)
  bool allow_unused = false;   // return an undefined tensor for inputs the outputs do not depend on
};

// d(outputs)/d(inputs) contracted with grad_outputs (default: ones for one-element outputs).
// Computes only what the requested inputs need: no parameter gradients when only the input is asked.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, GradOptions options = {});

// Accumulates gradients into the .grad of every leaf the outputs depend on.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              GradOptions options = {});

}  // namespace attrax
