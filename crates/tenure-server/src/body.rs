//! Reading a request body within the limits: the raw body is capped, and a
//! gzip body is decompressed only up to the batch limit, so a gzip bomb is
//! refused after at most that many bytes of output.

use crate::ApiError;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use flate2::read::MultiGzDecoder;
use std::io::Read;
use tenure_ingest::ParseError;

fn too_large(size: usize, limit: usize) -> ApiError {
    ApiError::Parse(ParseError::BatchTooLarge { size, limit })
}

/// Checks the content type: JSON, or `text/plain` as browsers' beacons send.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" => Ok(()),
        "" => Err(ApiError::UnsupportedMediaType(
            "the Content-Type header is missing; send application/json".into(),
        )),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {other} is not supported; send application/json"
        ))),
    }
}

/// Bytes of a refused body read and dropped before answering, so the
/// client (still sending) gets the error instead of a reset connection.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// Reads and discards up to [`DRAIN_BYTES`] of `body`.
async fn drain(body: Body) {
    let _ = axum::body::to_bytes(body, DRAIN_BYTES).await;
}

/// Reads and, if needed, decompresses the body; at most `limit` bytes out.
pub async fn read(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    check_content_type(headers)?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(size) = declared
        && size > limit
    {
        drain(body).await;
        return Err(too_large(size, limit));
    }
    let raw = match axum::body::to_bytes(body, limit).await {
        Ok(raw) => raw,
        Err(_) => return Err(too_large(limit + 1, limit)),
    };
    let encoding = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "identity" | "" => Ok(raw.to_vec()),
        "gzip" | "x-gzip" => gunzip(&raw, limit),
        other => Err(ApiError::UnsupportedEncoding(format!(
            "Content-Encoding {other} is not supported; send gzip or no encoding"
        ))),
    }
}

/// Decompresses at most `limit` bytes; more is an error, found early.
pub fn gunzip(raw: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).min(limit + 1));
    MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            ApiError::Parse(ParseError::InvalidJson(format!(
                "the gzip body cannot be decompressed: {e}"
            )))
        })?;
    if out.len() > limit {
        return Err(too_large(out.len(), limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b' '; 50 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024);
        let err = gunzip(&bomb, 500 * 1024).unwrap_err();
        assert_eq!(err.code(), "batch_too_large");
    }

    #[test]
    fn small_gzip_bodies_decompress() {
        assert_eq!(gunzip(&gzip(b"{}"), 10).unwrap(), b"{}");
        assert_eq!(gunzip(b"not gzip", 10).unwrap_err().code(), "invalid_json");
    }
}
