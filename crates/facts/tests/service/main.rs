//! The service against real PostgreSQL and Redis, started by throwaway: one container of
//! each for the whole binary (`Shared`), a fresh database of each per test.
//!
//! They use the images `postgres:15` and `redis:7.0` (on an offline engine, the stand-ins
//! that `ci/images/build` makes). Without an engine these tests print why and pass; with
//! `CI` set they fail instead.

mod support;

mod dev_mode;
mod lookup;
mod migrations;
mod outages;
mod seed;
mod socket;
mod upstream;
mod views;
