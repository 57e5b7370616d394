# MPI test of train/distributed.h: the cromss_mpi_check executable (tests/mpi/*.cpp) run as two
# ranks by mpirun (labels cpu, mpi). Sandboxes run as root and have fewer cores than ranks:
# OMPI_ALLOW_RUN_AS_ROOT*, --oversubscribe, one BLAS thread per rank.
file(GLOB CROMSS_MPI_CHECK_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/mpi/*.cpp)
add_executable(cromss_mpi_check ${CROMSS_MPI_CHECK_SOURCES})
target_link_libraries(cromss_mpi_check PRIVATE cromss_train)
add_test(NAME distributed_mpi_2ranks
         COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 --oversubscribe
                 $<TARGET_FILE:cromss_mpi_check>)
set_tests_properties(distributed_mpi_2ranks PROPERTIES
  LABELS "cpu;mpi"
  TIMEOUT 120
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMP_NUM_THREADS=1")

# --global_selection over two MPI processes against the one-process objective of the whole batch.
add_executable(cromss_mpi_global_selection
               ${CMAKE_CURRENT_SOURCE_DIR}/mpi_selection/global_selection_check.cpp)
target_link_libraries(cromss_mpi_global_selection PRIVATE cromss_test_train_common)
add_test(NAME distributed_mpi_global_selection
         COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 --oversubscribe
                 $<TARGET_FILE:cromss_mpi_global_selection>)
set_tests_properties(distributed_mpi_global_selection PROPERTIES
  LABELS "cpu;mpi"
  TIMEOUT 120
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OPENBLAS_NUM_THREADS=1;OMP_NUM_THREADS=1")
