# Cross-compiling for 64-bit Windows with Debian's mingw-w64 toolchain (scripts/build-windows.sh).
# Dependencies come from RD_WIN_PREFIX, a prefix the script fills from Debian's source packages.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(RD_WIN_TRIPLE x86_64-w64-mingw32)

set(CMAKE_C_COMPILER   ${RD_WIN_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${RD_WIN_TRIPLE}-g++)
set(CMAKE_RC_COMPILER  ${RD_WIN_TRIPLE}-windres)
set(CMAKE_AR           ${RD_WIN_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB       ${RD_WIN_TRIPLE}-ranlib CACHE FILEPATH "")

# Passed down to try_compile projects, which re-read this file.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RD_WIN_PREFIX)
set(CMAKE_FIND_ROOT_PATH /usr/${RD_WIN_TRIPLE} ${RD_WIN_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# One self-contained .exe: libgcc and everything else linked in, no DLL beyond Windows' own.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc")

# Wine runs the test programs that CMake or ctest start (CMAKE_CROSSCOMPILING_EMULATOR).
find_program(RD_WINE wine)
if(RD_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RD_WINE})
endif()
