# libFuzzer target for the pickle-subset parser, built with clang (-fsanitize=fuzzer,address,
# undefined) outside the main toolchain; only added when clang++ is found. The ctest runs a short
# bounded fuzzing session seeded with CPython-written records and two torch.save data.pkl files
# (tests/fuzz/pickle_corpus; both pickle dialects run on every input).
find_program(CROMSS_CLANGXX NAMES clang++-14 clang++)
if(CROMSS_CLANGXX)
  set(_fuzz_bin ${CMAKE_BINARY_DIR}/tests/pickle_fuzz)
  set(_fuzz_src ${CMAKE_SOURCE_DIR}/tests/fuzz/pickle_fuzz.cpp ${CMAKE_SOURCE_DIR}/data/pickle_reader.cpp
                ${CMAKE_SOURCE_DIR}/core/error.cpp)
  add_custom_command(
    OUTPUT ${_fuzz_bin}
    COMMAND ${CROMSS_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
            -I${CMAKE_SOURCE_DIR} -I${CMAKE_BINARY_DIR}/generated ${_fuzz_src} -lfmt -o ${_fuzz_bin}
    DEPENDS ${_fuzz_src} ${CMAKE_SOURCE_DIR}/data/pickle_reader.h
    COMMENT "Building libFuzzer target pickle_fuzz with ${CROMSS_CLANGXX}")
  add_custom_target(pickle_fuzz ALL DEPENDS ${_fuzz_bin})
  add_test(NAME data_pickle_fuzz
           COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                   sh -c "mkdir -p ${CMAKE_BINARY_DIR}/tests/pickle_fuzz_corpus && ${_fuzz_bin} -runs=20000 -max_total_time=20 -max_len=4096 ${CMAKE_BINARY_DIR}/tests/pickle_fuzz_corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/pickle_corpus")
  # Builds the target first when only the test executables were built.
  add_test(NAME data_pickle_fuzz_build COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target pickle_fuzz)
  set_tests_properties(data_pickle_fuzz_build PROPERTIES LABELS "cpu;fuzz" FIXTURES_SETUP pickle_fuzz_bin)
  set_tests_properties(data_pickle_fuzz PROPERTIES LABELS "cpu;fuzz" TIMEOUT 120 FIXTURES_REQUIRED pickle_fuzz_bin)
endif()
