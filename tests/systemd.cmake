# systemd.cmake -- the installed service: `cmake --install` into a temp
# prefix, the files in place, the example config valid as installed,
# `systemd-analyze verify` on the installed unit (with and without the v4l2
# drop-in), and the exposure of `systemd-analyze security --offline=true`
# (goal <= 2.0) written to build/systemd-security.txt. systemd-analyze works
# without systemd as PID 1 (it is how this container runs it); the test
# skips (77) only when systemd-analyze is not installed.
add_test(NAME systemd_unit
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/systemd_unit.sh ${CMAKE_BINARY_DIR}
          ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/systemd-security.txt)
set_tests_properties(systemd_unit PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
