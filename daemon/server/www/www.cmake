# The web console: each file is copied, with a gzip twin, to
# <build>/share/visiond/www -- the place daemon/server/static.c looks for
# relative to the executable (build/daemon/visiond -> build/share/...), the
# same relative place `cmake --install` puts them (bin/ -> share/).
include(GNUInstallDirs)
set(VD_WWW_OUT ${CMAKE_BINARY_DIR}/share/visiond/www)
set(VD_WWW_FILES)
foreach(f index.html console.js console.css)
  set(src ${CMAKE_CURRENT_LIST_DIR}/${f})
  add_custom_command(OUTPUT ${VD_WWW_OUT}/${f} ${VD_WWW_OUT}/${f}.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${VD_WWW_OUT}
    COMMAND ${CMAKE_COMMAND} -E copy ${src} ${VD_WWW_OUT}/${f}
    COMMAND gzip -9nkf ${VD_WWW_OUT}/${f}
    DEPENDS ${src})
  list(APPEND VD_WWW_FILES ${VD_WWW_OUT}/${f} ${VD_WWW_OUT}/${f}.gz)
endforeach()
add_custom_target(vd_www ALL DEPENDS ${VD_WWW_FILES})
install(FILES ${VD_WWW_FILES} DESTINATION ${CMAKE_INSTALL_DATADIR}/visiond/www)
