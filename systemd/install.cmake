# install.cmake -- run by `cmake --install` (see daemon/CMakeLists.txt):
# installs what depends on the install prefix, evaluated at install time so
# `cmake --install build --prefix DIR` gives a consistent tree:
#   PREFIX/lib/systemd/system/visiond.service  ExecStart = PREFIX/bin/visiond
#   CONFDIR/visiond.yaml                         the example config (kept if present)
#   CONFDIR/models/*.json, CONFDIR/labels/*      the model cards, with "path"
#                                                pointing at DATADIR/models
#   DATADIR/models/*.onnx                        the models setup.sh fetched, if present
# CONFDIR is /etc/visiond for the prefix /usr (GNUInstallDirs' rule), else
# PREFIX/etc/visiond; DATADIR is PREFIX/share/visiond. Expects VD_SOURCE_DIR
# and VD_BINARY_DIR. file(INSTALL) honours DESTDIR.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(confdir "/etc/visiond")
else()
  set(confdir "${prefix}/etc/visiond")
endif()
set(datadir "${prefix}/share/visiond")
set(stage "${VD_BINARY_DIR}/install-stage")
file(REMOVE_RECURSE "${stage}")
file(MAKE_DIRECTORY "${stage}/models")

set(VD_BINDIR "${prefix}/bin")
set(VD_CONFDIR "${confdir}")
configure_file("${VD_SOURCE_DIR}/systemd/visiond.service.in" "${stage}/visiond.service" @ONLY)
file(INSTALL "${stage}/visiond.service" DESTINATION "${prefix}/lib/systemd/system")
file(INSTALL "${VD_SOURCE_DIR}/systemd/v4l2.conf" DESTINATION "${datadir}/systemd")

# Never overwrite an edited config: install the new example beside it.
if(EXISTS "$ENV{DESTDIR}${confdir}/visiond.yaml")
  configure_file("${VD_SOURCE_DIR}/config/visiond.yaml" "${stage}/visiond.yaml.new" COPYONLY)
  file(INSTALL "${stage}/visiond.yaml.new" DESTINATION "${confdir}")
else()
  file(INSTALL "${VD_SOURCE_DIR}/config/visiond.yaml" DESTINATION "${confdir}")
endif()
file(GLOB labels "${VD_SOURCE_DIR}/config/labels/*")
file(INSTALL ${labels} DESTINATION "${confdir}/labels")

file(GLOB cards "${VD_SOURCE_DIR}/config/models/*.json")
foreach(card ${cards})
  get_filename_component(name "${card}" NAME)
  file(READ "${card}" json)
  string(JSON model GET "${json}" path)
  get_filename_component(model_abs "${model}" ABSOLUTE BASE_DIR "${VD_SOURCE_DIR}/config/models")
  get_filename_component(model_name "${model}" NAME)
  if(EXISTS "${model_abs}")
    file(INSTALL "${model_abs}" DESTINATION "${datadir}/models")
  endif()
  # a textual edit keeps the card's own layout (string(JSON SET) sorts keys)
  string(REGEX REPLACE "\"path\": *\"[^\"]*\"" "\"path\": \"${datadir}/models/${model_name}\""
         json "${json}")
  string(JSON lab ERROR_VARIABLE no_labels GET "${json}" labels)
  if(NOT no_labels AND NOT lab MATCHES "^coco")
    get_filename_component(lab_name "${lab}" NAME)
    string(REGEX REPLACE "\"labels\": *\"[^\"]*\"" "\"labels\": \"../labels/${lab_name}\""
           json "${json}")
  endif()
  file(WRITE "${stage}/models/${name}" "${json}\n")
  file(INSTALL "${stage}/models/${name}" DESTINATION "${confdir}/models")
endforeach()
