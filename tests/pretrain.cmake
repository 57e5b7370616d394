# End-to-end tests of `cromss pretrain` (tests/pretrain/pretrain_test.sh): bit-exact resume,
# SIGTERM checkpoint, model variants, the prior built in the step, --branch_streams, --cuda_graph,
# 2-rank MPI vs gradient accumulation. cromss_ckpt_compare compares two checkpoints dataset by
# dataset.
add_executable(cromss_ckpt_compare ${CMAKE_CURRENT_SOURCE_DIR}/pretrain/compare_checkpoints.cpp)
target_link_libraries(cromss_ckpt_compare PRIVATE cromss_engine)
foreach(case resume sigterm variants prior streams graph mpi)
  add_test(NAME pretrain_${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/pretrain/pretrain_test.sh ${case}
                   $<TARGET_FILE:cromss> $<TARGET_FILE:cromss_ckpt_compare>
                   ${CMAKE_BINARY_DIR}/pretrain_test_${case} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(pretrain_${case} PROPERTIES LABELS "cpu;pretrain" TIMEOUT 180)
endforeach()
set_tests_properties(pretrain_mpi PROPERTIES LABELS "cpu;pretrain;mpi")
# An ambiguous flag prefix is an error listing the candidates, as argparse's (not a crash).
add_test(NAME pretrain_cli_ambiguous_flag
         COMMAND $<TARGET_FILE:cromss> pretrain --data /nonexistent)
set_tests_properties(pretrain_cli_ambiguous_flag PROPERTIES LABELS cpu
  PASS_REGULAR_EXPRESSION "cromss: error: .*ambiguous option: --data could match --data_path")
