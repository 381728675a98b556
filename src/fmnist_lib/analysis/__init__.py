"""What the pages measure: functions of runs and arrays (failures, statistics, robustness, explanations)."""
