# api_security.cmake -- the attack surface (tests/api_security.py, docs/SECURITY.md):
# each mode starts a real `visiond serve` on a free 127.0.0.1 port (clients
# bound to other 127.x addresses show per-address limits), loopback only.
# Bounded: authlimit ~15 s (it waits out an 8 s window), sources ~15 s, paths ~15 s, limits ~15 s; TIMEOUT 120
# each. They skip (exit 77) only without setup.sh's BlazeFace assets.
foreach(mode authlimit sources paths limits)
  add_test(NAME api_security_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/api_security.py
            $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR} ${mode})
  set_tests_properties(api_security_${mode} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
