# Install rules: headers, the layer libraries, the otpp tool, a CMake package (otpp::otpp and
# one component per layer, otpp::term ... otpp::shell), otpp.pc for pkg-config, and CPack's
# Debian package. Layers are taken from the OTPP_LAYERS list that otpp_layer() fills, so a new
# layer is installed without touching this file.
include(CMakePackageConfigHelpers)

get_property(otpp_layers GLOBAL PROPERTY OTPP_LAYERS)
set(otpp_layer_targets "")
foreach(layer ${otpp_layers})
  list(APPEND otpp_layer_targets otpp_${layer})
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/otpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT development)
install(TARGETS ${otpp_layer_targets} otpp_library EXPORT otpp-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS otpp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT development)

set(otpp_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/otpp)
install(EXPORT otpp-targets NAMESPACE otpp:: FILE otpp-targets.cmake DESTINATION ${otpp_cmake_dir}
        COMPONENT development)
set(OTPP_INSTALLED_LAYERS ${otpp_layers})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/otpp-config.cmake.in
  ${PROJECT_BINARY_DIR}/otpp-config.cmake INSTALL_DESTINATION ${otpp_cmake_dir})
# 0.x: a minor version may change the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/otpp-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/otpp-config.cmake ${PROJECT_BINARY_DIR}/otpp-config-version.cmake
        DESTINATION ${otpp_cmake_dir} COMPONENT development)

# otpp.pc: the libraries of otpp::otpp (every layer but the shell), highest first as a static
# link needs them, and what they link privately.
set(otpp_pc_libs "")
foreach(layer ${otpp_layers})
  if(NOT layer STREQUAL "shell")
    set(otpp_pc_libs "-lotpp_${layer} ${otpp_pc_libs}")
  endif()
endforeach()
# The prefix relative to the .pc file, so an installed tree can move (cmake --install --prefix,
# an unpacked package).
file(RELATIVE_PATH otpp_pc_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${PROJECT_SOURCE_DIR}/cmake/otpp.pc.in ${PROJECT_BINARY_DIR}/otpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/otpp.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT development)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT development)

# cpack -G DEB: one package with everything above, installing under /usr.
set(CPACK_PACKAGE_NAME otpp)
set(CPACK_PACKAGE_VENDOR otpp)
set(CPACK_PACKAGE_CONTACT "otpp developers <otpp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The libraries are static: a program linking them needs the headers of what they link.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libgmp-dev, zlib1g-dev, libssl-dev, libpcre2-dev, libedit-dev, pkg-config, g++ (>= 4:12)")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_STRIP_FILES TRUE)  # the tool and libraries without debug information
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
include(CPack)
