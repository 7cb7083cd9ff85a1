# rtsp.cmake -- `visiond probe`/`visiond frames` against a real RTSP server on
# loopback (tests/rtsp_live.py): Debian's rtsp-server-perl, fed by the ffmpeg
# CLI (testsrc2 320x240 H.264 at 25 fps over UDP). Each test starts its own
# server on free 127.0.0.1 ports, so they may run in parallel; each takes
# 1-7 s. They skip (exit 77) only when rtsp-server-perl is not installed
# (`setup.sh test` installs it).
foreach(mode probe frames-udp frames-tcp lost-kill lost-stop not-published)
  add_test(NAME rtsp_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/rtsp_live.py
            $<TARGET_FILE:visiond> ${VD_FFMPEG} ${mode})
  set_tests_properties(rtsp_${mode} PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
