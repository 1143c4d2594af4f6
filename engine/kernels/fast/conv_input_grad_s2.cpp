// The input gradient of a 3x3, stride-2, padding-1 convolution (see conv_input_grad_s2.hpp).
// Forward, output p reads input rows h = 2p + r - 1, so dx row h = 2t + ε meets only the taps of its
// parity ε (likewise columns x = 2u + δ with taps s):
//   ε = 0: r = 1 at p = t;      ε = 1: r = 0 at p = t + 1 and r = 2 at p = t
// and, with dy zero past its last row and column,
//   dx[c][2t+ε][2u]   = Σ_k Σ_{(r,dp) of ε} w[k][c][r][1] · dy[k][t+dp][u]
//   dx[c][2t+ε][2u+1] = Σ_k Σ_{(r,dp) of ε} w[k][c][r][2] · dy[k][t+dp][u] + w[k][c][r][0] · dy[k][t+dp][u+1]
// A vector holds consecutive positions m = t·Qp + u of dy padded to rows of Qp columns. The even and
// odd columns of a tile are summed in two accumulators from the same two loads (at u and u + 1), and
// interleaved when stored: half a vector of each gives one run of a whole vector of dx columns. Qp is
// a multiple of half a vector, so every such half lies in one dy row; lanes past a row's U columns
// or past the last row compute values no one stores.
#include "engine/kernels/fast/conv_input_grad_s2.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "engine/kernels/fast/conv_common.hpp"

namespace attrax::kernels::fast {

namespace {

constexpr std::int64_t kHalf = kVec / 2;
// A tile is kTileChannels dx channels x kTileVectors vectors of positions, two accumulators each:
// 24 of the 32 vector registers of AVX-512 and AArch64, 8 of the 16 of AVX2.
constexpr std::int64_t kTileChannels = XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64 ? 6 : 2;
constexpr std::int64_t kTileVectors = 2;
static_assert(2 * kVec <= kSlack, "a tile reads up to two vectors past the padded image");

// dy padded with a zero row below and zero columns on the right: rows of Qp, planes of `plane`.
struct Problem {
  const float* image;  // image n's padded dy planes
  const float* w;      // [K][C][3][3]
  float* dx;           // image n's dx planes
  std::int64_t C, K, H, W, Qp, plane;
};

// Rows of dx with parity ε: ⌈(H - ε) / 2⌉.
std::int64_t rows_of_parity(std::int64_t H, std::int64_t eps) { return (H - eps + 1) / 2; }

// [a0 b0 a1 b1 ...] from the low halves of a and b, and from the high halves.
inline void interleave(const Vec& a, const Vec& b, Vec& low, Vec& high) {
#if XSIMD_WITH_AVX512F
  const __m512i low_lanes = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high_lanes = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  low = _mm512_permutex2var_ps(a, low_lanes, b);
  high = _mm512_permutex2var_ps(a, high_lanes, b);
#elif XSIMD_WITH_AVX
  // unpacklo/hi interleave within each 128-bit lane; the lanes are then put in order.
  const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
  low = _mm256_permute2f128_ps(lo, hi, 0x20);
  high = _mm256_permute2f128_ps(lo, hi, 0x31);
#else
  // SSE and NEON registers are one 128-bit lane: their zips interleave whole halves.
  low = xsimd::zip_lo(a, b);
  high = xsimd::zip_hi(a, b);
#endif
}

// Where the half vector at positions m .. m + kHalf - 1 (one dy row t) goes: dx columns
// 2u .. 2u + kVec - 1 of row 2t + ε, those inside the plane (none past the last row).
struct Run {
  std::int64_t offset, count;  // in a dx plane
};
inline Run run_of(const Problem& p, std::int64_t eps, std::int64_t m) {
  const std::int64_t t = m / p.Qp, x = 2 * (m % p.Qp);
  if (t >= rows_of_parity(p.H, eps) || x >= p.W) return {0, 0};
  return {(2 * t + eps) * p.W + x, std::min(kVec, p.W - x)};
}

inline void store_run(const Run& run, const Vec& v, float* plane) {
  if (run.count == kVec) v.store_unaligned(plane + run.offset);
  else if (run.count > 0) store_first(v, run.count, plane + run.offset);
}

// dx rows of parity Eps, channels c0 .. c0 + I - 1, positions m0 .. m0 + L kVec - 1.
template <std::int64_t Eps, std::int64_t I, std::int64_t L>
void tile(const Problem& p, std::int64_t c0, std::int64_t m0) {
  // (r, dp) of the row taps of parity Eps
  constexpr std::int64_t kTaps = Eps == 0 ? 1 : 2;
  constexpr std::int64_t kRow[2] = {Eps == 0 ? 1 : 0, 2}, kShift[2] = {Eps == 0 ? 0 : 1, 0};
  Vec even[I][L], odd[I][L];
  for (std::int64_t i = 0; i < I; ++i)
    for (std::int64_t l = 0; l < L; ++l) even[i][l] = odd[i][l] = Vec(0.f);
  for (std::int64_t k = 0; k < p.K; ++k) {
    const float* plane = p.image + k * p.plane + m0;
    const float* wk = p.w + (k * p.C + c0) * 9;
#pragma GCC unroll 2
    for (std::int64_t j = 0; j < kTaps; ++j) {
      const float* src = plane + kShift[j] * p.Qp;
      Vec at_u[L], at_next[L];
#pragma GCC unroll 4
      for (std::int64_t l = 0; l < L; ++l) at_u[l] = Vec::load_unaligned(src + l * kVec);
#pragma GCC unroll 4
      for (std::int64_t l = 0; l < L; ++l)
        at_next[l] = lanes_on<1>(src + l * kVec, at_u[l], Vec::load_unaligned(src + (l + 1) * kVec));
#pragma GCC unroll 8
      for (std::int64_t i = 0; i < I; ++i) {
        const float* wr = wk + i * 9 + kRow[j] * 3;  // w[k][c0 + i][r][0..2]
        const Vec w0(wr[0]), w1(wr[1]), w2(wr[2]);
#pragma GCC unroll 4
        for (std::int64_t l = 0; l < L; ++l) {
          even[i][l] = xsimd::fma(w1, at_u[l], even[i][l]);
          odd[i][l] = xsimd::fma(w2, at_u[l], odd[i][l]);
          odd[i][l] = xsimd::fma(w0, at_next[l], odd[i][l]);
        }
      }
    }
  }
  Run runs[L][2];
  for (std::int64_t l = 0; l < L; ++l)
    for (std::int64_t half = 0; half < 2; ++half) runs[l][half] = run_of(p, Eps, m0 + l * kVec + half * kHalf);
  for (std::int64_t i = 0; i < I; ++i) {
    float* plane = p.dx + (c0 + i) * p.H * p.W;
    for (std::int64_t l = 0; l < L; ++l) {
      Vec low, high;
      interleave(even[i][l], odd[i][l], low, high);
      store_run(runs[l][0], low, plane);
      store_run(runs[l][1], high, plane);
    }
  }
}

using TileFunction = void (*)(const Problem&, std::int64_t, std::int64_t);

// tile<Eps, I, L> at index (I - 1) kTileVectors + L - 1: the full tile and every tail.
template <std::int64_t Eps, std::size_t... n>
constexpr std::array<TileFunction, sizeof...(n)> tiles_of_parity(std::index_sequence<n...>) {
  return {&tile<Eps, std::int64_t(n) / kTileVectors + 1, std::int64_t(n) % kTileVectors + 1>...};
}
constexpr auto kTileCount = std::make_index_sequence<std::size_t(kTileChannels * kTileVectors)>{};
constexpr std::array<TileFunction, kTileChannels * kTileVectors> kTiles[2] = {tiles_of_parity<0>(kTileCount),
                                                                            tiles_of_parity<1>(kTileCount)};

// Qp: at least Q + 1 (the odd columns' tap at u + 1 reads a zero past the row), in half vectors.
std::int64_t padded_row(const ConvGeometry& g) { return ceil_div(g.Q + 1, kHalf) * kHalf; }

// Vectors of positions of parity ε: rows_of_parity(H, ε) rows of Qp.
std::int64_t vectors_of_parity(const ConvGeometry& g, std::int64_t eps) {
  return ceil_div(rows_of_parity(g.H, eps) * padded_row(g), kVec);
}

}  // namespace

// The share of computed lanes that land in dx decides: dy rows of 14 (ResNet's 28 → 14 layer, AVX-512:
// 88%) beat the phase GEMMs; rows of 7 (14 → 7: 7 of every 8 lanes, and the last vector of each parity
// half empty, 77%) tied with them and stay there.
bool input_grad_s2_applies(const ConvGeometry& g) {
  if (g.R != 3 || g.S != 3 || g.stride_h != 2 || g.stride_w != 2 || g.pad_h != 1 || g.pad_w != 1 ||
      g.dil_h != 1 || g.dil_w != 1 || g.groups != 1)
    return false;
  const double computed = double((vectors_of_parity(g, 0) + vectors_of_parity(g, 1)) * kVec);
  return double(g.H * g.W) / (2.0 * computed) >= 0.8;
}

void input_grad_s2(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const std::int64_t Qp = padded_row(g);
  const PaddedImages source{dy, g.K, g.P, g.Q, 0, 1, 0, Qp - g.Q};
  const std::int64_t channel_blocks = ceil_div(g.C, kTileChannels);
  const std::int64_t vectors[2] = {vectors_of_parity(g, 0), vectors_of_parity(g, 1)};
  const std::int64_t tiles[2] = {ceil_div(vectors[0], kTileVectors), ceil_div(vectors[1], kTileVectors)};
  // item = (channel block, tile of parity 0 or 1)
  const std::int64_t items = channel_blocks * (tiles[0] + tiles[1]);
  const double flops = 2.0 * double(g.K * g.P * g.Q * g.C * 9);
  for_each_image_item(g.N, items, flops, source, [] {}, [&](std::int64_t n, const float* image, std::int64_t item) {
    const std::int64_t block = item / (tiles[0] + tiles[1]), rest = item % (tiles[0] + tiles[1]);
    const std::int64_t eps = rest < tiles[0] ? 0 : 1, tile_index = eps == 0 ? rest : rest - tiles[0];
    const std::int64_t c0 = block * kTileChannels, first_vector = tile_index * kTileVectors;
    const std::int64_t channels = std::min(kTileChannels, g.C - c0);
    const std::int64_t count = std::min(kTileVectors, vectors[eps] - first_vector);
    const Problem p{image, w, dx + n * g.C * g.H * g.W, g.C, g.K, g.H, g.W, Qp, source.plane_floats()};
    kTiles[eps][std::size_t((channels - 1) * kTileVectors + count - 1)](p, c0, first_vector * kVec);
  });
}

}  // namespace attrax::kernels::fast
