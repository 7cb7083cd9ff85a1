/* Keeps vd_test_support non-empty before any helper exists. */
typedef int vd_test_support_empty;
