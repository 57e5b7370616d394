# End-to-end test of `cromss finetune` (tests/finetune/finetune_test.sh): pretrain -> finetune ->
# evaluate -> predict on tiny synthetic data and the real Sen1Floods11 chip, and a bit-exact
# --resume. cromss_class_map_check checks predict's GeoTIFF with GDAL (the predict step is skipped
# in a -DCROMSS_GDAL=OFF build, where predict cannot read GeoTIFFs).
if(CROMSS_GDAL)
  add_executable(cromss_class_map_check ${CMAKE_CURRENT_SOURCE_DIR}/finetune/check_class_map.cpp)
  target_link_libraries(cromss_class_map_check PRIVATE cromss_data)
  set(_class_map_check $<TARGET_FILE:cromss_class_map_check>)
else()
  set(_class_map_check none)
endif()
add_test(NAME finetune_end_to_end
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/finetune/finetune_test.sh $<TARGET_FILE:cromss>
                 $<TARGET_FILE:cromss_ckpt_compare> ${CMAKE_BINARY_DIR}/finetune_test
                 ${_class_map_check} ${CMAKE_SOURCE_DIR}/tests/fixtures/sen1floods11)
set_tests_properties(finetune_end_to_end PROPERTIES LABELS "cpu;finetune" TIMEOUT 120)
