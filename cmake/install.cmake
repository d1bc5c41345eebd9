# Where `cmake --install` puts pgreplica's files (docs/packaging.md has the table). With the
# prefix /usr (Debian's package) they land in the FHS places:
#   /usr/bin/pgreplica                                   the program
#   /usr/share/man/man1/pgreplica*.1                     man pages (generated)
#   /usr/share/bash-completion/completions/pgreplica     bash completion (generated)
#   /lib/systemd/system/pgreplica-metrics.{service,timer}
#   /usr/libexec/pgreplica/pgreplica-metrics             the units' helper
#   /usr/share/pgreplica/{salt,monitoring,systemd}       Salt formula, alert rules and dashboard,
#                                                        the drop-in example for a periodic check
#   /usr/share/doc/pgreplica/                            README and docs/
#   /etc/pgreplica/pgreplica.yaml                        configuration example (all commented)
#   /var/lib/pgreplica/                                  state directory, root's, mode 0755
# The configuration and state directories are the ones the program uses whatever the prefix
# (conf::kDefaultConfigPath, state_directory's default); a unit test keeps them equal.
set(PGREPLICA_CONFIG_DIR /etc/pgreplica CACHE PATH "pgreplica's configuration directory")
set(PGREPLICA_STATE_DIR /var/lib/pgreplica CACHE PATH "pgreplica's default state directory")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(default_unit_dir /lib/systemd/system)
else()
  set(default_unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(PGREPLICA_SYSTEMD_UNIT_DIR ${default_unit_dir} CACHE PATH "systemd system unit directory")

install(TARGETS pgreplica RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PGREPLICA_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
  FILES_MATCHING PATTERN "*.1")
install(FILES ${PGREPLICA_COMPLETION}
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${CMAKE_BINARY_DIR}/systemd/pgreplica-metrics.service
  ${CMAKE_BINARY_DIR}/systemd/pgreplica-metrics.timer DESTINATION ${PGREPLICA_SYSTEMD_UNIT_DIR})
install(PROGRAMS ${CMAKE_BINARY_DIR}/systemd/pgreplica-metrics
  DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/pgreplica)
install(FILES ${CMAKE_BINARY_DIR}/systemd/check.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/pgreplica/systemd)
install(DIRECTORY salt/ DESTINATION ${CMAKE_INSTALL_DATADIR}/pgreplica/salt
  PATTERN "__pycache__" EXCLUDE)
install(DIRECTORY monitoring/ DESTINATION ${CMAKE_INSTALL_DATADIR}/pgreplica/monitoring
  PATTERN "tests" EXCLUDE)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES examples/pgreplica.yaml DESTINATION ${PGREPLICA_CONFIG_DIR})
install(DIRECTORY DESTINATION ${PGREPLICA_STATE_DIR}
  DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
  WORLD_READ WORLD_EXECUTE)
