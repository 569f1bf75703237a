"""The embedded ClickHouse HTTP endpoint: one process owning a chDB data directory."""
