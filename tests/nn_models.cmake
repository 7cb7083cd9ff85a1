# nn_models.cmake -- whole models through `visiond nn run` vs onnxruntime-node.
# nn_models_generate builds the export-like graphs (tests/nn_ref/make_models.py,
# seeded) into the build dir; each nn_model_* test then runs one model on the
# same random .npy inputs in visiond and in onnxruntime and compares every
# output within 1e-3 abs + 1e-3 rel (tests/nn_ref/check_models.py).
find_program(VD_NODE node)
set(VD_NN_MODELS_DIR ${CMAKE_BINARY_DIR}/tests/nn_models)
set(VD_ORT_NODE_PATH ${VD_DEPS_DIR}/npm/node_modules/onnxruntime-node)

add_test(NAME nn_models_generate
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nn_ref/make_models.py ${VD_NN_MODELS_DIR})
set_tests_properties(nn_models_generate PROPERTIES FIXTURES_SETUP nn_models TIMEOUT 120)

# opset18_ops .. opset20_ops: every op whose ONNX definition changed in opsets
# 18-20, in its new form (docs/nn-opsets.md); refuse_*: load-time refusals;
# fuse_gelu_mish: decomposed Gelu/Mish run as single ops (and match).
foreach(m yolov5n_like yolov8n_like yolo11n_like resnet_like mobilenetv3_like ssdlite_like
          act_gelu_mish fuse_gelu_mish opset18_ops opset19_ops opset20_ops topk_centernet
          yolov8n_full
          refuse_resize_antialias refuse_pad_wrap_18 refuse_scatter_max_17 refuse_opset_21
          blazeface_front blazeface_back)
  add_test(NAME nn_model_${m}
    COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nn_ref/check_models.py
      --visiond $<TARGET_FILE:visiond> --node ${VD_NODE}
      --models ${VD_NN_MODELS_DIR} --deps ${VD_DEPS_DIR} ${m})
  set_tests_properties(nn_model_${m} PROPERTIES FIXTURES_REQUIRED nn_models TIMEOUT 300
    ENVIRONMENT "ORT_NODE_PATH=${VD_ORT_NODE_PATH}" SKIP_RETURN_CODE 77)
endforeach()

# TopK on int64/int32/uint8/float64 (NaN, signed zeros, ties) against numpy:
# dtypes onnxruntime-node's bindings do not cover the same way.
add_test(NAME nn_topk_dtypes
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nn_ref/check_topk.py
    --visiond $<TARGET_FILE:visiond> --work ${VD_NN_MODELS_DIR}/topk_dtypes)
set_tests_properties(nn_topk_dtypes PROPERTIES TIMEOUT 120)
