//! PostgreSQL (placeholder; being written).
