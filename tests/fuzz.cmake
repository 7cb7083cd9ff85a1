# fuzz.cmake -- libFuzzer targets (tests/fuzz/), built with clang by their
# own CMake project (tests/fuzz/CMakeLists.txt via ExternalProject: the main
# build uses gcc, libFuzzer needs clang) and run as bounded ctest sessions:
#   fuzz_nn_load, fuzz_npy   the ONNX loader and the .npy reader, on seed
#                            corpora made at test time (make_seeds.py)
#   fuzz_config, fuzz_card, fuzz_http, fuzz_image, fuzz_reader
#                            the YAML config, model cards, the HTTP server,
#                            still images and the frame reader, on the seed
#                            corpora committed in tests/fuzz/seeds/
#                            (gen_seeds.py) with a dictionary each
#   fuzz_regress_<target>    every input a campaign found
#                            (tests/fuzz/regress/<target>/), replayed once
#   fuzz_regress_http_daemon the same HTTP inputs against the real daemon
#                            over loopback (runs without clang too)
# Without clang or its libFuzzer runtime (Debian: clang +
# libclang-rt-14-dev), the libFuzzer tests are still listed and report
# "skipped" with the reason.
# Inputs each ctest session runs, from seed 1 (tests/fuzz/run_fuzz.sh):
# deterministic, so CI checks the tree rather than its luck. Wall time on 2
# shared cores, one core per session: nn_load ~2 min, npy ~15 s; the five
# others ~25-35 s each, ~2.5 min together (fuzz_http's loop waits on a
# socket, so its coverage can differ by a few edges between machines).
# The fuzz build (the whole tree but daemon/cli, instrumented) adds ~3 min
# on 2 cores. Longer, exploring campaigns and their figures: docs/fuzz.md.
set(VD_FUZZ_RUNS_NN 50000 CACHE STRING "inputs fuzz_nn_load runs under ctest")
set(VD_FUZZ_RUNS_NPY 3000000 CACHE STRING "inputs fuzz_npy runs under ctest")
set(VD_FUZZ_RUNS_CONFIG 12000 CACHE STRING "inputs fuzz_config runs under ctest")
set(VD_FUZZ_RUNS_CARD 10000 CACHE STRING "inputs fuzz_card runs under ctest")
set(VD_FUZZ_RUNS_HTTP 15000 CACHE STRING "inputs fuzz_http runs under ctest")
set(VD_FUZZ_RUNS_IMAGE 4000 CACHE STRING "inputs fuzz_image runs under ctest")
set(VD_FUZZ_RUNS_READER 2000 CACHE STRING "inputs fuzz_reader runs under ctest")
set(vd_fuzz_dir ${CMAKE_SOURCE_DIR}/tests/fuzz)

# Found by fuzz_http: the real daemon must survive them (no clang needed).
add_test(NAME fuzz_regress_http_daemon
  COMMAND ${VD_PYTHON} ${vd_fuzz_dir}/regress_http.py $<TARGET_FILE:visiond>
    ${vd_fuzz_dir}/regress/http)
set_tests_properties(fuzz_regress_http_daemon PROPERTIES TIMEOUT 60)
find_program(VD_CLANG NAMES clang-14 clang)

set(vd_fuzz_skip "")
if(VD_SANITIZE)
  # The libFuzzer targets are clang ASan+UBSan builds already, run by the
  # normal build's suite: the sanitized pass (./setup.sh test-sanitize)
  # need not build them again.
  set(vd_fuzz_skip "VD_SANITIZE: the fuzz targets are sanitized builds run by ./setup.sh test")
elseif(NOT VD_CLANG)
  set(vd_fuzz_skip "clang not found (Debian: apt-get install clang libclang-rt-14-dev)")
else()
  # -fsanitize=fuzzer links libclang_rt.fuzzer, a separate Debian package.
  set(probe ${CMAKE_BINARY_DIR}/CMakeFiles/vd_fuzz_probe)
  file(WRITE ${probe}.c
    "#include <stddef.h>\nint LLVMFuzzerTestOneInput(const unsigned char *d, size_t n)\n{ (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND ${VD_CLANG} -fsanitize=fuzzer,address,undefined ${probe}.c -o ${probe}
    RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT probe_rc EQUAL 0)
    set(vd_fuzz_skip "${VD_CLANG} cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-14-dev)")
  endif()
endif()

# target name -> dictionary
set(vd_fuzz_app config:yaml card:card http:http image:image reader:reader)
set(vd_fuzz_names fuzz_nn_load fuzz_npy)
foreach(t ${vd_fuzz_app})
  string(REGEX REPLACE ":.*" "" n ${t})
  list(APPEND vd_fuzz_names fuzz_${n})
  if(EXISTS ${vd_fuzz_dir}/regress/${n})
    list(APPEND vd_fuzz_names fuzz_regress_${n})
  endif()
endforeach()
if(vd_fuzz_skip)
  message(STATUS "fuzz tests will be skipped: ${vd_fuzz_skip}")
  foreach(t ${vd_fuzz_names})
    add_test(NAME ${t} COMMAND sh -c "echo 'skipped: ${vd_fuzz_skip}'; exit 77")
    set_tests_properties(${t} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
  return()
endif()

include(ExternalProject)
set(VD_FUZZ_BIN ${CMAKE_BINARY_DIR}/tests/fuzz)
ExternalProject_Add(vd_fuzz
  SOURCE_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz
  BINARY_DIR ${VD_FUZZ_BIN}
  CMAKE_ARGS -DCMAKE_C_COMPILER=${VD_CLANG} -DVD_ROOT=${CMAKE_SOURCE_DIR}
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
  BUILD_ALWAYS ON # its sources are the engine's: let its own make decide
  INSTALL_COMMAND ""
  BUILD_BYPRODUCTS ${VD_FUZZ_BIN}/fuzz_nn_load ${VD_FUZZ_BIN}/fuzz_npy ${VD_FUZZ_BIN}/fuzz_config
    ${VD_FUZZ_BIN}/fuzz_card ${VD_FUZZ_BIN}/fuzz_http ${VD_FUZZ_BIN}/fuzz_image
    ${VD_FUZZ_BIN}/fuzz_reader)

set(vd_fuzz_seeds ${CMAKE_BINARY_DIR}/tests/fuzz_seeds)
add_test(NAME fuzz_seeds
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/fuzz/make_seeds.py ${vd_fuzz_seeds}
    --source ${CMAKE_SOURCE_DIR} --deps ${VD_DEPS_DIR} --node-dir ${VD_ONNX_NODE_DIR})
set_tests_properties(fuzz_seeds PROPERTIES FIXTURES_SETUP vd_fuzz_seeds TIMEOUT 120)

set(vd_run_fuzz ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh)
add_test(NAME fuzz_nn_load
  COMMAND ${vd_run_fuzz} ${VD_FUZZ_BIN}/fuzz_nn_load ${vd_fuzz_seeds}/nn
    ${CMAKE_SOURCE_DIR}/tests/fuzz/onnx.dict ${VD_FUZZ_RUNS_NN} ${VD_FUZZ_BIN}/run_nn_load)
add_test(NAME fuzz_npy
  COMMAND ${vd_run_fuzz} ${VD_FUZZ_BIN}/fuzz_npy ${vd_fuzz_seeds}/npy
    ${CMAKE_SOURCE_DIR}/tests/fuzz/npy.dict ${VD_FUZZ_RUNS_NPY} ${VD_FUZZ_BIN}/run_npy)
set_tests_properties(fuzz_nn_load fuzz_npy PROPERTIES
  FIXTURES_REQUIRED vd_fuzz_seeds TIMEOUT 660)

foreach(t ${vd_fuzz_app})
  string(REGEX REPLACE ":.*" "" n ${t})
  string(REGEX REPLACE ".*:" "" dict ${t})
  string(TOUPPER ${n} N)
  add_test(NAME fuzz_${n}
    COMMAND ${vd_run_fuzz} ${VD_FUZZ_BIN}/fuzz_${n} ${vd_fuzz_dir}/seeds/${n}
      ${vd_fuzz_dir}/${dict}.dict ${VD_FUZZ_RUNS_${N}} ${VD_FUZZ_BIN}/run_${n})
  set_tests_properties(fuzz_${n} PROPERTIES TIMEOUT 660)
  file(GLOB found CONFIGURE_DEPENDS ${vd_fuzz_dir}/regress/${n}/*)
  if(found)
    # each input once, under the sanitizers (libFuzzer runs the files given)
    add_test(NAME fuzz_regress_${n} COMMAND ${VD_FUZZ_BIN}/fuzz_${n} ${found})
    set_tests_properties(fuzz_regress_${n} PROPERTIES TIMEOUT 120
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=1024")
  endif()
endforeach()
