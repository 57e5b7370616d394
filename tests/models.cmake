# Models: tools/convert_ckpt.py round trip (.ckpt -> .h5 -> .ckpt bit-exact, --encoder-only) and
# `cromss forward` on a converted smp checkpoint against PyTorch's logits. Needs /usr/bin/python3
# with torch and h5py (smp for the forward check); skips (exit 77) otherwise.
find_program(CROMSS_SYSTEM_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(CROMSS_SYSTEM_PYTHON)
  add_test(NAME models.convert_ckpt_roundtrip
           COMMAND ${CROMSS_SYSTEM_PYTHON} ${CMAKE_SOURCE_DIR}/tests/cpu/checkpoint_convert_test.py
                   $<TARGET_FILE:cromss>
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(models.convert_ckpt_roundtrip PROPERTIES SKIP_RETURN_CODE 77 LABELS cpu
                       TIMEOUT 600)
endif()
