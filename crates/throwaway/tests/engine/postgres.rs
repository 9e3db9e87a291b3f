//! PostgreSQL module tests (placeholder).
