//! Every API error, and the one place that turns it into a status code and
//! a stable JSON body: `{"error": {"code": "...", "message": "..."}}`.
//! Internal details (store errors) are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tenure_ingest::{ParseError, WriterError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    UnsupportedEncoding(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("no such route: {0}")]
    NotFound(String),
    #[error(transparent)]
    BadParam(#[from] tenure_core::report::ParamError),
    #[error(transparent)]
    Writer(#[from] WriterError),
    /// The request is valid but the data cannot answer it (a model that
    /// cannot be fitted).
    #[error("{0}")]
    Unprocessable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Parse(ParseError::InvalidJson(_)) => "invalid_json",
            Self::Parse(ParseError::InvalidMessage { .. }) => "invalid_message",
            Self::Parse(ParseError::MessageTooLarge { .. }) => "message_too_large",
            Self::Parse(ParseError::BatchTooLarge { .. }) => "batch_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::UnsupportedEncoding(_) => "unsupported_encoding",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadParam(_) => "invalid_parameter",
            Self::Unprocessable(_) => "model_unavailable",
            Self::Writer(WriterError::Overloaded { .. }) => "overloaded",
            Self::Writer(WriterError::Stopped) => "shutting_down",
            Self::Writer(WriterError::Store(_)) | Self::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Parse(ParseError::MessageTooLarge { .. } | ParseError::BatchTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::Parse(_) | Self::BadParam(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) | Self::UnsupportedEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Writer(WriterError::Overloaded { .. } | WriterError::Stopped) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Writer(WriterError::Store(_)) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl From<tenure_reports::ReportError> for ApiError {
    fn from(e: tenure_reports::ReportError) -> Self {
        match e {
            tenure_reports::ReportError::Param(p) => Self::BadParam(p),
            tenure_reports::ReportError::Store(e) => Self::Internal(e.to_string()),
            tenure_reports::ReportError::Model(e) => Self::Unprocessable(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(message = "Request failed.", error = %self);
            "internal error; see the server log".to_string()
        } else {
            self.to_string()
        };
        let mut response = (
            status,
            Json(json!({"error": {"code": self.code(), "message": message}})),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}
