# Fits engine parameters on the history set once (igc tune), unless present.
if(NOT EXISTS "${PARAMS}")
  execute_process(COMMAND "${IGC}" tune --data "${DATA}" --history "${DATA}/labeled/history.csv" --out "${PARAMS}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "igc tune failed")
  endif()
endif()
