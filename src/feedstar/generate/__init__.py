"""`feedstar generate`: a realistic, deterministic product database generated inside ClickHouse."""
