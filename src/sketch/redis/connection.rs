//! One connection type for a single Redis and for a Redis Cluster, so the store's
//! commands are written once and the key shape follows the topology.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

/// A connection to the store's Redis; clones share the underlying connections.
#[derive(Clone)]
pub enum RedisConnection {
    /// One server (`REDIS_URL`), through a connection that reconnects on its own after
    /// Redis restarts.
    Single(ConnectionManager),
    /// A cluster (`REDIS_CLUSTER_NODES`): a connection per node, each command sent to
    /// the node serving its key's slot, the slot map refreshed when nodes move slots.
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// Connects to one server (`redis://…`, `rediss://…`, `unix://…`).
    pub async fn single(url: &str) -> RedisResult<Self> {
        let client = redis::Client::open(url)?;
        Ok(Self::Single(ConnectionManager::new(client).await?))
    }

    /// Connects to a cluster through any of its `nodes`; the client asks them for
    /// the rest of the topology.
    pub async fn cluster(nodes: &[String]) -> RedisResult<Self> {
        let client = ClusterClient::new(nodes.iter().map(String::as_str))?;
        Ok(Self::Cluster(client.get_async_connection().await?))
    }

    /// `true` for a cluster, whose keys need a hash tag to share a slot.
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}
