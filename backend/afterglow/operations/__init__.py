"""Running Afterglow: what a failure looks like in the log, and the Prometheus metrics."""
