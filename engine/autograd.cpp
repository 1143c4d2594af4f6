#include "engine/autograd.hpp"

#include <algorithm>
#include <atomic>
#include <unordered_map>

#include "engine/gradient_rules.hpp"
#include "engine/ops/elementwise.hpp"

namespace attrax {

namespace {

thread_local bool grad_mode_enabled = true;
std::atomic<std::uint64_t> node_counter{0};

// Destroying a chain of nodes recursively (node, its input's node, ...) overflows the stack for deep
// graphs, so a node whose last owner goes away is parked here and destroyed by one loop instead.
// Tensors that outlive the thread's parking list (statics destroyed at exit) fall back to plain
// recursive release, so the list records when it is gone in a flag with no destructor.
thread_local bool parking_alive = true;

struct ParkedNodes {
  std::vector<std::shared_ptr<Node>> nodes;
  bool draining = false;
  ~ParkedNodes() { parking_alive = false; }
};
thread_local ParkedNodes parked;

void park(std::shared_ptr<Node>&& node) {
  if (parking_alive && node && node.use_count() == 1) parked.nodes.push_back(std::move(node));
  node.reset();
}

void drain_parked_nodes() {
  if (!parking_alive || parked.draining) return;
  parked.draining = true;
  while (!parked.nodes.empty()) {
    std::shared_ptr<Node> last = std::move(parked.nodes.back());
    parked.nodes.pop_back();
    last.reset();
  }
  parked.draining = false;
}

// Sets grad mode for the lifetime of a backward pass (on exactly when create_graph).
class GradModeScope {
 public:
  explicit GradModeScope(bool enabled) : previous_(GradMode::enabled()) {
    GradMode::set_enabled(enabled);
  }
  ~GradModeScope() { GradMode::set_enabled(previous_); }

 private:
  bool previous_;
};

Tensor accumulate(const Tensor& sum, const Tensor& g) { return sum.defined() ? sum + g : g; }

struct NodeState {
  Tensor grad;          // sum of the gradients arriving from consumers
  bool needed = false;  // some target (or leaf, in accumulate mode) lies below this node
  int target = -1;      // index among grad()'s inputs, or -1
};

struct Pass {
  std::vector<std::shared_ptr<Node>> roots;
  std::vector<Tensor> root_grads;
  std::vector<std::shared_ptr<Node>> targets;  // grad(): the requested inputs' nodes
  bool accumulate_into_leaves = false;         // backward(): write .grad of leaves
  GradOptions options;
};

// Every node reachable from the roots, consumers before producers. A node's inputs always exist
// before it is created, so descending creation order is a topological order.
std::vector<Node*> reachable_nodes(const std::vector<std::shared_ptr<Node>>& roots) {
  std::vector<Node*> order;
  std::vector<Node*> stack;
  std::unordered_map<Node*, bool> seen;
  for (const auto& r : roots)
    if (!seen[r.get()]) { seen[r.get()] = true; stack.push_back(r.get()); }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const auto& in : n->inputs)
      if (in && !seen[in.get()]) { seen[in.get()] = true; stack.push_back(in.get()); }
  }
  std::sort(order.begin(), order.end(), [](Node* a, Node* b) { return a->sequence > b->sequence; });
  return order;
}

void release(Node& n) {
  n.vjp = nullptr;
  n.saved_output.reset();
  n.nonlinearity_input = Tensor();
  n.released = true;
}

Grads run_vjp(Node& n, const Tensor& g, const std::vector<bool>& needs) {
  if (n.released) {
    throw AutogradError("backward: trying to go through op '" + n.name +
                        "' a second time, but its saved values were freed after the first pass; "
                        "pass retain_graph=true (or create_graph=true) to the first pass");
  }
  BackwardContext ctx(n, needs);
  const GradientRules* rules = active_gradient_rules();
  if (rules && n.nonlinearity != Nonlinearity::None) {
    if (const GradientRule* rule = rules->find(n.nonlinearity)) {
      return {(*rule)(RuleContext{n.nonlinearity, n.nonlinearity_input, ctx.output(), g})};
    }
  }
  return n.vjp(g, ctx);
}

void check_input_grad(const Node& n, std::size_t i, const Tensor& g) {
  const Node& in = *n.inputs[i];
  if (!(g.shape() == in.shape) || g.dtype() != in.dtype) {
    throw AutogradError("backward: the VJP of '" + n.name + "' returned a gradient of shape " +
                        g.shape().str() + " (" + dtype_name(g.dtype()) + ") for input " +
                        std::to_string(i) + " of shape " + in.shape.str() + " (" +
                        dtype_name(in.dtype) + ")");
  }
}

void accumulate_leaf(Node& n, const Tensor& g, bool create_graph) {
  const std::shared_ptr<TensorImpl> leaf = n.leaf.lock();
  if (!leaf) return;
  Tensor current = leaf->grad ? Tensor(leaf->grad) : Tensor();
  Tensor sum = accumulate(current, create_graph ? g : g.detach());
  leaf->grad = (create_graph ? sum : sum.detach()).impl_ptr();
}

// Runs one backward pass; returns the gradient reaching each target (undefined if none did).
std::vector<Tensor> run(const Pass& pass) {
  const bool create_graph = pass.options.create_graph;
  const bool retain = pass.options.retain_graph || create_graph;
  GradModeScope mode(create_graph);

  const std::vector<Node*> order = reachable_nodes(pass.roots);
  std::unordered_map<Node*, NodeState> state;
  for (std::size_t i = 0; i < pass.targets.size(); ++i) state[pass.targets[i].get()].target = int(i);

  // needed(n) = n is a target (or a leaf sink) or one of its inputs is needed; producers first.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = *it;
    NodeState& s = state[n];
    s.needed = s.target >= 0 || (pass.accumulate_into_leaves && n->accumulator);
    for (const auto& in : n->inputs)
      if (in && state[in.get()].needed) s.needed = true;
  }

  for (std::size_t i = 0; i < pass.roots.size(); ++i) {
    NodeState& s = state[pass.roots[i].get()];
    s.grad = accumulate(s.grad, pass.root_grads[i]);
  }

  std::vector<Tensor> captured(pass.targets.size());
  for (Node* n : order) {
    NodeState& s = state[n];
    if (!s.needed || !s.grad.defined()) continue;
    const Tensor g = s.grad;
    s.grad = Tensor();
    if (s.target >= 0) captured[s.target] = create_graph ? g : g.detach();
    if (n->accumulator) {
      if (pass.accumulate_into_leaves) accumulate_leaf(*n, g, create_graph);
      continue;
    }
    std::vector<bool> needs(n->inputs.size());
    bool any = false;
    for (std::size_t i = 0; i < needs.size(); ++i) {
      needs[i] = n->inputs[i] && state[n->inputs[i].get()].needed;
      any = any || needs[i];
    }
    if (!any) continue;
    const Grads grads = run_vjp(*n, g, needs);
    if (grads.size() != n->inputs.size()) {
      throw AutogradError("backward: the VJP of '" + n->name + "' returned " +
                          std::to_string(grads.size()) + " gradients for " +
                          std::to_string(n->inputs.size()) + " inputs");
    }
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!needs[i] || !grads[i].defined()) continue;
      check_input_grad(*n, i, grads[i]);
      NodeState& in = state[n->inputs[i].get()];
      in.grad = accumulate(in.grad, grads[i]);
    }
    if (!retain) release(*n);
  }
  return captured;
}

// Pairs outputs with their gradients: given ones, or ones for one-element outputs.
void add_roots(Pass& pass, const char* api, const std::vector<Tensor>& outputs,
               const std::vector<Tensor>& grad_outputs) {
  if (outputs.empty()) throw AutogradError(std::string(api) + ": no outputs to differentiate");
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw AutogradError(std::string(api) + ": got " + std::to_string(grad_outputs.size()) +
                        " grad_outputs for " + std::to_string(outputs.size()) + " outputs");
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    const std::string which = std::string(api) + ": output " + std::to_string(i);
    if (!out.defined()) throw AutogradError(which + " is undefined");
    if (!out.requires_grad()) {
      throw AutogradError(which + " does not require grad: no input it depends on requires grad, "
                          "or it was computed under NoGradGuard");
    }
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      if (out.numel() != 1) {
        throw AutogradError(which + " has shape " + out.shape().str() +
                            "; a default gradient exists only for one-element outputs, so pass "
                            "grad_outputs");
      }
      g = Tensor::ones(out.shape(), out.dtype());
    } else if (!(g.shape() == out.shape()) || g.dtype() != out.dtype()) {
      throw ShapeError(which + " has shape " + out.shape().str() + " (" + dtype_name(out.dtype()) +
                       ") but its grad_output has shape " + g.shape().str() + " (" +
                       dtype_name(g.dtype()) + ")");
    }
    pass.roots.push_back(gradient_edge(out));
    pass.root_grads.push_back(g);
  }
}

}  // namespace

Node::~Node() {
  for (auto& input : inputs) park(std::move(input));
  vjp = nullptr;  // its captured tensors park their own nodes
  nonlinearity_input = Tensor();
  drain_parked_nodes();
}

TensorImpl::~TensorImpl() {
  park(std::move(grad_fn));
  park(std::move(grad_accumulator));
  drain_parked_nodes();
}

bool GradMode::enabled() { return grad_mode_enabled; }
void GradMode::set_enabled(bool enabled) { grad_mode_enabled = enabled; }

Tensor BackwardContext::output() const {
  if (!node_.saved_output) {
    throw AutogradError("backward: the VJP of '" + node_.name +
                        "' reads its output, but the op was recorded without save_output");
  }
  auto impl = make_tensor_impl();
  impl->storage = node_.saved_output;
  impl->shape = node_.shape;
  impl->dtype = node_.dtype;
  impl->requires_grad = true;
  impl->grad_fn = std::const_pointer_cast<Node>(node_.shared_from_this());
  return Tensor(std::move(impl));
}

std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl || !impl->requires_grad) return nullptr;
  if (impl->grad_fn) return impl->grad_fn;
  if (!impl->grad_accumulator) {
    auto acc = std::make_shared<Node>();
    acc->name = "accumulate_grad";
    acc->accumulator = true;
    acc->leaf = t.impl_ptr();
    acc->shape = impl->shape;
    acc->dtype = impl->dtype;
    acc->sequence = node_counter++;
    impl->grad_accumulator = std::move(acc);
  }
  return impl->grad_accumulator;
}

namespace detail {

Tensor record_node(const char* op, Tensor result, const Tensor* inputs, std::size_t count, Vjp vjp,
                   RecordOptions options) {
  std::vector<std::shared_ptr<Node>> edges(count);
  bool any = false;
  for (std::size_t i = 0; i < count; ++i) {
    edges[i] = gradient_edge(inputs[i]);
    any = any || edges[i];
  }
  if (!any) return result;
  auto node = std::make_shared<Node>();
  node->name = op;
  node->inputs = std::move(edges);
  node->vjp = std::move(vjp);
  node->shape = result.shape();
  node->dtype = result.dtype();
  node->sequence = node_counter++;
  node->nonlinearity = options.nonlinearity;
  node->nonlinearity_input = std::move(options.nonlinearity_input);
  if (options.save_output || options.nonlinearity != Nonlinearity::None)
    node->saved_output = result.impl()->storage;
  result.impl()->grad_fn = std::move(node);
  result.impl()->requires_grad = true;
  return result;
}

}  // namespace detail

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, GradOptions options) {
  Pass pass;
  pass.options = options;
  add_roots(pass, "grad", outputs, grad_outputs);
  if (inputs.empty()) throw AutogradError("grad: no inputs to differentiate with respect to");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) {
      throw AutogradError("grad: input " + std::to_string(i) +
                          " does not require grad; call requires_grad_() on it before the forward "
                          "pass");
    }
    pass.targets.push_back(gradient_edge(inputs[i]));
  }
  std::vector<Tensor> result = run(pass);
  for (std::size_t i = 0; i < result.size(); ++i) {
    if (result[i].defined()) continue;
    if (!options.allow_unused) {
      throw AutogradError("grad: input " + std::to_string(i) +
                          " was not used to compute the outputs; pass allow_unused=true to get an "
                          "undefined gradient instead");
    }
  }
  return result;
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              GradOptions options) {
  Pass pass;
  pass.options = options;
  pass.accumulate_into_leaves = true;
  add_roots(pass, "backward", outputs, grad_outputs);
  run(pass);
}

}  // namespace attrax
