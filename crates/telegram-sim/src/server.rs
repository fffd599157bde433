//! The HTTP side: starting the simulator ([`TelegramSim::start`]), our own
//! accept loop (so a fault can close a connection without an answer), the route
//! table, and the per-call pipeline of token check, random faults, parameters
//! and method.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Path, Request, State},
    response::{IntoResponse, Response},
    routing::any,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::Notify};
use tower::ServiceExt;

use crate::{
    control,
    error::{ApiError, ok},
    faults::{FaultState, Verdict},
    methods::{self, Failure},
    params::Params,
    shared::Shared,
    sim::{SimConfig, TelegramSim},
    state::State as World,
};

/// Lets a handler close the connection its request came on.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

impl TelegramSim {
    /// Starts on `127.0.0.1` with a free port, the usual way for tests.
    pub async fn start(config: SimConfig) -> std::io::Result<TelegramSim> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts on `addr`, for the standalone binary.
    pub async fn start_on(addr: SocketAddr, config: SimConfig) -> std::io::Result<TelegramSim> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = World::new(config.limits, FaultState::new(config.faults));
        let shared = Arc::new(Shared::new(state, addr));
        tokio::spawn(serve(listener, router(shared.clone())));
        Ok(TelegramSim::from_shared(shared))
    }
}

/// Serves `router` on `listener` until the runtime stops.
async fn serve(listener: TcpListener, router: Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let router = router.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let handle = ConnKill(kill.clone());
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(handle.clone());
                let router = router.clone();
                async move {
                    Ok::<_, Infallible>(router.oneshot(req.map(Body::new)).await.into_response())
                }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
            }
        });
    }
}

/// The Bot API routes and the control API under `/_sim`.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .nest("/_sim", control::router())
        .route("/{bot}/{method}", any(api))
        .with_state(shared)
}

/// One Bot API call: `/bot{TOKEN}/{method}`.
async fn api(
    State(sh): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    let kill = req.extensions().get::<ConnKill>().cloned();
    let Some(token) = bot.strip_prefix("bot") else {
        return ApiError::not_found().into_response();
    };
    let outcome = handle(&sh, token, &method, req).await;
    count(&sh, token, &outcome);
    match outcome {
        Ok(result) => ok(result),
        Err(Failure::Api(e)) => e.into_response(),
        Err(Failure::Drop) => match kill {
            Some(ConnKill(kill)) => {
                kill.notify_one();
                std::future::pending().await
            }
            None => ApiError::internal().into_response(),
        },
    }
}

/// Token, method, random faults, parameters, then the method itself.
async fn handle(
    sh: &Arc<Shared>,
    token: &str,
    method: &str,
    req: Request,
) -> Result<serde_json::Value, Failure> {
    let verdict = {
        let mut st = sh.lock();
        let Some(bot) = st.bots.get_mut(token) else {
            return Err(ApiError::unauthorized().into());
        };
        bot.stats.requests += 1;
        if method.eq_ignore_ascii_case("getupdates") {
            bot.stats.polls += 1;
        }
        if !methods::is_known(method) {
            return Err(ApiError::not_found().into());
        }
        let verdict = st.faults.draw(method.eq_ignore_ascii_case("getupdates"));
        if let Verdict::Proceed { slowed: true, .. } = verdict {
            st.bot_mut(token).stats.slowed += 1;
        }
        verdict
    };
    match verdict {
        Verdict::Proceed { delay, .. } => tokio::time::sleep(delay).await,
        Verdict::ServerError { delay } => {
            tokio::time::sleep(delay).await;
            return Err(ApiError::internal().into());
        }
        Verdict::Drop { delay } => {
            // The request is read in full first, so the close is a clean one (an
            // unread body would turn it into a reset): the client sees a connection
            // closed without any answer, as with a stale keep-alive connection.
            let _ = Params::from_request(req).await;
            tokio::time::sleep(delay).await;
            return Err(Failure::Drop);
        }
    }
    let params = Params::from_request(req).await?;
    methods::call(sh, token, method, &params).await
}

/// Counts the answer in the bot's stats (unknown tokens have none).
fn count(sh: &Shared, token: &str, outcome: &Result<serde_json::Value, Failure>) {
    let mut st = sh.lock();
    let Some(bot) = st.bots.get_mut(token) else {
        return;
    };
    let stats = &mut bot.stats;
    match outcome {
        Ok(_) => {}
        Err(Failure::Drop) => stats.dropped += 1,
        Err(Failure::Api(e)) if e.code == 429 => stats.too_many_requests += 1,
        Err(Failure::Api(e)) if e.code >= 500 => stats.server_errors += 1,
        Err(Failure::Api(_)) => stats.client_errors += 1,
    }
}
