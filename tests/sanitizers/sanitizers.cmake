# sanitizers.cmake -- what every test of an ASan+UBSan build (-DVD_SANITIZE=ON,
# `./setup.sh test-sanitize`) runs with. Included last by tests/CMakeLists.txt,
# so it reaches every test the *.cmake files declared.
#
# The options go through ctest's environment rather than being compiled in, so
# every process a test starts inherits them: Criterion's workers, the CLIs and
# the `visiond serve` daemons the Python tests start from the build dir. A leak
# at exit makes a process exit 23 and a UBSan finding aborts it; the tests
# assert exit statuses (daemons: 0 after SIGTERM), so that fails the test. Not
# every status is looked at (Criterion passes a test whose worker then leaks; a
# CLI expected to fail may fail for either reason), so every report also goes
# to a file, sanitizer-reports/TEST.PID (log_path), and the last test,
# sanitizer_reports, fails on any file there and prints it. LeakSanitizer
# suppressions (third-party libraries' own leaks only, each with its reason)
# are in lsan.supp beside this file.
if(NOT VD_SANITIZE)
  return()
endif()

# ASan costs about 2-3x: ctest's limits scale, and the Python tests' inner ones
# (VD_TIME_SCALE below).
set(VD_SANITIZE_TIMEOUT_SCALE 3 CACHE STRING "ctest TIMEOUT multiplier under VD_SANITIZE")

set(vd_san_dir ${CMAKE_CURRENT_LIST_DIR})
set(vd_san_reports ${CMAKE_BINARY_DIR}/sanitizer-reports)
get_property(vd_san_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
foreach(t ${vd_san_tests})
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
    "ASAN_OPTIONS=log_path=${vd_san_reports}/${t}:detect_leaks=1:halt_on_error=1"
    "LSAN_OPTIONS=suppressions=${vd_san_dir}/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=log_path=${vd_san_reports}/${t}:print_stacktrace=1:halt_on_error=1"
    # for the Python tests: inner wait limits x3 (daemon_lib.wait_for), and RSS
    # figures that are ASan's quarantine rather than visiond's (daemon_runtime pressure)
    "VD_TIME_SCALE=${VD_SANITIZE_TIMEOUT_SCALE}" "VD_SANITIZE=1")
  set_property(TEST ${t} APPEND PROPERTY FIXTURES_REQUIRED vd_sanitizer_reports)
  get_test_property(${t} TIMEOUT secs)
  if(secs)
    math(EXPR secs "${secs} * ${VD_SANITIZE_TIMEOUT_SCALE}")
    set_tests_properties(${t} PROPERTIES TIMEOUT ${secs})
  endif()
endforeach()

add_test(NAME sanitizer_reports_clear
  COMMAND sh -c "rm -rf '${vd_san_reports}' && mkdir -p '${vd_san_reports}'")
add_test(NAME sanitizer_reports COMMAND sh ${vd_san_dir}/check_reports.sh ${vd_san_reports})
set_tests_properties(sanitizer_reports_clear PROPERTIES FIXTURES_SETUP vd_sanitizer_reports)
set_tests_properties(sanitizer_reports PROPERTIES FIXTURES_CLEANUP vd_sanitizer_reports TIMEOUT 60)
