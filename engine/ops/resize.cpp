// Bilinear resampling and its adjoint: each is the other's VJP, so the pair closes under
// differentiation.
#include <string>

#include "engine/autograd.hpp"
#include "engine/kernels/dispatch.hpp"
#include "engine/ops/helpers.hpp"
#include "engine/ops/shape_ops.hpp"

namespace attrax {

namespace {

// Throws unless t is a float [N,C,h,w] tensor with positive h, w and the target size is positive.
void check_resize(const char* op, const Tensor& t, const char* role, const char* layout,
                  std::int64_t out_h, std::int64_t out_w) {
  detail::check_floating(op, t, role);
  detail::check_rank(op, t, 4, role, layout);
  if (t.size(2) <= 0 || t.size(3) <= 0 || out_h <= 0 || out_w <= 0) {
    throw ShapeError(std::string(op) + ": cannot resample " + role + " " + t.shape().str() + " to " +
                     std::to_string(out_h) + "x" + std::to_string(out_w) +
                     " (spatial sizes must be positive)");
  }
}

}  // namespace

// y[p,q] = Σ_taps w x[h,w]:  dx = upsample_bilinear_adjoint(g, H, W)
Tensor upsample_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  check_resize("upsample_bilinear", x, "input", "[N,C,H,W]", out_h, out_w);
  const kernels::ResizeGeometry geo{x.size(0), x.size(1), x.size(2), x.size(3), out_h, out_w};
  Tensor y = Tensor::empty({geo.N, geo.C, out_h, out_w}, x.dtype());
  visit_floating(x.dtype(), "upsample_bilinear", [&]<class T>() {
    kernels::upsample_bilinear(geo, x.data<T>(), y.data<T>());
  });
  return record("upsample_bilinear", y, {x}, [geo](const Tensor& g, const BackwardContext&) -> Grads {
    return {upsample_bilinear_adjoint(g, geo.H, geo.W)};
  });
}

// dx[h,w] = Σ_{(p,q) tapping (h,w)} w dy[p,q]:  d(dy) = upsample_bilinear(g, P, Q)
Tensor upsample_bilinear_adjoint(const Tensor& dy, std::int64_t in_h, std::int64_t in_w) {
  check_resize("upsample_bilinear_adjoint", dy, "gradient", "[N,C,P,Q]", in_h, in_w);
  const kernels::ResizeGeometry geo{dy.size(0), dy.size(1), in_h, in_w, dy.size(2), dy.size(3)};
  Tensor dx = Tensor::empty({geo.N, geo.C, in_h, in_w}, dy.dtype());
  visit_floating(dy.dtype(), "upsample_bilinear_adjoint", [&]<class T>() {
    kernels::upsample_bilinear_adjoint(geo, dy.data<T>(), dx.data<T>());
  });
  return record("upsample_bilinear_adjoint", dx, {dy},
                [geo](const Tensor& g, const BackwardContext&) -> Grads {
                  return {upsample_bilinear(g, geo.P, geo.Q)};
                });
}

}  // namespace attrax
