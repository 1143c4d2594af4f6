# Cross-build for 32-bit ARM with hard float (armhf: ARMv7-A, e.g. Raspberry Pi 2/3 on a 32-bit OS)
# with Debian's g++-arm-linux-gnueabihf; tests run under qemu-arm. Used by the `armhf` preset:
#   cmake --preset armhf && cmake --build --preset armhf && ctest --preset armhf
# Debian's armhf compiler targets ARMv7-A with VFPv3-D16 and no NEON; xsimd needs NEON, so this
# targets ARMv7-A with NEON and VFPv4 (Cortex-A7 and later), hard-float ABI.
# -Wno-psabi silences GCC's notes that the passing of 64-bit-element aggregates (std::initializer_list
# of int64) "changed in GCC 7.1": they matter only when linking objects built by GCC 6 or older.
set(ATTRAX_CROSS_TRIPLE arm-linux-gnueabihf)
set(ATTRAX_CROSS_PROCESSOR armv7l)
set(ATTRAX_CROSS_QEMU qemu-arm)
set(CMAKE_C_FLAGS_INIT "-mfpu=neon-vfpv4 -mfloat-abi=hard -Wno-psabi")
set(CMAKE_CXX_FLAGS_INIT "-mfpu=neon-vfpv4 -mfloat-abi=hard -Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
