# Lease-store commit throughput by batch size and synchronous level, and the writer's
# maintenance under load (bench_lease_store.c).
mtdhcp_bench(bench_lease_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_lease_store.c
  LIBS mtdhcp_lease_store)
