# valgrind.cmake -- `visiond serve` under valgrind's memcheck
# (tests/valgrind_serve.py): a start, the BlazeFace model load, two streams of
# a 2 s clip (one through the model to its end, one a looping camera), a round
# of API requests (health, streams, models, stats, /metrics, detections,
# events, a snapshot, DeepStack and native detection POSTs with a JPEG, a bad
# image, a 404) and a SIGTERM stop must give no memcheck error and no
# definitely-lost block (suppressions: tests/sanitizers/valgrind.supp). About
# 1.5 min on 2 idle cores (an inference costs ~15 s under memcheck); the limit
# leaves room for a loaded machine. Runs in the normal build only: valgrind
# cannot run an ASan binary, so under VD_SANITIZE it reports "skipped".
if(VD_SANITIZE)
  add_test(NAME valgrind_serve
    COMMAND sh -c "echo 'skipped: valgrind cannot run an ASan build (the normal build runs it)'; exit 77")
else()
  add_test(NAME valgrind_serve
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/valgrind_serve.py
            $<TARGET_FILE:visiond> ${VD_FFMPEG} ${CMAKE_SOURCE_DIR} ${VD_OPENCV_DATA})
  set_tests_properties(valgrind_serve PROPERTIES TIMEOUT 420)
endif()
set_tests_properties(valgrind_serve PROPERTIES SKIP_RETURN_CODE 77)
