#pragma once
// Generator streams of the adversarial layer, distinct from initialisation and data streams.
#include <cstdint>

namespace attrax::adversarial {

inline constexpr std::uint64_t kAttackStream = 0x61747461636bULL;          // "attack"
inline constexpr std::uint64_t kAdversarialTrainingStream = 0x616474726eULL;  // "adtrn"

}  // namespace attrax::adversarial
