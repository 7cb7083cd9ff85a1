# Integration tests of `visiond probe`/`visiond frames` against the ffmpeg
# CLI's -f framemd5 (tests/reader_cli.py): the opencv-doc sample videos
# (vtest.avi: msmpeg4 in AVI; Megamind.avi: mpeg4 with packed B-frames and
# frames without pts) and clips the script encodes with the ffmpeg CLI.
add_test(NAME reader_cli_opencv_samples
  COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/reader_cli.py
          $<TARGET_FILE:visiond> ${VD_FFMPEG}
          ${VD_OPENCV_DATA}/vtest.avi ${VD_OPENCV_DATA}/Megamind.avi)
add_test(NAME reader_cli_generated
  COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/reader_cli.py
          $<TARGET_FILE:visiond> ${VD_FFMPEG} --gen ${CMAKE_CURRENT_BINARY_DIR}/clips/cli)
set_tests_properties(reader_cli_opencv_samples reader_cli_generated PROPERTIES TIMEOUT 300)
# `visiond clips` against torchvision's VideoClips index arithmetic,
# reimplemented in the script (tests/reader_clips.py); clips decoded = framemd5.
add_test(NAME reader_clips
  COMMAND ${VD_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/reader_clips.py
          $<TARGET_FILE:visiond> ${VD_FFMPEG} ${CMAKE_CURRENT_BINARY_DIR}/clips/videoclips)
set_tests_properties(reader_clips PROPERTIES TIMEOUT 300)
