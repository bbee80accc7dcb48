"""Results of one job across runs: series, step detection, regressions."""
