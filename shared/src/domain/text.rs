//! Rules for free-text request fields, shared by the key and product endpoints.

use crate::domain::error::DomainError;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Characters free text refuses: control characters (C0, DEL, C1) and the bidirectional
/// embeddings, overrides and isolates, which make a name display as something else.
pub fn unfit_for_text(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters an identifier (a subject) refuses: whitespace, control characters and every
/// format character (zero-width space, bidi marks, byte-order mark, …), which make two
/// different identifiers look alike.
pub fn unfit_for_identifier(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c.general_category() == GeneralCategory::Format
}

fn check_characters(field: &'static str, text: &str) -> Result<(), DomainError> {
    if text.chars().any(unfit_for_text) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters or bidirectional overrides".to_owned(),
        ));
    }
    Ok(())
}

/// A required name: at most `max_chars` characters as sent, not blank; stored trimmed.
/// Characters and length are judged as sent, so openapi.yaml's pattern and maxLength say
/// exactly what is accepted.
pub fn required_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || value.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be 1 to {max_chars} characters"),
        ));
    }
    check_characters(field, value)?;
    Ok(trimmed.to_owned())
}

/// An optional text: trimmed, at most `max_chars` characters; blank means absent.
pub fn optional_text(
    field: &'static str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, DomainError> {
    match value {
        Some(v) if v.chars().count() > max_chars => Err(DomainError::invalid(
            field,
            format!("at most {max_chars} characters"),
        )),
        Some(v) => {
            check_characters(field, &v)?;
            let trimmed = v.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_refuses_controls_and_bidi_overrides() {
        for bad in [
            "a\u{0}b",
            "a\u{7}",
            "tab\there",
            "line\nbreak",
            "c1\u{85}x",
            "csi\u{9B}x",
            "\tleading tab",
            "trailing newline\n",
            "x\u{202E}txt.exe",
            "\u{2066}iso",
        ] {
            assert!(required_text("name", bad, 100).is_err(), "{bad:?}");
            assert!(
                optional_text("description", Some(bad.into()), 100).is_err(),
                "{bad:?}"
            );
        }
        for good in ["CI deploy", "Zürich – prod", "日本語のキー", "emoji 🔑"] {
            assert_eq!(required_text("name", good, 100).unwrap(), good);
        }
    }

    #[test]
    fn identifiers_refuse_format_characters() {
        for bad in ['\u{200B}', '\u{202E}', '\u{FEFF}', '\u{200E}', ' ', '\u{0}'] {
            assert!(unfit_for_identifier(bad), "{bad:?}");
        }
        for good in ['a', 'Z', '_', '|', 'é', '鍵'] {
            assert!(!unfit_for_identifier(good), "{good:?}");
        }
    }
}
