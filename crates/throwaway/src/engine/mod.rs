//! Finding and talking to a Docker-API engine (DESIGN.md layer 1).
