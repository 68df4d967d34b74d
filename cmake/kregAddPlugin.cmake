# kreg_add_plugin(<name> <source>...)
#
# Builds a kreg backend plugin, in kreg's tree and out of it alike (an
# installed kreg's kregConfig.cmake includes this same file):
#
#   target   kreg_plugin_<name>: add include dirs and libraries to it as to
#            any target, e.g. target_link_libraries(kreg_plugin_<name> PRIVATE ...)
#   output   libkreg_<name>.so, a MODULE library (loaded, never linked), in
#            ${KREG_PLUGIN_OUTPUT_DIR} when that is set (kreg's tree: build/plugins)
#   exports  only kreg_plugin_entry (the version script plugin.map beside this
#            file), so no C++ symbol of the plugin can bind to another plugin's
#            or to the host's; C and C++ visibility hidden as well
#   links    kreg::api, with -Wl,--no-undefined: a missing library is a link
#            error here, not a dlopen error in kregctl
#   install  `cmake --install` puts it in ${KREG_PLUGIN_INSTALL_DIR} under the
#            install prefix; with the prefix kreg was installed to, that is where
#            the installed kregctl (and any host linking kreg::host installed
#            there) finds it by name: `registry: {plugin: <name>}`
function(kreg_add_plugin name)
  set(target kreg_plugin_${name})
  set(version_script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/plugin.map)
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME kreg_${name}
    PREFIX lib
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(KREG_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${KREG_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_libraries(${target} PRIVATE kreg::api)
  # kreg's own tree holds its plugins to its warning flags.
  if(TARGET kreg_warnings)
    target_link_libraries(${target} PRIVATE kreg_warnings)
  endif()
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,--version-script=${version_script})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${version_script})
  install(TARGETS ${target} LIBRARY DESTINATION ${KREG_PLUGIN_INSTALL_DIR})
endfunction()
