//! Runnable examples of throwaway live in `examples/`; this library is empty.
