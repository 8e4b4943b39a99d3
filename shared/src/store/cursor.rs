//! The opaque pagination cursor.
//!
//! A cursor is a position in a subject's newest-first listing: the `createdAt` and public
//! id of the last key looked at. It never carries the key hash (responses must not), so
//! the store turns it back into DynamoDB's `ExclusiveStartKey` by looking the id up, and
//! refuses it unless the key belongs to the listed subject at that `createdAt`.

use crate::domain::clock::Millis;
use crate::store::error::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A position in a subject's listing: the last key looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// That key's `createdAt`.
    pub created_at: Millis,
    /// That key's public id.
    pub id: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    v: u8,
    /// The subject the cursor was issued for, so it cannot be replayed against another.
    s: &'a str,
    c: Millis,
    i: &'a str,
}

const VERSION: u8 = 1;
const MAX_ENCODED_LEN: usize = 512;

impl Cursor {
    /// The opaque string handed to clients, bound to `subject`.
    pub fn encode(&self, subject: &str) -> String {
        let wire = Wire {
            v: VERSION,
            s: subject,
            c: self.created_at,
            i: &self.id,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).expect("plain struct serialises"))
    }

    /// Reads a client's cursor back; anything not issued for `subject` is refused.
    pub fn decode(encoded: &str, subject: &str) -> Result<Self, StoreError> {
        Self::decode_checked(encoded, subject, crate::domain::ids::looks_like_key_id)
    }

    /// Reads back a cursor of a key's audit events (`created_at` is the event's time, `id`
    /// its id), encoded for that key's id; anything else is refused.
    pub fn decode_event(encoded: &str, key_id: &str) -> Result<Self, StoreError> {
        Self::decode_checked(encoded, key_id, crate::domain::ids::looks_like_event_id)
    }

    fn decode_checked(
        encoded: &str,
        subject: &str,
        id_ok: fn(&str) -> bool,
    ) -> Result<Self, StoreError> {
        if encoded.len() > MAX_ENCODED_LEN {
            return Err(StoreError::InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| StoreError::InvalidCursor)?;
        let wire: Wire<'_> =
            serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        if wire.v != VERSION || wire.s != subject || !id_ok(wire.i) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Self {
            created_at: wire.c,
            id: wire.i.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cursor {
        Cursor {
            created_at: 1_700_000_000_000,
            id: "key_0000000000000000000042".to_owned(),
        }
    }

    #[test]
    fn round_trips_for_its_subject_only() {
        let encoded = sample().encode("user_1");
        assert_eq!(Cursor::decode(&encoded, "user_1").unwrap(), sample());
        assert!(matches!(
            Cursor::decode(&encoded, "user_2"),
            Err(StoreError::InvalidCursor)
        ));
    }

    #[test]
    fn tampering_is_refused() {
        let encoded = sample().encode("user_1");
        for bad in [
            "",
            "not base64 !",
            "e30",
            &encoded[..encoded.len() - 2],
            &format!("{encoded}AA"),
            &"A".repeat(600),
        ] {
            assert!(
                matches!(
                    Cursor::decode(bad, "user_1"),
                    Err(StoreError::InvalidCursor)
                ),
                "{bad:?} accepted"
            );
        }
        let forged = URL_SAFE_NO_PAD.encode(br#"{"v":1,"s":"user_1","c":1,"i":"keyHash"}"#);
        assert!(Cursor::decode(&forged, "user_1").is_err());
        // A key listing's cursor is no event listing's cursor, and back.
        assert!(Cursor::decode_event(&encoded, "user_1").is_err());
        let event = Cursor {
            created_at: 5,
            id: crate::domain::ids::new_event_id().unwrap(),
        };
        let key_id = "key_0000000000000000000042";
        let encoded = event.encode(key_id);
        assert_eq!(Cursor::decode_event(&encoded, key_id).unwrap(), event);
        assert!(Cursor::decode(&encoded, key_id).is_err());
    }
}
