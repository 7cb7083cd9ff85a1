# daemon_faults.cmake -- faults injected into the real `visiond serve`
# (tests/daemon_faults.py, helpers in tests/daemon_lib.py): a camera that
# refuses connections for VD_FAULT_REFUSE_SECONDS (backoff, CPU, log lines,
# recovery on rtsp-server-perl), corrupt and truncated files, a full disk
# (a tmpfs it mounts, skipped where mounting is not allowed; and
# RLIMIT_FSIZE through prlimit --pid, which works everywhere), and
# VD_FAULT_KILL_ROUNDS rounds of kill -9 during writes (seed printed).
# Wall times on the 2-core dev machine: refuse = the seconds + ~30 s (the
# daemon is idle meanwhile, so it overlaps the rest under ctest -j2);
# corrupt/truncated ~6 s; diskfull ~10 s each; kill9 ~2 min at 20 rounds.
set(VD_FAULT_REFUSE_SECONDS 300 CACHE STRING
    "daemon_faults_refuse: seconds a camera refuses connections")
set(VD_FAULT_KILL_ROUNDS 20 CACHE STRING "daemon_faults_kill9: kill -9 rounds (>= 20)")
foreach(mode refuse corrupt truncated diskfull-tmpfs diskfull-fsize kill9)
  set(arg "")
  set(limit 120)
  if(mode STREQUAL "refuse")
    set(arg ${VD_FAULT_REFUSE_SECONDS})
    math(EXPR limit "${VD_FAULT_REFUSE_SECONDS} + 180")
  elseif(mode STREQUAL "kill9")
    set(arg ${VD_FAULT_KILL_ROUNDS})
    math(EXPR limit "${VD_FAULT_KILL_ROUNDS} * 15 + 60")
  endif()
  add_test(NAME daemon_faults_${mode}
    COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/daemon_faults.py
            $<TARGET_FILE:visiond> ${VD_FFMPEG} ${CMAKE_SOURCE_DIR} ${VD_OPENCV_DATA} ${mode} ${arg})
  set_tests_properties(daemon_faults_${mode} PROPERTIES TIMEOUT ${limit} SKIP_RETURN_CODE 77)
endforeach()
