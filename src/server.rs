//! The daemon's HTTP endpoints (SPEC section 7) on `http.listen`:
//! `/metrics` (Prometheus text format), `/healthz` (the process makes
//! progress; else 503 with what is wedged)
//! and `/readyz` (joined, loaded and able to deliver; else 503 with a JSON
//! reason). Reads state from [`crate::metrics`]; changes nothing.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The routes.
pub fn router() -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Serves `router()` on `listener` until the runtime stops.
pub async fn serve(listener: tokio::net::TcpListener) {
    if let Err(e) = axum::serve(listener, router()).await {
        tracing::error!(error = %e, "the HTTP server stopped");
    }
}

async fn metrics() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::global().render(),
    )
        .into_response()
}

async fn healthz() -> Response {
    match crate::metrics::liveness() {
        Ok(()) => (StatusCode::OK, "ok\n".to_owned()).into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response(),
    }
}

async fn readyz() -> Response {
    let (status, body) = match crate::metrics::readiness() {
        Ok(()) => (StatusCode::OK, serde_json::json!({ "ready": true })),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "ready": false, "reason": reason }),
        ),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
