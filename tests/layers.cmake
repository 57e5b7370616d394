# Layer gate: no folder includes a header of a higher layer folder (tests/check_layers.sh).
add_test(NAME layer_include_order COMMAND bash ${CMAKE_SOURCE_DIR}/tests/check_layers.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(layer_include_order PROPERTIES LABELS cpu)
