//! The secret's format: `<prefix>_<body><checksum>`.
//!
//! - `prefix` is per deployment (`[a-z0-9_]`, 1..=16 chars), e.g. `sk_live`.
//! - `body` is 32 bytes from the OS CSPRNG as base62, two 128-bit halves of 22 digits each.
//! - `checksum` is CRC32 of `<prefix>_<body>` as 6 base62 digits (GitHub's token design),
//!   so typos and lookalike strings are refused without a database call.
//!
//! Parsing does no I/O: everything here is pure.

use crate::domain::random::{BASE62_128_DIGITS, base62_128};
use std::fmt;

/// The body is two 128-bit random numbers, each as 22 base62 digits (`0-9A-Za-z`).
const BODY_LEN: usize = 2 * BASE62_128_DIGITS;
const CHECKSUM_LEN: usize = 6;
/// Characters of a key after `<prefix>_`.
const TAIL_LEN: usize = BODY_LEN + CHECKSUM_LEN;
/// Body characters kept in `start` for display.
const START_BODY_CHARS: usize = 4;
/// Longest deployment prefix.
pub const MAX_PREFIX_LEN: usize = 16;
/// Longest key we ever look at; anything longer is malformed before any work is done.
pub const MAX_KEY_LEN: usize = MAX_PREFIX_LEN + 1 + TAIL_LEN;

/// Why a presented key is not a key of this deployment. Never carries the key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedKey {
    /// Nothing was presented.
    #[error("the key is empty")]
    Empty,
    /// Not `<this deployment's prefix>_…`.
    #[error("the key does not start with this deployment's prefix")]
    WrongPrefix,
    /// Too short or too long.
    #[error("the key has the wrong length")]
    WrongLength,
    /// A character outside base62 after the prefix.
    #[error("the key contains characters outside base62")]
    BadAlphabet,
    /// Well shaped, but the CRC32 does not match: a typo or a made-up key.
    #[error("the key's checksum does not match")]
    BadChecksum,
}

/// Why a configured key prefix is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// Empty, too long, or a character outside `[a-z0-9_]`.
    #[error("key prefix must be 1 to 16 characters of a-z, 0-9 and _")]
    Invalid,
}

/// A deployment's key prefix, validated once at start-up.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    /// Validates a prefix: 1 to 16 characters of `[a-z0-9_]`.
    pub fn new(prefix: &str) -> Result<Self, PrefixError> {
        let ok = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(prefix.to_owned()))
        } else {
            Err(PrefixError::Invalid)
        }
    }

    /// The prefix as configured, e.g. `sk_live`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Creates a new secret from 32 bytes of OS randomness.
    pub fn generate(&self) -> Result<Secret, rand::rngs::SysError> {
        let mut key = format!("{}_{}{}", self.0, base62_128()?, base62_128()?);
        let checksum = checksum_digits(&key);
        key.push_str(std::str::from_utf8(&checksum).expect("base62 digits are ASCII"));
        Ok(Secret(key))
    }

    /// Checks a presented key's shape and checksum. No I/O, constant work per byte.
    pub fn parse<'a>(&self, presented: &'a str) -> Result<ParsedKey<'a>, MalformedKey> {
        if presented.is_empty() {
            return Err(MalformedKey::Empty);
        }
        if presented.len() > MAX_KEY_LEN {
            return Err(MalformedKey::WrongLength);
        }
        let tail = presented
            .strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .ok_or(MalformedKey::WrongPrefix)?;
        if tail.len() != TAIL_LEN {
            return Err(MalformedKey::WrongLength);
        }
        if !tail.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(MalformedKey::BadAlphabet);
        }
        let (signed, sum) = presented.split_at(presented.len() - CHECKSUM_LEN);
        if checksum_digits(signed) != sum.as_bytes() {
            return Err(MalformedKey::BadChecksum);
        }
        Ok(ParsedKey {
            full: presented,
            prefix_len: self.0.len(),
        })
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyPrefix").field(&self.0).finish()
    }
}

/// The CRC-32 of `signed` in base62, zero-padded to `CHECKSUM_LEN` digits, on the stack:
/// checking a presented key allocates nothing.
fn checksum_digits(signed: &str) -> [u8; CHECKSUM_LEN] {
    let mut digits = [b'0'; CHECKSUM_LEN];
    let mut encoded = [0u8; CHECKSUM_LEN];
    // A u32 needs at most 6 base62 digits, which is CHECKSUM_LEN.
    let len = base62::encode_bytes(crc32fast::hash(signed.as_bytes()), &mut encoded)
        .expect("a CRC-32 fits in CHECKSUM_LEN base62 digits");
    digits[CHECKSUM_LEN - len..].copy_from_slice(&encoded[..len]);
    digits
}

/// A freshly generated secret. Its `Debug` is redacted so it cannot reach a log by accident.
pub struct Secret(String);

impl Secret {
    /// The plaintext, for create's response only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The plaintext, moved into create's response.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A key that passed the format checks; it may still be unknown, revoked or expired.
#[derive(Clone, Copy)]
pub struct ParsedKey<'a> {
    full: &'a str,
    prefix_len: usize,
}

impl<'a> ParsedKey<'a> {
    /// The whole presented key, for hashing.
    pub fn as_str(&self) -> &'a str {
        self.full
    }

    /// `<prefix>_` and the first body characters, safe to show: `sk_live_Ab3d`.
    pub fn start(&self) -> &'a str {
        &self.full[..self.prefix_len + 1 + START_BODY_CHARS]
    }
}

impl fmt::Debug for ParsedKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParsedKey({}…)", self.start())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn checksums_are_six_zero_padded_base62_digits() {
        let mut padded = 0;
        for i in 0..2_000 {
            let signed = format!("sk_test_{i}");
            let crc = crc32fast::hash(signed.as_bytes());
            let expected = format!("{:0>6}", base62::encode(crc));
            assert_eq!(checksum_digits(&signed), expected.as_bytes(), "{signed}");
            padded += usize::from(expected.starts_with('0'));
        }
        // About one CRC in five has fewer than six digits: padding was exercised.
        assert!(padded > 100, "{padded}");
    }

    fn live() -> KeyPrefix {
        KeyPrefix::new("sk_live").unwrap()
    }

    #[test]
    fn generated_keys_round_trip() {
        let prefix = live();
        for _ in 0..200 {
            let secret = prefix.generate().unwrap();
            let parsed = prefix.parse(secret.expose()).expect("own key parses");
            assert_eq!(parsed.as_str(), secret.expose());
            assert_eq!(secret.expose().len(), "sk_live_".len() + TAIL_LEN);
            assert!(parsed.start().starts_with("sk_live_"));
            assert_eq!(parsed.start().len(), "sk_live_".len() + 4);
        }
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let prefix = live();
        let secret = prefix.generate().unwrap();
        let key = secret.expose();
        let alphabet: Vec<char> = ('0'..='9').chain('A'..='Z').chain('a'..='z').collect();
        let mut tried = 0;
        for (i, original) in key.char_indices() {
            for &c in alphabet.iter().chain(['_', '-'].iter()) {
                if c == original {
                    continue;
                }
                let mut changed = key.to_owned();
                changed.replace_range(i..i + 1, c.encode_utf8(&mut [0; 4]));
                tried += 1;
                assert!(
                    prefix.parse(&changed).is_err(),
                    "changing byte {i} to {c:?} was accepted"
                );
            }
        }
        assert!(tried > 3000);
    }

    #[test]
    fn wrong_prefix_length_and_alphabet_are_refused() {
        let prefix = live();
        let key = prefix.generate().unwrap().into_inner();
        let test = KeyPrefix::new("sk_test").unwrap();
        assert_eq!(test.parse(&key).unwrap_err(), MalformedKey::WrongPrefix);
        assert_eq!(prefix.parse("").unwrap_err(), MalformedKey::Empty);
        assert_eq!(
            prefix.parse(&key[..key.len() - 1]).unwrap_err(),
            MalformedKey::WrongLength
        );
        assert_eq!(
            prefix.parse(&format!("{key}0")).unwrap_err(),
            MalformedKey::WrongLength
        );
        assert_eq!(
            prefix.parse(&"x".repeat(10_000)).unwrap_err(),
            MalformedKey::WrongLength
        );
        // Exactly one body character (index 10 is past `sk_live_`) becomes non-base62.
        let mut bad = key.clone();
        bad.replace_range(10..11, "+");
        assert_eq!(prefix.parse(&bad).unwrap_err(), MalformedKey::BadAlphabet);
        // A prefix of another deployment that merely starts the same way.
        let longer = KeyPrefix::new("sk_live2").unwrap();
        let other = longer.generate().unwrap().into_inner();
        assert!(prefix.parse(&other).is_err());
    }

    #[test]
    fn checksum_is_checked_even_when_shape_is_right() {
        let prefix = live();
        let key = prefix.generate().unwrap().into_inner();
        let (signed, _) = key.split_at(key.len() - CHECKSUM_LEN);
        let forged = format!("{signed}000000");
        assert_eq!(
            prefix.parse(&forged).unwrap_err(),
            MalformedKey::BadChecksum
        );
    }

    #[test]
    fn ten_thousand_keys_are_distinct() {
        let prefix = live();
        let keys: HashSet<String> = (0..10_000)
            .map(|_| prefix.generate().unwrap().into_inner())
            .collect();
        assert_eq!(keys.len(), 10_000);
    }

    #[test]
    fn prefixes_are_validated() {
        for ok in ["sk_live", "a", "sk_test_0123456"] {
            assert!(KeyPrefix::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "SK", "sk-live", "sk live", "a_very_long_prefix_x", "é"] {
            assert!(KeyPrefix::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = live().generate().unwrap();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.expose()[8..]));
        let parsed = live().parse(secret.expose()).unwrap();
        assert!(!format!("{parsed:?}").contains(&secret.expose()[12..]));
    }
}
