# nn_residual_add.cmake -- Conv + residual Add (+Relu) fusion, same-shape and
# broadcasting residual, through `visiond nn run` against numpy
# (tests/nn_residual_add.py).
add_test(NAME nn_residual_add
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nn_residual_add.py $<TARGET_FILE:visiond>
    ${CMAKE_BINARY_DIR}/tests/nn_residual_add)
set_tests_properties(nn_residual_add PROPERTIES TIMEOUT 60)
