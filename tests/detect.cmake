# detect.cmake -- `visiond detect` on real data (tests/detect_ref/check_detect.py):
# BlazeFace on messi5.jpg and Megamind.avi against hand-marked face regions,
# motion regions on vtest.avi against hand-marked walkers and static areas,
# the light-switch guard on vtest.avi brightened at 3 s,
# tracker ids of a hand-marked walker across 31 sampled frames, CLI errors,
# BlazeFace boxes/keypoints vs onnxruntime + a Python decode,
# and the YOLO example cards on the YOLO-like graphs of tests/nn_ref/make_models.py
# with the decode recomputed in numpy.
set(VD_DETECT_CHECK ${CMAKE_SOURCE_DIR}/tests/detect_ref/check_detect.py)
set(VD_DETECT_MODELS ${CMAKE_BINARY_DIR}/tests/detect_models)

foreach(mode faces-messi faces-megamind-back faces-megamind-front faces-megamind-crop
             motion-vtest motion-lights track-vtest cli-errors)
  add_test(NAME detect_${mode}
    COMMAND ${VD_PYTHON} ${VD_DETECT_CHECK} $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR}
      ${VD_OPENCV_DATA} ${mode})
  set_tests_properties(detect_${mode} PROPERTIES TIMEOUT 300 ENVIRONMENT "FFMPEG=${VD_FFMPEG}")
endforeach()

add_test(NAME detect_models_generate
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nn_ref/make_models.py ${VD_DETECT_MODELS}
    --only yolov8n_like,yolov5n_like)
set_tests_properties(detect_models_generate PROPERTIES FIXTURES_SETUP detect_models TIMEOUT 120)
find_program(VD_NODE node)
add_test(NAME detect_blazeface-ort
  COMMAND ${VD_PYTHON} ${VD_DETECT_CHECK} $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR}
    ${VD_OPENCV_DATA} blazeface-ort ${VD_NODE})
set_tests_properties(detect_blazeface-ort PROPERTIES TIMEOUT 300
  ENVIRONMENT "ORT_NODE_PATH=${VD_DEPS_DIR}/npm/node_modules/onnxruntime-node;FFMPEG=${VD_FFMPEG}")

foreach(mode yolov8-ref yolov5-ref)
  add_test(NAME detect_${mode}
    COMMAND ${VD_PYTHON} ${VD_DETECT_CHECK} $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR}
      ${VD_OPENCV_DATA} ${mode} ${VD_DETECT_MODELS})
  set_tests_properties(detect_${mode} PROPERTIES FIXTURES_REQUIRED detect_models TIMEOUT 300)
endforeach()
