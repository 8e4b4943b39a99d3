//! Routes: which scope each route needs. A protected API's routes come as a document
//! (`document`), compiled for matching (`table`); the project's own API is one such table
//! (`own_api`), which also says which function serves each route.

pub mod document;
pub mod method;
pub mod own_api;
pub mod path;
pub mod table;

pub use own_api::{
    Endpoint, Function, NO_KEY, ROUTES, Route, by_template, match_path, own_api_table,
};

/// The example document of `docs/protect-your-api.md`, for the tests.
#[cfg(test)]
pub(crate) const EXAMPLE_DOCUMENT: &str =
    include_str!("../../../../examples/python-orders/routes.yaml");
