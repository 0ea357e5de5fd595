# Userspace build of the cache policy core (kernel/cache/policy/*.c) as the
# static library storctl_scp, for bench/cachesim and tests/unit/policy.
# The same sources are linked into the dm-stor-cache kernel module (see
# README.md here); scp_env.h is the only thing that differs.
#
# Included (not add_subdirectory'd) by every user; the guard makes that
# idempotent.
if(NOT TARGET storctl_scp)
  add_library(storctl_scp STATIC
    ${CMAKE_CURRENT_LIST_DIR}/scp.c
    ${CMAKE_CURRENT_LIST_DIR}/scp_ghost.c
    ${CMAKE_CURRENT_LIST_DIR}/scp_fifo.c
    ${CMAKE_CURRENT_LIST_DIR}/scp_lru.c
    ${CMAKE_CURRENT_LIST_DIR}/scp_s3fifo.c
  )
  set_target_properties(storctl_scp PROPERTIES
    C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS ON)
  target_include_directories(storctl_scp PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  # Kernel style: unused callback parameters are normal.  Warnings are
  # errors here, as they are in the kernel build check.
  target_compile_options(storctl_scp PRIVATE
    -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow
    -Wmissing-prototypes -Wstrict-prototypes)
endif()
