# End-to-end test of `cromss finetune` (tests/finetune/finetune_test.sh): pretrain -> finetune ->
# evaluate on tiny synthetic data, and a bit-exact --resume.
add_test(NAME finetune_end_to_end
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/finetune/finetune_test.sh $<TARGET_FILE:cromss>
                 $<TARGET_FILE:cromss_ckpt_compare> ${CMAKE_BINARY_DIR}/finetune_test)
set_tests_properties(finetune_end_to_end PROPERTIES LABELS "cpu;finetune" TIMEOUT 120)
