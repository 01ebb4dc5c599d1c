"""The chaos soak's harness: a fault proxy, the run, its report, the tail process."""
