# `cromss objective` as a command: run the built CLI on a committed fixture (default flags, epoch
# 40 of the numpy reference), compare its output with the reference, and check the errors for a
# missing dataset and for out-of-range labels. Needs the `cromss` target built.
set(_obj_fixture ${CMAKE_SOURCE_DIR}/tests/fixtures/objective_default_e40.h5)
set(_obj_out ${CMAKE_BINARY_DIR}/objective_cli_default_e40.h5)
add_test(NAME objective_cli_run
         COMMAND $<TARGET_FILE:cromss> objective --input ${_obj_fixture} --output ${_obj_out}
                 --epoch 40)
set_tests_properties(objective_cli_run PROPERTIES FIXTURES_SETUP objective_cli LABELS cpu)
add_test(NAME objective_cli_compare
         COMMAND cromss_cpu_apps_tests --gtest_filter=ObjectiveCliOutput.*)
set_tests_properties(objective_cli_compare PROPERTIES FIXTURES_REQUIRED objective_cli LABELS cpu
  ENVIRONMENT "CROMSS_OBJECTIVE_CLI_OUTPUT=${_obj_out};CROMSS_OBJECTIVE_CLI_FIXTURE=${_obj_fixture}")
# Prior smoothing without a prior or seasonal labels: a clear error naming the datasets.
add_test(NAME objective_cli_missing_prior
         COMMAND $<TARGET_FILE:cromss> objective
                 --input ${CMAKE_SOURCE_DIR}/tests/fixtures/objective_validation.h5
                 --output ${CMAKE_BINARY_DIR}/objective_cli_missing.h5 --epoch 0)
set_tests_properties(objective_cli_missing_prior PROPERTIES LABELS cpu
  PASS_REGULAR_EXPRESSION "needs dataset 'prior'.*labels_seasons")
