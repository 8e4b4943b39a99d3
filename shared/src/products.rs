//! The sample protected endpoint: products owned by the calling key's subject.

use crate::api::CreateProductRequest;
use crate::caller::Caller;
use crate::clock::Millis;
use crate::error::ApiError;
use crate::fields::required_text;
use crate::ids;
use crate::model::Product;
use crate::scopes::PRODUCTS_WRITE;
use crate::store::ProductWriter;

/// Longest product name.
pub const MAX_PRODUCT_NAME_CHARS: usize = 200;
/// Highest price.
pub const MAX_PRICE: f64 = 1_000_000_000.0;

/// A price in (0, 1e9] with at most two decimals. Checked in cents, which an f64 holds
/// exactly in this range, so `19.99` is stored as the number 19.99 and nothing else.
fn validate_price(price: f64) -> Result<f64, ApiError> {
    let invalid = |m: &str| ApiError::validation("price", m);
    if !price.is_finite() || price <= 0.0 || price > MAX_PRICE {
        return Err(invalid(
            "must be a number greater than 0 and at most 1000000000",
        ));
    }
    let cents = (price * 100.0).round();
    if (price * 100.0 - cents).abs() > 1e-6 {
        return Err(invalid("must have at most 2 decimal places"));
    }
    Ok(cents / 100.0)
}

/// Creates a product owned by the calling key's subject.
pub async fn create_product(
    store: &dyn ProductWriter,
    caller: &Caller,
    req: CreateProductRequest,
    now: Millis,
) -> Result<Product, ApiError> {
    caller.require(PRODUCTS_WRITE)?;
    let name = required_text("name", &req.name, MAX_PRODUCT_NAME_CHARS)?;
    let product = Product {
        id: ids::new_product_id()?,
        name,
        price: validate_price(req.price)?,
        owner_id: caller.subject.clone(),
        created_at: now,
        created_by_key_id: caller.key_id.clone(),
    };
    store.put_product(&product).await?;
    tracing::info!(product_id = %product.id, owner = %product.owner_id, "product created");
    Ok(product)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices() {
        for ok in [0.01, 1.0, 19.99, 0.3, 999_999_999.99, 1_000_000_000.0] {
            assert_eq!(validate_price(ok).unwrap(), ok, "{ok}");
        }
        for bad in [
            0.0,
            -1.0,
            0.001,
            19.999,
            1_000_000_000.01,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert!(validate_price(bad).is_err(), "{bad}");
        }
    }
}
