//! `POST /products`: the sample protected endpoint, products owned by the calling key's
//! subject.

use crate::domain::caller::Caller;
use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::ids;
use crate::domain::product::Product;
use crate::domain::scopes::PRODUCTS_WRITE;
use crate::store::ProductWriter;

/// A product to create, parsed by the edge.
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// Its name, trimmed.
    pub name: String,
    /// Its price in cents, 1 to [`crate::domain::product::MAX_PRICE_CENTS`].
    pub price_cents: i64,
}

/// Creates a product owned by the calling key's subject.
pub async fn create_product(
    store: &dyn ProductWriter,
    caller: &Caller,
    new: NewProduct,
    now: Millis,
) -> Result<Product, DomainError> {
    caller.require(PRODUCTS_WRITE)?;
    let product = Product {
        id: ids::new_product_id()?,
        name: new.name,
        // Cents / 100 as an f64 prints as the decimal sent (its shortest form), and is
        // stored and answered as that number.
        price: new.price_cents as f64 / 100.0,
        owner_id: caller.subject.clone(),
        created_at: now,
        created_by_key_id: caller.key_id.clone(),
    };
    store.put_product(&product).await?;
    tracing::info!(product_id = %product.id, owner = %product.owner_id, "product created");
    Ok(product)
}
