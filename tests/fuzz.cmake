# fuzz.cmake -- libFuzzer targets for the ONNX loader and the .npy reader
# (tests/fuzz/), built with clang by their own CMake project
# (tests/fuzz/CMakeLists.txt via ExternalProject: the main build uses gcc,
# libFuzzer needs clang) and run as bounded ctest sessions on a seed corpus
# made at test time (tests/fuzz/make_seeds.py). Without clang or its
# libFuzzer runtime (Debian: clang + libclang-rt-14-dev), the fuzz tests
# are still listed and report "skipped" with the reason.
# Inputs each ctest session runs, from seed 1 (tests/fuzz/run_fuzz.sh):
# deterministic, so CI checks the tree rather than its luck; about 2 min
# and 15 s on 2 cores. Longer, exploring campaigns: docs/nn-fuzz.md.
set(VD_FUZZ_RUNS_NN 50000 CACHE STRING "inputs fuzz_nn_load runs under ctest")
set(VD_FUZZ_RUNS_NPY 3000000 CACHE STRING "inputs fuzz_npy runs under ctest")
find_program(VD_CLANG NAMES clang-14 clang)

set(vd_fuzz_skip "")
if(NOT VD_CLANG)
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

set(vd_fuzz_names fuzz_nn_load fuzz_npy)
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
  BUILD_BYPRODUCTS ${VD_FUZZ_BIN}/fuzz_nn_load ${VD_FUZZ_BIN}/fuzz_npy)

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
