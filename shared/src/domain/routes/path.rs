//! An API Gateway resource path, parsed once: `/orders/{id}/refunds`, `/admin/{proxy+}`.

use std::fmt;

/// Longest resource path accepted (API Gateway's own limit is far above any real one).
pub const MAX_PATH_LEN: usize = 256;

/// One segment of a resource path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Text that must match exactly (case-sensitive, as API Gateway matches).
    Literal(String),
    /// `{name}`: exactly one non-empty segment.
    Param(String),
    /// `{name+}`, last only: one or more segments.
    Greedy(String),
}

/// A resource path as API Gateway writes it; `/` is the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourcePath {
    text: String,
    segments: Vec<Segment>,
}

/// Why a path is not a resource path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not starting with `/`, or too long.
    #[error("a path starts with / and has at most {MAX_PATH_LEN} characters")]
    Shape,
    /// `//` or a trailing `/`.
    #[error("a path has no empty segment and no trailing /")]
    EmptySegment,
    /// A character outside the literal set.
    #[error("segment {0:?}: literal segments use A-Z a-z 0-9 . _ - ~ only")]
    Literal(String),
    /// A `{…}` segment that is not `{name}` or `{name+}`.
    #[error(
        "segment {0:?}: a parameter is a whole segment {{name}} or {{name+}}, name of A-Z a-z 0-9 _"
    )]
    Param(String),
    /// `{name+}` before the end.
    #[error("segment {0:?}: a greedy parameter {{name+}} must be the last segment")]
    GreedyNotLast(String),
    /// The same parameter name twice.
    #[error("parameter {{{0}}} appears twice")]
    RepeatedParam(String),
}

impl ResourcePath {
    /// Parses `text`; literal segments take the URL-safe characters only, so no resource
    /// ever holds an IAM wildcard (`*`, `?`) or a router's brace.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if !text.starts_with('/') || text.len() > MAX_PATH_LEN {
            return Err(PathError::Shape);
        }
        let mut segments = Vec::new();
        if text != "/" {
            let parts: Vec<&str> = text[1..].split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                let segment = parse_segment(part)?;
                if matches!(segment, Segment::Greedy(_)) && i + 1 != parts.len() {
                    return Err(PathError::GreedyNotLast((*part).to_owned()));
                }
                if let Segment::Param(name) | Segment::Greedy(name) = &segment
                    && segments.iter().any(|s| param_name(s) == Some(name))
                {
                    return Err(PathError::RepeatedParam(name.clone()));
                }
                segments.push(segment);
            }
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments, none for the root.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The path in `execute-api` ARN form: each parameter becomes `*`
    /// (`/orders/{id}/refunds` → `/orders/*/refunds`). In an ARN `*` spans `/` too, which
    /// is why policies built from these patterns are checked (`policy::plan`).
    pub fn arn_pattern(&self) -> String {
        if self.segments.is_empty() {
            return "/".to_owned();
        }
        let mut out = String::with_capacity(self.text.len());
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Param(_) | Segment::Greedy(_) => out.push('*'),
            }
        }
        out
    }

    /// The path in `matchit`'s syntax: `{name}` stays, `{name+}` becomes `{*name}`.
    pub fn router_pattern(&self) -> String {
        if self.segments.is_empty() {
            return "/".to_owned();
        }
        let mut out = String::with_capacity(self.text.len() + 1);
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Param(name) => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
                Segment::Greedy(name) => {
                    out.push_str("{*");
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
        out
    }

    /// The path with parameter names blanked: two routes with the same shape are the same
    /// resource to API Gateway (`/orders/{id}` and `/orders/{order}`).
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Param(_) => out.push_str("{}"),
                Segment::Greedy(_) => out.push_str("{+}"),
            }
        }
        out
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn param_name(segment: &Segment) -> Option<&String> {
    match segment {
        Segment::Param(name) | Segment::Greedy(name) => Some(name),
        Segment::Literal(_) => None,
    }
}

fn parse_segment(part: &str) -> Result<Segment, PathError> {
    if part.is_empty() {
        return Err(PathError::EmptySegment);
    }
    if let Some(inner) = part.strip_prefix('{') {
        let inner = inner
            .strip_suffix('}')
            .ok_or_else(|| PathError::Param(part.to_owned()))?;
        let (name, greedy) = match inner.strip_suffix('+') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PathError::Param(part.to_owned()));
        }
        return Ok(if greedy {
            Segment::Greedy(name.to_owned())
        } else {
            Segment::Param(name.to_owned())
        });
    }
    if !part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b))
    {
        return Err(PathError::Literal(part.to_owned()));
    }
    Ok(Segment::Literal(part.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_parameters_and_a_greedy_tail() {
        let path = ResourcePath::parse("/orders/{id}/refunds").unwrap();
        assert_eq!(path.arn_pattern(), "/orders/*/refunds");
        assert_eq!(path.router_pattern(), "/orders/{id}/refunds");
        assert_eq!(path.shape(), "/orders/{}/refunds");
        let greedy = ResourcePath::parse("/admin/{proxy+}").unwrap();
        assert_eq!(greedy.arn_pattern(), "/admin/*");
        assert_eq!(greedy.router_pattern(), "/admin/{*proxy}");
        let root = ResourcePath::parse("/").unwrap();
        assert!(root.segments().is_empty());
        assert_eq!(root.arn_pattern(), "/");
    }

    #[test]
    fn refuses_what_api_gateway_or_an_arn_cannot_hold() {
        for (bad, error) in [
            ("orders", PathError::Shape),
            ("/orders/", PathError::EmptySegment),
            ("/orders//x", PathError::EmptySegment),
            ("/orders/*", PathError::Literal("*".into())),
            ("/orders/a?b", PathError::Literal("a?b".into())),
            ("/orders/{id", PathError::Param("{id".into())),
            ("/orders/{}", PathError::Param("{}".into())),
            ("/orders/{a-b}", PathError::Param("{a-b}".into())),
            ("/{proxy+}/x", PathError::GreedyNotLast("{proxy+}".into())),
            ("/{id}/x/{id}", PathError::RepeatedParam("id".into())),
        ] {
            assert_eq!(ResourcePath::parse(bad), Err(error), "{bad}");
        }
        assert_eq!(
            ResourcePath::parse(&format!("/{}", "a".repeat(MAX_PATH_LEN))),
            Err(PathError::Shape)
        );
    }
}
