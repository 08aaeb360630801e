"""``make bench``: the platform's throughput and latency figures, written to docs/performance.md."""
