"""Side-by-side benchmarks: OmenDB vs a throwaway PostgreSQL 15 cluster (see bench/README.md)."""
