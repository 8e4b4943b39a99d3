//! A route's method: one HTTP method API Gateway routes on, or `ANY`.

use std::fmt;

/// A route's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // the HTTP methods by their names
pub enum RouteMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
    /// Every method the resource has no route of its own for.
    Any,
}

impl RouteMethod {
    /// The methods `ANY` stands for: a policy names each of them rather than `*`, since in
    /// an ARN a leading `*` would also span into the path.
    pub const CONCRETE: [RouteMethod; 7] = [
        Self::Get,
        Self::Post,
        Self::Put,
        Self::Patch,
        Self::Delete,
        Self::Head,
        Self::Options,
    ];

    /// Parses a method as a document writes it, upper case.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            "ANY" => Self::Any,
            _ => return None,
        })
    }

    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Any => "ANY",
        }
    }

    /// The concrete methods this route method answers.
    pub fn concrete(self) -> &'static [RouteMethod] {
        match self {
            Self::Any => &Self::CONCRETE,
            Self::Get => &[Self::Get],
            Self::Post => &[Self::Post],
            Self::Put => &[Self::Put],
            Self::Patch => &[Self::Patch],
            Self::Delete => &[Self::Delete],
            Self::Head => &[Self::Head],
            Self::Options => &[Self::Options],
        }
    }

    /// The slot of a concrete method, `ANY` last.
    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RouteMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
