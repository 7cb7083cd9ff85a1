# daemon_runtime.cmake -- the real `visiond serve` over real HTTP on
# loopback (tests/daemon_runtime.py, helpers in tests/daemon_lib.py): the
# CLI and the daemon agree on a clip, RTSP reconnects with backoff (Debian's
# rtsp-server-perl, published by the ffmpeg CLI over UDP), restart and
# kill -9 persistence, SIGHUP reload, detect on/off, sd_notify,
# back-pressure. Each test starts its own
# daemon on a free port with a temp state dir, so they may run in parallel.
foreach(mode clip batch rtsp restart kill9 reload notify pressure silent)
  add_test(NAME daemon_runtime_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/daemon_runtime.py
            $<TARGET_FILE:visiond> ${VD_FFMPEG} ${CMAKE_SOURCE_DIR} ${VD_OPENCV_DATA} ${mode})
  set_tests_properties(daemon_runtime_${mode} PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77)
endforeach()
