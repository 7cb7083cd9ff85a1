# image_damage.cmake -- still images with one flipped byte against the ffmpeg
# CLI and PIL, through `visiond detect` and the daemon's detection endpoints
# (tests/image_damage.py; issue #13 §3). ~70 copies of messi5.jpg, ~150
# processes: ~30 s on 2 idle cores, 2 min 10 s seen at a load average of
# 20; TIMEOUT 400. Skipped (77) without the BlazeFace model.
add_test(NAME image_damage_flips
  COMMAND ${VD_PYTHON} ${CMAKE_SOURCE_DIR}/tests/image_damage.py $<TARGET_FILE:visiond>
    ${CMAKE_SOURCE_DIR} ${VD_OPENCV_DATA}/messi5.jpg)
set_tests_properties(image_damage_flips PROPERTIES TIMEOUT 400 SKIP_RETURN_CODE 77
  ENVIRONMENT "FFMPEG=${VD_FFMPEG}")
