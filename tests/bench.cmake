# `cromss bench` smoke test: a tiny CPU run writes its JSON with every key that
# tools/pytorch_baseline.py also writes (bench/gpu_check.sh compares the two), plus the host
# syncs, dispatches and --profile_ops table per step, run with --branch_streams and
# --conv_bn_fusion (no-ops on the CPU) and --channels_last (the network in nhwc); the three flags
# reach the JSON. No timing assertion. Included by
# tests/CMakeLists.txt it registers the test; run as a script
# (cmake -DCROMSS=... -DOUT=... -P tests/bench.cmake) it is the test.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  add_test(NAME bench.step_json
           COMMAND ${CMAKE_COMMAND} -DCROMSS=$<TARGET_FILE:cromss>
                   -DOUT=${CMAKE_BINARY_DIR}/bench_step_test.json -P ${CMAKE_CURRENT_LIST_FILE}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(bench.step_json PROPERTIES LABELS cpu TIMEOUT 600)
  # bench/onednn_profile.py on two executions of one convolution (102.76 MFLOP each, 2.74 +
  # 2.0 ms: 43.3 GFLOP/s by hand) and a reorder, with a non-oneDNN line in between.
  # --cuda_graph: the step captured after the warm-up and its replays timed (the CPU replays the
  # recorded kernel calls; core/graph_capture.h), with no host sync.
  add_test(NAME bench.cuda_graph
           COMMAND $<TARGET_FILE:cromss> bench --model_type resnet18 --crop_size 32 --batch_size 2
                   --steps 2 --warmup 1 --device cpu --cuda_graph)
  set_tests_properties(
    bench.cuda_graph
    PROPERTIES LABELS cpu TIMEOUT 300 PASS_REGULAR_EXPRESSION
               "graph +timed steps replay the captured step.*host syncs +0\\.0 per step")
  find_program(CROMSS_PYTHON3 python3 REQUIRED)
  add_test(NAME bench.onednn_profile
           COMMAND ${CROMSS_PYTHON3} ${PROJECT_SOURCE_DIR}/bench/onednn_profile.py
                   ${PROJECT_SOURCE_DIR}/tests/fixtures/onednn_verbose_sample.txt --steps 2)
  set_tests_properties(
    bench.onednn_profile
    PROPERTIES LABELS cpu PASS_REGULAR_EXPRESSION
               "oneDNN time per step: 2\\.6 ms.*0\\.10 GFLOP/step in 2\\.4 ms/step = 43\\.3 GFLOP/s")
  # bench/e2e_table.py on hand-made gpu_check.sh JSONs (tests/fixtures/e2e_table, batch 128 bf16):
  # PyTorch eager channels_last 480 ms against --channels_last --conv_bn_fusion 400 ms (1.20) and
  # with --cuda_graph 375 ms (1.28); the fusion 440 / 400 = 1.10x over --channels_last, and no
  # --channels_last --cuda_graph run to compare its graph run with.
  add_test(NAME bench.e2e_table
           COMMAND ${CROMSS_PYTHON3} ${PROJECT_SOURCE_DIR}/bench/e2e_table.py
                   ${PROJECT_SOURCE_DIR}/tests/fixtures/e2e_table)
  set_tests_properties(
    bench.e2e_table
    PROPERTIES
      LABELS cpu PASS_REGULAR_EXPRESSION
      "--conv_bn_fusion +400\\.00 .* 1\\.20\n.*--conv_bn_fusion --cuda_graph +375\\.00 .* 1\\.28\n.*--conv_bn_fusion: 1\\.10x over --channels_last, - \\(no --channels_last --cuda_graph run\\)"
  )
  return()
endif()

file(REMOVE ${OUT})
execute_process(
  COMMAND ${CROMSS} bench --model_type resnet18 --crop_size 64 --batch_size 2 --steps 2 --warmup 1
          --device cpu --profile_ops --print_conv_algos --branch_streams --channels_last
          --conv_bn_fusion --json ${OUT}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cromss bench exited with ${rc}")
endif()
file(READ ${OUT} json)
foreach(
  key
  tool
  model_type
  fusion_type
  batch_size
  crop_size
  device
  precision
  steps
  ms_per_step_median
  ms_per_step_mean
  pairs_per_s
  gflop_per_step
  tflops
  mfu
  parameters
  peak_memory_mib
  host_syncs_per_step
  dispatches_per_step
  op_profile
  conv_algos)
  string(JSON value ERROR_VARIABLE err GET "${json}" ${key})
  if(err)
    message(FATAL_ERROR "${OUT}: key '${key}' missing: ${err}")
  endif()
endforeach()
string(JSON branch_streams GET "${json}" branch_streams)
if(NOT branch_streams STREQUAL "ON")
  message(FATAL_ERROR "${OUT}: branch_streams is '${branch_streams}', expected on (--branch_streams)")
endif()
string(JSON channels_last GET "${json}" channels_last)
if(NOT channels_last STREQUAL "ON")
  message(FATAL_ERROR "${OUT}: channels_last is '${channels_last}', expected on (--channels_last)")
endif()
string(JSON conv_bn_fusion GET "${json}" conv_bn_fusion)
if(NOT conv_bn_fusion STREQUAL "ON")
  message(FATAL_ERROR "${OUT}: conv_bn_fusion is '${conv_bn_fusion}', expected on (--conv_bn_fusion)")
endif()
string(JSON ms GET "${json}" ms_per_step_median)
if(ms LESS_EQUAL 0)
  message(FATAL_ERROR "${OUT}: ms_per_step_median ${ms} is not positive")
endif()
string(JSON dispatches GET "${json}" dispatches_per_step)
if(dispatches LESS_EQUAL 0)
  message(FATAL_ERROR "${OUT}: dispatches_per_step ${dispatches} is not positive")
endif()
string(JSON syncs GET "${json}" host_syncs_per_step)
if(NOT syncs EQUAL 0)
  message(FATAL_ERROR "${OUT}: host_syncs_per_step ${syncs}: the CPU step has no device to wait for")
endif()
string(JSON n_ops LENGTH "${json}" op_profile ops)
if(n_ops LESS 5)
  message(FATAL_ERROR "${OUT}: op_profile.ops has ${n_ops} op types; a ResNet step has more")
endif()
# The table's op types add up to the step's dispatches (each profiled step dispatches the same).
string(JSON steps GET "${json}" op_profile steps)
set(calls 0)
math(EXPR last "${n_ops} - 1")
foreach(i RANGE ${last})
  string(JSON op_calls GET "${json}" op_profile ops ${i} calls)
  math(EXPR calls "${calls} + ${op_calls}")
endforeach()
math(EXPR expected "${dispatches} * ${steps}")
if(NOT calls EQUAL expected)
  message(FATAL_ERROR "${OUT}: op_profile calls add up to ${calls}, not ${steps} x ${dispatches}")
endif()
