//! Redis module tests (placeholder).
