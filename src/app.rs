//! Wiring: [`App::build`] turns a [`Config`] into running parts, and
//! [`App::run_until_stopped`] runs them until the shutdown future resolves. Tests
//! build the app through the same code as `main`.

use crate::broadcast::card::Cards;
use crate::broadcast::lease::Lease;
use crate::broadcast::{BroadcastHandle, Worker};
use crate::config::Config;
use crate::http::health::Readiness;
use crate::http::ingest::Ingest;
use crate::milestones::watcher::{MilestoneEvent, SketchCounter, Watcher};
use crate::render::CardMaker;
use crate::sketch::{SketchStore, SketchStoreKind};
use crate::storage::Db;
use crate::telegram::dispatch::UpdateSource;
use crate::telegram::{self, BotContext};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The bot, built and ready to run.
pub struct App {
    config: Config,
    db: Db,
    /// The sketch store chosen by `SKETCH_BACKEND`, shared by ingest and the watcher.
    store: SketchStoreKind,
    /// Reads the metrics every `WATCH_INTERVAL` and records milestones.
    watcher: Watcher<SketchCounter>,
    /// The metrics the watcher reads, for admin status and previews.
    watched: Vec<crate::milestones::watcher::WatchedMetric>,
    bot: Bot,
    /// Bound at build time so tests (port 0) learn the address before running.
    listener: TcpListener,
    /// The broadcast sender, run beside the dispatcher when enabled.
    broadcaster: Worker,
    /// This install's key for pseudonyms of people (logs, audit).
    pseudonyms: crate::privacy::PseudonymKey,
    /// Draws milestone cards (`CARD`), for admin previews.
    cards: CardMaker,
}

impl App {
    /// Opens the database (migrating it), prepares the Bot API client and binds the
    /// HTTP port. Nothing talks to Telegram yet.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        crate::telemetry::register_secret(config.telegram.token.expose());
        if let Some(hook) = &config.telegram.webhook {
            crate::telemetry::register_secret(hook.secret.expose());
        }
        let db = Db::connect_and_migrate(&config.database.url)
            .await
            .context("opening the database")?;
        if let Some(token) = &config.ingest.token {
            crate::telemetry::register_secret(token.expose());
        }
        let pseudonyms = pseudonym_key(&db).await?;
        crate::privacy::use_for_logs(&pseudonyms);
        let store = SketchStoreKind::open(&config.sketch.backend, Some(&db))
            .await
            .context("opening the sketch store")?;
        let counter = SketchCounter {
            store: store.clone(),
            metrics: config.sketch.metrics.clone(),
        };
        let watched = counter.watched();
        let watcher = Watcher::new(
            db.clone(),
            counter,
            watched.clone(),
            config.milestones.clone(),
        );
        watcher
            .seed_rules()
            .await
            .context("seeding the default milestone rules")?;
        let bot = make_bot(&config);
        let listener = TcpListener::bind(config.http.addr)
            .await
            .with_context(|| format!("binding the HTTP server to {}", config.http.addr))?;
        let cards = CardMaker::new(
            config.card.format,
            config.card.look.clone(),
            watched.clone(),
        );
        let broadcast_bot = make_broadcast_bot(&config);
        let broadcaster = Worker::new(
            db.clone(),
            broadcast_bot.clone(),
            config.broadcast.clone(),
            config.telegram.admin_ids.clone(),
            config.telegram.token.bot_id(),
        )
        .with_cards(Cards::new(cards.clone()))
        .with_resend_offer(Arc::new(telegram::resend::ResendButtons::new(
            broadcast_bot,
            db.clone(),
        )));
        Ok(App {
            config,
            db,
            store,
            watched,
            watcher,
            bot,
            listener,
            broadcaster,
            pseudonyms,
            cards,
        })
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn store(&self) -> &SketchStoreKind {
        &self.store
    }

    /// Milestones announced or drafted, and drafts released, as they happen.
    pub fn milestone_events(&self) -> broadcast::Receiver<MilestoneEvent> {
        self.watcher.subscribe()
    }

    /// Wakes the broadcast worker when something queues work.
    pub fn broadcast(&self) -> BroadcastHandle {
        self.broadcaster.handle()
    }

    /// What the Telegram handlers share.
    fn bot_context(&self) -> BotContext {
        BotContext {
            db: self.db.clone(),
            admin_ids: Arc::new(self.config.telegram.admin_ids.clone()),
            metrics: Arc::new(
                self.config
                    .sketch
                    .metrics
                    .iter()
                    .map(|m| m.name.as_str().to_owned())
                    .collect(),
            ),
            confirm_ttl: self.config.telegram.confirm_ttl,
            watched: Arc::new(self.watched.clone()),
            broadcast: self.broadcaster.handle(),
            detector: self.config.milestones.detector,
            counter: SketchCounter {
                store: self.store.clone(),
                metrics: self.config.sketch.metrics.clone(),
            },
            pseudonyms: self.pseudonyms.clone(),
            cards: self.cards.clone(),
        }
    }

    /// Runs the dispatcher and the HTTP server until `shutdown` resolves, then lets
    /// in-flight handlers finish and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let me = self.bot.get_me().await.map_err(|e| {
            anyhow::anyhow!(crate::telemetry::redact(&format!(
                "Telegram refused getMe: {e}"
            )))
        })?;
        tracing::info!(bot = %me.username(), http = %self.http_addr(), "starting");
        crate::telemetry::metrics::install();
        let sender = self.broadcaster.status();
        if !self.config.broadcast.enabled {
            sender.set(crate::broadcast::SenderState::Disabled);
        }
        let ready = Arc::new(Readiness::new(
            self.db.clone(),
            self.store.clone(),
            self.config
                .sketch
                .metrics
                .iter()
                .next()
                .map(|m| m.name.clone()),
            Some(sender),
        ));
        ready.bot_api_answered();
        telegram::register_commands(&self.bot, &self.config.telegram.admin_ids).await;

        let ctx = self.bot_context();
        let stop = CancellationToken::new();
        let ingest = self.config.ingest.token.is_some().then(|| {
            Arc::new(Ingest {
                store: self.store.clone(),
                metrics: self.config.sketch.metrics.clone(),
                config: self.config.ingest.clone(),
            })
        });
        let (webhook_route, source) = match &self.config.telegram.webhook {
            Some(hook) => {
                let (route, updates) = telegram::webhook::webhook(hook.path(), hook.secret.clone());
                (Some(route), UpdateSource::Webhook(updates))
            }
            None => (
                None,
                UpdateSource::Polling {
                    timeout: self.config.telegram.poll_timeout,
                    lease: Lease::new(
                        self.db.clone(),
                        &format!("{}:updates", self.config.telegram.token.bot_id()),
                        self.config.broadcast.lease_ttl,
                    ),
                },
            ),
        };
        let http_state = crate::http::HttpState {
            ready: ready.clone(),
            ingest,
            webhook: webhook_route,
        };
        let http = tokio::spawn(serve_http(self.listener, http_state, stop.clone()));
        let sampling = {
            let db = self.db.clone();
            tokio::spawn(crate::telemetry::metrics::sample(
                Duration::from_secs(5),
                move || {
                    let db = db.clone();
                    async move { crate::broadcast::queue::pending_count(&db).await.ok() }
                },
                stop.clone(),
            ))
        };
        let probe = tokio::spawn(crate::http::health::probe_bot_api(
            self.bot.clone(),
            ready,
            stop.clone(),
        ));
        let stop_flusher = CancellationToken::new();
        let flusher = self
            .store
            .spawn_flusher(self.config.sketch.flush_interval, stop_flusher.clone());
        let notifier = tokio::spawn(telegram::notify::run(
            self.bot.clone(),
            self.config.telegram.admin_ids.clone(),
            self.watcher.subscribe(),
            stop.clone(),
        ));
        let watcher = tokio::spawn(self.watcher.run(stop.clone()));
        // The sender stops claiming as soon as shutdown starts; its requests in
        // flight finish and are recorded while the dispatcher winds down.
        let broadcast_stop = stop.child_token();
        let broadcasting = self
            .config
            .broadcast
            .enabled
            .then(|| tokio::spawn(self.broadcaster.clone().run(broadcast_stop.clone())));

        // The route serves before Telegram is told about it, so its first POST lands.
        if let Some(hook) = &self.config.telegram.webhook {
            set_webhook(&self.bot, hook).await?;
        }
        let result = telegram::dispatch::dispatch_until(
            self.bot.clone(),
            ctx,
            self.config.telegram.token.bot_id(),
            source,
            shutdown,
            || broadcast_stop.cancel(),
        )
        .await;
        stop.cancel();
        // Every part is waited for, and the store flushed and the database closed,
        // even when one part failed: its error is reported after the others stopped.
        let mut outcome = result;
        let mut keep = |res: anyhow::Result<()>| {
            if let Err(err) = res {
                tracing::error!(error = %crate::telemetry::redact(&format!("{err:#}")), "stopping");
                if outcome.is_ok() {
                    outcome = Err(err);
                }
            }
        };
        if let Some(broadcasting) = broadcasting {
            keep(joined(broadcasting.await, "the broadcast worker task"));
        }
        keep(joined(http.await, "the HTTP server task"));
        keep(probe.await.context("the Bot API probe task"));
        keep(sampling.await.context("the metrics sampler task"));
        keep(watcher.await.context("the milestone watcher task"));
        keep(notifier.await.context("the admin notifier task"));
        // Ingest has stopped: the last flush sees every acknowledged id.
        stop_flusher.cancel();
        if let Some(flusher) = flusher {
            keep(flusher.await.context("the sketch flush task"));
        }
        keep(
            self.store
                .flush()
                .await
                .context("flushing the sketch store on shutdown"),
        );
        self.db.close().await;
        tracing::info!("stopped");
        outcome
    }
}

/// Registers `WEBHOOK_URL` with Telegram: the secret it must send back and the
/// update kinds we handle. The webhook stays set at shutdown: other instances may
/// serve it, and Telegram keeps updates for one that is down.
async fn set_webhook(bot: &Bot, hook: &crate::config::WebhookConfig) -> anyhow::Result<()> {
    bot.set_webhook(hook.url.clone())
        .secret_token(hook.secret.expose().to_owned())
        .allowed_updates(telegram::dispatch::allowed_updates())
        .await
        .map_err(|e| {
            anyhow::anyhow!(crate::telemetry::redact(&format!(
                "Telegram refused setWebhook: {e}"
            )))
        })?;
    tracing::info!(path = hook.path(), "taking updates by webhook");
    Ok(())
}

/// The install's pseudonym key, made on the first start and kept in the database.
async fn pseudonym_key(db: &Db) -> anyhow::Result<crate::privacy::PseudonymKey> {
    use crate::privacy::PseudonymKey;
    let stored = crate::storage::install::secret(db, "pseudonym_key", || {
        PseudonymKey::generate().as_bytes().to_vec()
    })
    .await
    .context("reading the install's pseudonym key")?;
    PseudonymKey::from_bytes(&stored)
        .context("the stored pseudonym key (install_secrets) has the wrong length")
}

/// A task's own result, or its panic, as one result.
fn joined(
    res: Result<anyhow::Result<()>, tokio::task::JoinError>,
    what: &'static str,
) -> anyhow::Result<()> {
    res.context(what)?
}

/// A teloxide client pointed at the configured Bot API server, with a request
/// timeout longer than the long poll so a quiet poll is not mistaken for a failure.
fn make_bot(config: &Config) -> Bot {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(config.telegram.poll_timeout + Duration::from_secs(10))
        .build()
        .expect("the HTTP client builds with default settings");
    Bot::with_client(config.telegram.token.expose(), client)
        .set_api_url(config.telegram.api_url.clone())
}

/// The broadcast's own client: its timeout bounds one send, which is far shorter
/// than a long poll. Connecting has its own, shorter timeout, so a connection that
/// never opened reads as such (nothing was sent: retried) rather than as a request
/// left unanswered (maybe posted: unknown).
fn make_broadcast_bot(config: &Config) -> Bot {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(config.broadcast.request_timeout)
        .connect_timeout(
            config
                .broadcast
                .request_timeout
                .min(Duration::from_secs(10))
                / 2,
        )
        .pool_max_idle_per_host(config.broadcast.in_flight)
        .build()
        .expect("the HTTP client builds with default settings");
    Bot::with_client(config.telegram.token.expose(), client)
        .set_api_url(config.telegram.api_url.clone())
}

async fn serve_http(
    listener: TcpListener,
    state: crate::http::HttpState,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let router = crate::http::router(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
        .context("serving HTTP")
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
