# Cross-build for 64-bit ARM (ARMv8-A, e.g. Raspberry Pi 4/5, Graviton, Jetson) with Debian's
# g++-aarch64-linux-gnu; tests run under qemu-aarch64. Used by the `aarch64` preset:
#   cmake --preset aarch64 && cmake --build --preset aarch64 && ctest --preset aarch64
# ARMv8-A always has NEON (Advanced SIMD), so the compiler's defaults suit xsimd.
set(ATTRAX_CROSS_TRIPLE aarch64-linux-gnu)
set(ATTRAX_CROSS_PROCESSOR aarch64)
set(ATTRAX_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
