//! A routes document kept in S3, read once in the authorizer's init: for documents larger
//! than a template parameter and a function's environment can hold (4 KB).

#[cfg(feature = "routes-object")]
use crate::edge::config::RoutesObject;

/// The most a routes document may weigh. A thousand routes, the most a document may list,
/// take under 100 KB; anything far larger is not a routes document.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Why the document could not be read; the init then fails, and the authorizer never runs.
#[derive(Debug, thiserror::Error)]
pub enum RoutesObjectError {
    /// S3 refused or failed the read (no such bucket, key or version; access denied; a
    /// timeout).
    #[error("routes document {object}: cannot be read from S3")]
    Read {
        /// The object.
        object: String,
        /// What S3 or the connection said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The object is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("routes document {0}: larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge(String),
    /// The object is not UTF-8 text.
    #[error("routes document {0}: not UTF-8 text")]
    NotText(String),
    /// Asked of a reader that does not read S3 ([`super::AuthorizerSettings::of`]).
    #[error("routes document {0}: is in S3, and this start-up does not read it")]
    Unread(String),
    /// This build of the shared crate reads no S3 object (feature `routes-object`).
    #[error("routes document {0}: this build cannot read S3 (feature routes-object)")]
    NotBuilt(String),
}

/// The text of `object`, read through `client`.
#[cfg(feature = "routes-object")]
pub async fn read(
    client: &aws_sdk_s3::Client,
    object: &RoutesObject,
) -> Result<String, RoutesObjectError> {
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| RoutesObjectError::Read {
        object: object.to_string(),
        source,
    };
    let output = client
        .get_object()
        .bucket(&object.bucket)
        .key(&object.key)
        .set_version_id(object.version.clone())
        .send()
        .await
        .map_err(|e| failed(Box::new(e)))?;
    let too_large = || RoutesObjectError::TooLarge(object.to_string());
    // Refused before its body is read when S3 gives the length, and after if not.
    if output
        .content_length()
        .is_some_and(|length| usize::try_from(length).map_or(true, |l| l > MAX_DOCUMENT_BYTES))
    {
        return Err(too_large());
    }
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|e| failed(Box::new(e)))?
        .into_bytes();
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes.into()).map_err(|_| RoutesObjectError::NotText(object.to_string()))
}
