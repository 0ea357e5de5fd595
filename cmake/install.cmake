# What `make install` / `cmake --install` puts on a host (docs/install.md
# lists the tree; the "install.tree" test checks it):
#   sbin/storctl, sbin/storctld                  the CLI and the daemon
#   lib/systemd/system/storctld.service          unit, ExecStart= pointing at sbin
#   share/man/man7, man8                         dm-stor-cache(7), storctl(8), storctld(8)
#   share/bash-completion/completions/storctl    bash completion
#   /etc/storctl/storctld.conf                   default settings, never overwritten
#   /var/lib/storctl                             state directory, mode 0700
# Paths are relative to the prefix given at install time
# (cmake --install --prefix), except the last two.  Kernel modules are
# installed by the Makefile (for one kernel) or by DKMS.
include(GNUInstallDirs)

install(TARGETS storctl storctld RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The unit's ExecStart= names the installed daemon: written at install time,
# when the prefix is known.
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/systemd/storctld.service\" _unit)
  string(REPLACE \"/usr/local/sbin/storctld\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/storctld\" _unit \"\${_unit}\")
  file(WRITE \"${CMAKE_BINARY_DIR}/systemd/storctld.service\" \"\${_unit}\")
")
install(FILES ${CMAKE_BINARY_DIR}/systemd/storctld.service DESTINATION lib/systemd/system)

install(FILES ${PROJECT_SOURCE_DIR}/cli/completion/storctl.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME storctl)

# The daemon reads /etc/storctl whatever the prefix.  An existing settings
# file is the admin's: it is left alone.
install(CODE "
  set(_conf \"\$ENV{DESTDIR}/etc/storctl/storctld.conf\")
  if(EXISTS \"\${_conf}\")
    message(STATUS \"Keeping existing: \${_conf}\")
  else()
    file(INSTALL \"${PROJECT_SOURCE_DIR}/systemd/storctld.conf\" DESTINATION /etc/storctl
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
")
install(DIRECTORY DESTINATION /var/lib/storctl
  DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
