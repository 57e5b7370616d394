# Style gate: every tracked C++/CUDA source is clang-formatted (skipped without clang-format).
find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  add_test(NAME clang_format COMMAND bash ${CMAKE_SOURCE_DIR}/tests/check_format.sh ${CMAKE_SOURCE_DIR})
  set_tests_properties(clang_format PROPERTIES LABELS cpu)
endif()
