# daemon_load.cmake -- the real `visiond serve` under load (tests/daemon_load.py,
# helpers in tests/daemon_lib.py), issue 13 §3: 100 parallel API clients
# during SIGHUP reloads and stream add/remove (40 s of load, ~60 s in all),
# and a model's files replaced on disk while streams use it (~30 s). Each
# test starts its own daemon on a free port with a temp state dir.
foreach(mode clients model)
  add_test(NAME daemon_load_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/daemon_load.py
            $<TARGET_FILE:visiond> ${VD_FFMPEG} ${CMAKE_SOURCE_DIR} ${VD_OPENCV_DATA} ${mode})
  set_tests_properties(daemon_load_${mode} PROPERTIES TIMEOUT 180)
endforeach()
