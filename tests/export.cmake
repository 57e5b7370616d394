# `cromss export` / `cromss info --ckpt` checked by Python's safetensors package and torch.load
# (weights_only=True); parts whose package is absent are skipped with a message, the whole test
# (exit 77) without h5py/numpy.
find_program(CROMSS_EXPORT_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(CROMSS_EXPORT_PYTHON)
  add_test(NAME models.export_safetensors_pt
           COMMAND ${CROMSS_EXPORT_PYTHON} ${CMAKE_SOURCE_DIR}/tests/cpu/export_test.py
                   $<TARGET_FILE:cromss>
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(models.export_safetensors_pt PROPERTIES SKIP_RETURN_CODE 77 LABELS cpu
                       TIMEOUT 120)
  # The exported branches load strictly into smp.Unet and reproduce the fusion net's logits.
  add_test(NAME models.export_smp_unet
           COMMAND ${CROMSS_EXPORT_PYTHON} ${CMAKE_SOURCE_DIR}/tests/cpu/export_smp_test.py
                   $<TARGET_FILE:cromss>
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(models.export_smp_unet PROPERTIES SKIP_RETURN_CODE 77 LABELS cpu
                       TIMEOUT 120)
endif()
