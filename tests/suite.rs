//! Every integration test, one module per capability (one file of `tests/` each), compiled as
//! one binary: `cargo test --test suite stencils::` runs one group.

#[path = "api.rs"]
mod api;
#[path = "compact.rs"]
mod compact;
#[path = "docs.rs"]
mod docs;
#[path = "errors.rs"]
mod errors;
#[path = "examples.rs"]
mod examples;
#[path = "f32_output.rs"]
mod f32_output;
#[path = "findiff_parity.rs"]
mod findiff_parity;
#[path = "fixture.rs"]
mod fixture;
#[path = "halo.rs"]
mod halo;
#[path = "matrix.rs"]
mod matrix;
#[path = "npy_mmap.rs"]
mod npy_mmap;
#[path = "numpy_parity.rs"]
mod numpy_parity;
#[path = "operators.rs"]
mod operators;
#[path = "properties.rs"]
mod properties;
#[path = "solve.rs"]
mod solve;
#[path = "stencils.rs"]
mod stencils;
#[path = "zarr.rs"]
mod zarr;
