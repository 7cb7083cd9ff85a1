# console.cmake -- the web console in headless Chromium and Firefox ESR (puppeteer-core from
# setup.sh's npm folder) against a real `visiond serve` with a token:
# tests/console/run_console.py starts the daemon on a generated clip, checks
# the console's headers, and runs tests/console/console_test.mjs.
find_program(VD_CHROMIUM chromium)
find_program(VD_FIREFOX firefox-esr)
add_test(NAME console_browser
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/console/run_console.py
    $<TARGET_FILE:visiond> ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/tests/console_run)
set_tests_properties(console_browser PROPERTIES TIMEOUT 300
  ENVIRONMENT "VD_NPM_DIR=${VD_DEPS_DIR}/npm;FFMPEG=${VD_FFMPEG};VD_OPENCV_DATA=${VD_OPENCV_DATA};CHROMIUM=${VD_CHROMIUM};FIREFOX=${VD_FIREFOX}")
