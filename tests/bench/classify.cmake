# Issue 4 "Scale": 1,000 tenant files loaded and the memory of an idle tenant, then the
# classifier's ns per frame for 1, 100 and 10,000 tenants and each kind of key
# (bench_classify.c).
mtdhcp_bench(bench_classify SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_classify.c
  LIBS mtdhcp_frame mtdhcp_conf mtdhcp_dhcpd mtdhcp_lease_store mtdhcp_tenants)
