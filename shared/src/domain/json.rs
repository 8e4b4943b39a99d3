//! How domain values take their JSON forms: serde helpers shared by the key record, the
//! audit events and the API's bodies.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An optional field that, when present, must hold a value: `null` is refused (omit the
/// field instead), with the type it expects.
pub fn non_null<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A field that is present (`Some`), with its value or `null` (`Some(None)`); absent
/// fields stay `None` through `#[serde(default)]`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A value kept in a table as a JSON string, so numbers and nesting survive it exactly.
pub mod json_string {
    use super::*;

    /// Writes the value as its JSON text.
    pub fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(value).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&json)
    }

    /// Reads the value back from its JSON text.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let json = String::deserialize(d)?;
        serde_json::from_str(&json).map_err(D::Error::custom)
    }
}
