# `cromss data ingest --list` as a command, on the committed Sen1Floods11 chip (4 tiles of 64)
# and a scene whose S1 file does not exist: the summary counts both, names the missing file, and
# the run exits 1; a second run of the same list finds the chip already done (resume record).
if(CROMSS_GDAL)
  set(_chip ${CMAKE_SOURCE_DIR}/tests/fixtures/sen1floods11/Spain_7370579_)
  set(_ingest_dir ${CMAKE_BINARY_DIR}/ingest_cli)
  file(WRITE ${CMAKE_BINARY_DIR}/ingest_cli_list.txt
       "${_chip}S1Hand.tif ${_chip}S2Hand.tif ${_chip}LabelHand.tif\n"
       "missing_S1.tif ${_chip}S2Hand.tif ${_chip}LabelHand.tif\n")
  set(_ingest_cmd $<TARGET_FILE:cromss> data ingest --list ${CMAKE_BINARY_DIR}/ingest_cli_list.txt
                  --out ${_ingest_dir} --format DW --tile 64 --label_map -1:ignore,0:0,1:1)
  add_test(NAME ingest_cli_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${_ingest_dir})
  set_tests_properties(ingest_cli_clean PROPERTIES FIXTURES_SETUP ingest_cli_clean LABELS cpu)
  add_test(NAME ingest_cli_list COMMAND ${_ingest_cmd})
  set_tests_properties(ingest_cli_list PROPERTIES FIXTURES_REQUIRED ingest_cli_clean
    FIXTURES_SETUP ingest_cli_list LABELS cpu WILL_FAIL TRUE)
  add_test(NAME ingest_cli_list_summary COMMAND ${_ingest_cmd})
  set_tests_properties(ingest_cli_list_summary PROPERTIES FIXTURES_REQUIRED ingest_cli_list
    LABELS cpu PASS_REGULAR_EXPRESSION
    "keys 0..3 \\(this run: none\\).*scenes: 2 listed, 0 ingested, 1 already done, 1 refused.*missing_S1.tif: .*GDAL cannot open it")
endif()
