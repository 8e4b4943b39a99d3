//! The sample protected resource: products owned by a subject, and the rules for a price.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// The sample protected resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // docs/api-reference.md documents each field
pub struct Product {
    pub id: String,
    pub name: String,
    /// Validated to at most two decimals; its shortest decimal form is stored exactly.
    pub price: f64,
    pub owner_id: String,
    pub created_at: Millis,
    pub created_by_key_id: String,
}

/// Longest product name.
pub const MAX_PRODUCT_NAME_CHARS: usize = 200;
/// Highest price, in cents.
pub const MAX_PRICE_CENTS: i64 = 100_000_000_000;

/// A price as written in the request: a JSON number greater than 0 and at most
/// 1 000 000 000 with at most two decimal places, taken from its exact text (exponents
/// allowed, trailing zeros ignored), in cents. Anything it cannot hold exactly is refused,
/// not rounded.
pub fn price_in_cents(raw: &str) -> Result<i64, DomainError> {
    let invalid = |m: &str| DomainError::invalid("price", m);
    let text = raw.trim();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    let not_a_number = "must be a number greater than 0 and at most 1000000000";
    // A JSON string or other value is not a number, whatever it spells.
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(invalid(not_a_number));
    }
    let price = parsed.map_err(|_| invalid(not_a_number))?.normalize();
    if price.scale() > 2 {
        return Err(invalid("must have at most 2 decimal places"));
    }
    let cents = (price * Decimal::ONE_HUNDRED)
        .to_i64()
        .filter(|c| (1..=MAX_PRICE_CENTS).contains(c))
        .ok_or_else(|| invalid(not_a_number))?;
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices() {
        let cents = |text: &str| price_in_cents(text);
        for (text, expected) in [
            ("0.01", 1),
            ("1", 100),
            ("19.99", 1999),
            ("0.3", 30),
            ("19.990", 1999),
            ("1.999e1", 1999),
            ("999999999.99", 99_999_999_999),
            ("1000000000", MAX_PRICE_CENTS),
            ("1000000000.00", MAX_PRICE_CENTS),
        ] {
            assert_eq!(cents(text).unwrap(), expected, "{text}");
        }
        for bad in [
            "0",
            "-1",
            "0.001",
            "1e-8",
            "0.00000001",
            "19.999",
            "1000000000.01",
            "1000000000.0000001",
            "1e10",
            "\"19.99\"",
            "null",
            "true",
        ] {
            assert!(cents(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_stored_number_is_the_decimal_sent() {
        for text in ["0.01", "19.99", "0.3", "999999999.99", "1000000000"] {
            let price = price_in_cents(text).unwrap() as f64 / 100.0;
            assert_eq!(price.to_string(), text.trim_end_matches(".0"), "{text}");
        }
    }
}
