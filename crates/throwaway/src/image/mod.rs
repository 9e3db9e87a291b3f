//! Image references and pulling (DESIGN.md layer 2).

mod reference;

pub use reference::ImageRef;
