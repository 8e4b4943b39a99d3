//! Random tokens from the OS CSPRNG: the one source of every secret body and public id.

use rand::TryRng;
use rand::rngs::{SysError, SysRng};

/// Base62 digits needed for any 128-bit number: `62^22 > 2^128`.
pub const BASE62_128_DIGITS: usize = 22;

/// 128 bits from the OS CSPRNG as exactly [`BASE62_128_DIGITS`] base62 digits (zero-padded).
pub fn base62_128() -> Result<String, SysError> {
    let mut bytes = [0u8; 16];
    SysRng.try_fill_bytes(&mut bytes)?;
    Ok(format!(
        "{:0>w$}",
        base62::encode_fmt(u128::from_be_bytes(bytes)),
        w = BASE62_128_DIGITS
    ))
}
