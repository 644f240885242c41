//! The accept loop. We run hyper ourselves (instead of `axum::serve`) for two reasons: the
//! `drop` fault must be able to close a connection without any answer, and shutdown must
//! end every connection at once, even one parked in a `timeout` fault.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower_service::Service;

/// Put into every request's extensions; notifying it closes that request's connection.
#[derive(Clone)]
pub struct ConnDrop(pub Arc<Notify>);

pub async fn run(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("sandbox accept failed: {e}");
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let router = router.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let dropper = Arc::new(Notify::new());
            let tag = ConnDrop(dropper.clone());
            let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(tag.clone());
                let mut router = router.clone();
                async move { router.call(req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = dropper.notified() => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}

pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
