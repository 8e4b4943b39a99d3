//! Rules for free-text request fields, shared by the key and product endpoints.

use crate::error::ApiError;

/// A required name: trimmed, then 1 to `max_chars` characters.
pub fn required_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > max_chars {
        return Err(ApiError::validation(
            field,
            format!("must be 1 to {max_chars} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed, at most `max_chars` characters; blank means absent.
pub fn optional_text(
    field: &'static str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.chars().count() > max_chars => Err(ApiError::validation(
            field,
            format!("at most {max_chars} characters"),
        )),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(v.trim().to_owned())),
        None => Ok(None),
    }
}
