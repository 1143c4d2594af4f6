# Shared part of the Debian cross toolchains (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake).
# The including file sets ATTRAX_CROSS_TRIPLE (the GNU triple of the target), ATTRAX_CROSS_PROCESSOR
# (CMAKE_SYSTEM_PROCESSOR) and ATTRAX_CROSS_QEMU (the qemu-user binary that runs the target's code).
#
# Needs Debian's g++-<triple> (which brings the target's libstdc++ and libgomp under /usr/<triple>)
# and qemu-user; `scripts/install-deps.sh cross` installs both. The header-only dependencies (Eigen,
# xsimd, xtl, doctest, stb) are the host's own Debian packages under /usr: headers are the same for
# every architecture, so the find_* commands look in the target's sysroot first and then on the host.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${ATTRAX_CROSS_PROCESSOR})

set(CMAKE_C_COMPILER ${ATTRAX_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${ATTRAX_CROSS_TRIPLE}-g++)

set(ATTRAX_CROSS_SYSROOT /usr/${ATTRAX_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${ATTRAX_CROSS_SYSROOT} /usr)
# Programs (ctest, the emulator) are the host's; libraries only ever the target's; headers and CMake
# package files from either, the target's first.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Debian installs xsimd's (architecture-independent) CMake package under the host's multiarch
# directory, e.g. /usr/lib/x86_64-linux-gnu/cmake/xsimd, which a search for the target's multiarch
# directory never visits.
file(GLOB _attrax_host_cmake_dirs LIST_DIRECTORIES true /usr/lib/*-linux-gnu*/cmake)
list(APPEND CMAKE_PREFIX_PATH ${_attrax_host_cmake_dirs})

# ctest and doctest's test discovery run every test binary through qemu-user, with the target's
# dynamic loader and libraries taken from the sysroot.
find_program(ATTRAX_QEMU_${ATTRAX_CROSS_PROCESSOR} ${ATTRAX_CROSS_QEMU})
if(ATTRAX_QEMU_${ATTRAX_CROSS_PROCESSOR})
  set(CMAKE_CROSSCOMPILING_EMULATOR ${ATTRAX_QEMU_${ATTRAX_CROSS_PROCESSOR}} -L ${ATTRAX_CROSS_SYSROOT})
else()
  message(WARNING "${ATTRAX_CROSS_QEMU} not found: the ${ATTRAX_CROSS_PROCESSOR} tests cannot run "
                  "here. Install the Debian package 'qemu-user' (scripts/install-deps.sh cross), or "
                  "configure with -DATTRAX_TESTS=OFF to cross-build only.")
endif()

# ATTRAX_NATIVE (-march=native) defaults OFF when cross-compiling; ATTRAX_OPENMP stays ON with the
# cross g++'s libgomp.
