#pragma once
// The orthonormal 2-D DCT-II (Ahmed, Natarajan & Rao 1974) and its inverse over the last two axes,
// as products with precomputed DCT matrices, so that gradients flow through the engine's matmul:
//   D[k, i] = s_k cos(π (2i + 1) k / (2n)),  s_0 = √(1/n),  s_k = √(2/n) for k ≥ 1   (D Dᵀ = I)
//   DCT2(x) = D_H x D_Wᵀ,   IDCT2(X) = D_Hᵀ X D_W
// This is scipy/torch_dct's norm="ortho". Spectrum simulation (Long et al. 2022; attacks/transfer.hpp)
// uses torch_dct's norm=None pair in its released code; IDCT2(DCT2(x) ⊙ M) is the same map for both,
// since the two normalisations differ by a per-coefficient scale that commutes with the mask M.
#include <cstdint>

#include "engine/tensor.hpp"

namespace attrax::adversarial {

// The orthonormal DCT-II matrix D [n, n], as above; ValueError for n < 1.
Tensor dct_matrix(std::int64_t n, DType dtype = DType::Float32);

// x: [..., H, W] floating (rank ≥ 2) -> [..., H, W]; ShapeError for rank < 2. Differentiable.
Tensor dct2(const Tensor& x);
Tensor idct2(const Tensor& x);

}  // namespace attrax::adversarial
