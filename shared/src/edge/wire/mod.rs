//! The API's wire types: request bodies and query parameters, parsed here into the
//! operations' inputs (so values are checked once, where they come in), and response
//! bodies, rendered from what the operations return. docs/api-reference.md names each.

mod events;
pub mod key_changes;
mod params;
mod requests;
mod verify;
mod view;

pub use events::{EventList, EventView};
pub use params::{DEFAULT_PAGE_SIZE, ListParams, parse_key_id, parse_limit};
pub use requests::{
    CreateKeyRequest, CreateProductRequest, RerollKeyRequest, RevokeKeyRequest, UpdateKeyRequest,
    VerifyKeyRequest,
};
pub use verify::VerifyResult;
pub use view::{ApiKeyView, KeyList, RevokedView};

pub use crate::store::MAX_PAGE_SIZE;
