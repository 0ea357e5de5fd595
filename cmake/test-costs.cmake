# Scheduling hints for ctest -j: tests/costs.txt holds measured run times
# ("<test name> <seconds>", from scripts/update-test-costs).  ctest starts
# the costliest tests first, so a long VM or DKMS test does not start last
# and leave the other VM slot idle at the end of a CI run.  A fresh clone
# has no CTestCostData.txt of its own; these are what it has instead.
# Only a hint: a test missing from the file runs with cost 0 (last).
function(storctl_apply_test_costs)
  set(_file ${PROJECT_SOURCE_DIR}/tests/costs.txt)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_file})
  if(NOT EXISTS ${_file})
    return()
  endif()
  get_property(_tests DIRECTORY PROPERTY TESTS)
  file(STRINGS ${_file} _lines REGEX "^[^#]")
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "^([^ \t]+)[ \t]+([0-9.]+)")
      if(CMAKE_MATCH_1 IN_LIST _tests)
        set_tests_properties(${CMAKE_MATCH_1} PROPERTIES COST ${CMAKE_MATCH_2})
      endif()
    endif()
  endforeach()
endfunction()
