//! Whose keys they are: a subject (a user, a team, a service), chosen by the deployment.

use crate::domain::error::DomainError;
use crate::domain::text::unfit_for_identifier;

/// Longest subject.
pub const MAX_SUBJECT_CHARS: usize = 128;

/// A subject: 1 to [`MAX_SUBJECT_CHARS`] characters without whitespace, control or format
/// characters (which would make two subjects look alike). Parsed once where it comes in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// The subject in `raw`, or why it is not one, naming `field`.
    pub fn parse(field: &'static str, raw: String) -> Result<Self, DomainError> {
        let ok = !raw.is_empty()
            && raw.chars().count() <= MAX_SUBJECT_CHARS
            && !raw.chars().any(unfit_for_identifier);
        if ok {
            Ok(Self(raw))
        } else {
            Err(DomainError::invalid(
                field,
                format!(
                    "must be 1 to {MAX_SUBJECT_CHARS} characters without spaces, control or \
                     format characters"
                ),
            ))
        }
    }

    /// A subject already held by a key, which was parsed when the key was made.
    pub fn trusted(stored: &str) -> Self {
        Self(stored.to_owned())
    }

    /// The subject as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject as owned text, for the record.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_bounded_identifiers() {
        assert_eq!(
            Subject::parse("subject", "user_1".into()).unwrap().as_str(),
            "user_1"
        );
        let long = "a".repeat(MAX_SUBJECT_CHARS + 1);
        for bad in ["", "a b", "a\u{200B}b", "tab\t", long.as_str()] {
            let err = Subject::parse("subject", bad.to_owned()).unwrap_err();
            assert!(err.to_string().starts_with("subject: "), "{bad:?}: {err}");
        }
    }
}
