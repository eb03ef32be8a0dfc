# ModpackInstall.cmake - what `cmake --install` puts under the prefix, so
# that firmware and module projects can use find_package(Modpack) or
# pkg-config:
#
#   bin/modpack
#   include/*.h                          modload.h, modformat.h,
#                                        modload_config.h, modload_export.h, modreg.h,
#                                        modslot.h (flat:
#                                        #include <modload.h> with -I<prefix>/include)
#   share/modpack/modload/*.c *.h        modload's sources (firmware builds
#                                        them with its own cross compiler)
#   share/modpack/ld/*.ld                module.ld (the module linker script),
#                                        modload_exports.ld
#   share/modpack/cmake/toolchain-*.cmake
#   share/pkgconfig/modload.pc           Cflags, modload_srcdir, linker_script, ...
#   share/doc/modpack/                   the image format specification (formats/)
#   share/man/man1, man3, man5           modpack(1), modload(3), modreg(3),
#                                        modslot(3), modpack-image(5)
#   lib/cmake/Modpack/                   ModpackConfig.cmake, version file,
#                                        Modpack.cmake (modpack_add_module,
#                                        Modpack::modload, modpack_add_modload)
# (bin/modpack is installed by src/modpack/CMakeLists.txt.)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MODPACK_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
set(MODPACK_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/modpack)
set(MODPACK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Modpack)
set(MODPACK_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_DATADIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/include/modload.h ${PROJECT_SOURCE_DIR}/include/modformat.h
              ${PROJECT_SOURCE_DIR}/include/modload_config.h
              ${PROJECT_SOURCE_DIR}/include/modload_export.h ${PROJECT_SOURCE_DIR}/include/modreg.h
              ${PROJECT_SOURCE_DIR}/include/modslot.h
        DESTINATION ${MODPACK_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/modload/ DESTINATION ${MODPACK_INSTALL_DATADIR}/modload
        FILES_MATCHING PATTERN "*.c" PATTERN "*.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/samples/ld/ DESTINATION ${MODPACK_INSTALL_DATADIR}/ld
        FILES_MATCHING PATTERN "*.ld")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/cmake/ DESTINATION ${MODPACK_INSTALL_DATADIR}/cmake
        FILES_MATCHING PATTERN "toolchain-*.cmake")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/formats/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man3
        FILES_MATCHING PATTERN "*.3")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man5
        FILES_MATCHING PATTERN "*.5")

# modload.pc: relative to its own place (${pcfiledir}), so that the prefix
# can move.
file(RELATIVE_PATH MODPACK_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${MODPACK_INSTALL_PKGCONFIGDIR}
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" MODPACK_PC_TO_PREFIX "${MODPACK_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/modload.pc.in ${PROJECT_BINARY_DIR}/modload.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/modload.pc DESTINATION ${MODPACK_INSTALL_PKGCONFIGDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ModpackConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ModpackConfig.cmake
  INSTALL_DESTINATION ${MODPACK_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR MODPACK_INSTALL_INCLUDEDIR MODPACK_INSTALL_DATADIR CMAKE_INSTALL_DOCDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ModpackConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)   # a cross-compiled firmware project uses the host tool too
install(FILES ${PROJECT_BINARY_DIR}/ModpackConfig.cmake
              ${PROJECT_BINARY_DIR}/ModpackConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/Modpack.cmake
        DESTINATION ${MODPACK_INSTALL_CMAKEDIR})
# One man3 page per name in the NAME line of modload(3), modreg(3) and modslot(3), so
# that `man modload_load` works: a one-line ".so man3/modload.3" each, made
# here (not kept under man/, whose subdirectories the rules above copy).
file(REMOVE_RECURSE ${PROJECT_BINARY_DIR}/man-links)
foreach(page modload modreg modslot)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/${page}.3)
  file(READ ${PROJECT_SOURCE_DIR}/man/${page}.3 page_text)
  string(REGEX MATCH "\n\\.SH NAME\n([^\\]*)" page_names "${page_text}")
  string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*" page_names "${CMAKE_MATCH_1}")
  foreach(name ${page_names})
    file(WRITE ${PROJECT_BINARY_DIR}/man-links/${name}.3 ".so man3/${page}.3\n")
  endforeach()
endforeach()
install(DIRECTORY ${PROJECT_BINARY_DIR}/man-links/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
