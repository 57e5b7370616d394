# Fault tests of docs/reliability.md (issue 11): tests/reliability/reliability_test.sh plants one
# fault per case in real LMDB/HDF5 files or processes and checks the named error or recovery.
# cromss_fault_tool writes the faults (a NaN weight, a broken LMDB record) and counts NaN/Inf.
add_executable(cromss_fault_tool ${CMAKE_CURRENT_SOURCE_DIR}/reliability/fault_tool.cpp)
target_link_libraries(cromss_fault_tool PRIVATE cromss_data)
foreach(case lmdb_truncated nan_checkpoint nan_loss run_dir full_disk metrics validation skip_bad
        resume_flags corrupt_last slurm_requeue small)
  add_test(NAME reliability_${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/reliability/reliability_test.sh ${case}
                   $<TARGET_FILE:cromss> $<TARGET_FILE:cromss_fault_tool>
                   ${CMAKE_BINARY_DIR}/reliability_test_${case})
  set_tests_properties(reliability_${case} PROPERTIES LABELS "cpu;reliability" TIMEOUT 180)
endforeach()
