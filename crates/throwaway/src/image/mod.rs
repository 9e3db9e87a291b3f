//! Image references and pulling (DESIGN.md layer 2).
