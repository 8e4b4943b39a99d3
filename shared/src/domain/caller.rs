//! Who is calling: the authenticated key behind a request, and what it may act on.

use crate::domain::clock::Millis;
use crate::domain::error::DomainError;
use crate::domain::key::Claims;
use crate::domain::scopes::{self, KEYS_ADMIN};
use serde::{Deserialize, Serialize};

/// The authenticated key behind a request (kept with a cascade it starts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    /// Its public id (or `operator:<tool>` for operators).
    pub key_id: String,
    /// Whose key it is.
    pub subject: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// What it passes on to the keys it creates.
    pub claims: Claims,
    /// When the calling key expires; keys it creates may not outlive it.
    pub expiration: Option<Millis>,
}

/// How an operator's id begins (`operator:keyctl`): the `createdBy` of the keys it makes.
pub const OPERATOR_ID_PREFIX: &str = "operator:";

impl Caller {
    /// Whether the caller's key expired at or before `now`.
    pub fn has_expired(&self, now: Millis) -> bool {
        self.expiration.is_some_and(|at| at <= now)
    }

    /// An operator with direct table access (admin CLI): every scope, any subject.
    pub fn operator(tool: &str) -> Self {
        Self {
            key_id: format!("{OPERATOR_ID_PREFIX}{tool}"),
            subject: "operator".to_owned(),
            scopes: scopes::ALL.map(String::from).to_vec(),
            claims: Claims::new(),
            expiration: None,
        }
    }

    /// The handler's own scope check, behind the authorizer's policy (defence in depth).
    pub fn require(&self, scope: &str) -> Result<(), DomainError> {
        if scopes::has(&self.scopes, scope) {
            Ok(())
        } else {
            Err(DomainError::missing_scope(scope))
        }
    }

    /// Whether the caller holds `keys:admin`.
    pub fn is_admin(&self) -> bool {
        scopes::has(&self.scopes, KEYS_ADMIN)
    }

    /// Whether the caller may see and act on keys of `subject`.
    pub fn may_act_for(&self, subject: &str) -> bool {
        self.subject == subject || self.is_admin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_subjects_bound_what_a_caller_may_do() {
        let caller = Caller {
            key_id: "key_1".into(),
            subject: "user_1".into(),
            scopes: vec!["keys:read".into(), "products:write".into()],
            claims: Claims::new(),
            expiration: Some(1_700_000_000_000),
        };
        assert!(caller.require("keys:read").is_ok());
        assert!(matches!(
            caller.require("keys:write"),
            Err(DomainError::Forbidden(_))
        ));
        assert!(caller.may_act_for("user_1") && !caller.may_act_for("user_2"));
        assert!(!caller.has_expired(1_699_999_999_999) && caller.has_expired(1_700_000_000_000));
        assert!(Caller::operator("keyctl").is_admin());
    }
}
