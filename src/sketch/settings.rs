//! Which backend keeps the sketches, as plain values: `config` builds them from
//! `SKETCH_BACKEND`, `REDIS_URL`, `REDIS_CLUSTER_NODES` and `REDIS_PREFIX`, and
//! [`SketchStoreKind::open`](super::SketchStoreKind::open) opens the one chosen.

/// Where sketches live.
#[derive(Debug, Clone, PartialEq)]
pub enum SketchBackend {
    /// In the bot's SQL database (`DATABASE_URL`), cached in memory.
    Embedded,
    /// In Redis: one server, or a Redis Cluster.
    Redis {
        /// Which server(s), and so which key shape.
        servers: RedisServers,
        /// `REDIS_PREFIX`, the first part of every key (default `milestone`).
        prefix: String,
    },
}

/// The Redis the `redis` backend talks to. URLs may hold a password, so they are
/// never quoted in errors or logs.
#[derive(Debug, Clone, PartialEq)]
pub enum RedisServers {
    /// `REDIS_URL`, e.g. `redis://127.0.0.1:6379`; keys `PREFIX:METRIC:YYYY-MM-DD`.
    Single {
        /// The server's URL.
        url: String,
    },
    /// `REDIS_CLUSTER_NODES`, seed nodes of a Redis or Valkey Cluster; keys
    /// `{PREFIX:METRIC}:YYYY-MM-DD`, so a metric's days share a hash slot.
    Cluster {
        /// `redis://host:port` URLs; the client learns the other nodes from them.
        nodes: Vec<String>,
        /// `REDIS_URL` was set too. The cluster wins; the start-up log says so, so an
        /// operator who set both is not left guessing which one is used.
        url_ignored: bool,
    },
}
