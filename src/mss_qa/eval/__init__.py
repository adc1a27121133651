"""Gold-set evaluation: dataset, metrics, runner and report."""
