# api.cmake -- the HTTP API over real HTTP (tests/api_http.py): each test starts
# a real `visiond serve` on a free 127.0.0.1 port with a temp state dir, talks
# to it with http.client, python3-requests and curl, checks every response
# against docs/openapi.yaml (python3-jsonschema), and stops it with SIGTERM.
# They skip (exit 77) only without setup.sh's BlazeFace assets.
foreach(mode errors starting resources pagination sse keepalive deepstack spec)
  add_test(NAME api_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/api_http.py
            $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR} ${mode})
  set_tests_properties(api_${mode} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
