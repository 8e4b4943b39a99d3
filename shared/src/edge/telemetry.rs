//! Structured logs for the functions: JSON when Lambda's log format is JSON, with the
//! runtime's per-invocation span (request id) on every line.

use tracing_subscriber::filter::LevelFilter;

/// The level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`, never above DEBUG: at TRACE the
/// Lambda runtime logs every raw event, and events carry the `x-api-key` secret.
pub fn effective_level(configured: Option<&str>) -> LevelFilter {
    configured
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO)
        .min(LevelFilter::DEBUG)
}

/// Logging for the Lambda functions: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`.
pub fn init() {
    let configured = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let builder = tracing_subscriber::fmt()
        .with_max_level(effective_level(configured.as_deref()))
        .with_target(false);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // `try_init`: a second initialisation (tests, tools) is harmless.
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

/// For the command-line tools: plain text on stderr, keeping stdout for their output.
pub fn init_for_tool() {
    let configured = std::env::var("RUST_LOG").ok();
    let _ = tracing_subscriber::fmt()
        .with_max_level(effective_level(configured.as_deref()))
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_is_clamped_to_debug() {
        assert_eq!(effective_level(Some("trace")), LevelFilter::DEBUG);
        assert_eq!(effective_level(Some("TRACE")), LevelFilter::DEBUG);
        assert_eq!(effective_level(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(effective_level(Some("warn")), LevelFilter::WARN);
        assert_eq!(effective_level(None), LevelFilter::INFO);
        assert_eq!(effective_level(Some("nonsense")), LevelFilter::INFO);
    }
}
