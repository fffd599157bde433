//! Differential tests of our HyperLogLog against a real Redis, on a single server
//! and on a Redis Cluster.
//!
//! They need `TEST_REDIS_URL` (e.g. `redis://127.0.0.1:6379`) and
//! `TEST_REDIS_CLUSTER_URLS` (comma-separated node URLs) and print
//! `skipped: … not set` without them. Each test uses its own key prefix
//! `test:hll:<random>:` (on the cluster `{test:hll:<random>}:`, so a test's keys
//! share a slot and one `PFCOUNT` takes them all), gives every key a 10-minute expiry
//! as a safety net and deletes its keys at the end. Ids are random test data.

use milestone_bot::sketch::hll::Hll;
use milestone_bot::sketch::redis::RedisConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Ids per `PFADD`; ten of those go in one pipeline round trip.
const BATCH: usize = 10_000;

#[derive(Clone, Copy)]
enum Topology {
    Single,
    Cluster,
}

/// Each test becomes a module with `on_single_server` and `on_cluster` tests.
macro_rules! on_single_server_and_cluster {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn on_single_server() { super::$case(super::Topology::Single).await }
            #[tokio::test]
            async fn on_cluster() { super::$case(super::Topology::Cluster).await }
        }
    )*};
}

on_single_server_and_cluster!(
    random_id_sets_count_exactly_what_redis_pfcount_answers,
    bytes_from_redis_load_here_with_the_same_registers_and_count,
    our_bytes_set_into_redis_count_and_grow_there_as_redis_own,
    union_of_30_daily_sketches_equals_redis_pfcount_of_30_keys,
);

struct Redis {
    con: RedisConnection,
    prefix: String,
    keys: Vec<String>,
}

impl Redis {
    async fn connect(topology: Topology) -> Option<Redis> {
        let tag = format!("test:hll:{:016x}", rand::random::<u64>());
        let (con, prefix) = match topology {
            Topology::Single => {
                let url = crate::helpers::service_url("TEST_REDIS_URL")?;
                let con = RedisConnection::single(&url).await;
                (
                    con.expect("Redis at TEST_REDIS_URL answers"),
                    format!("{tag}:"),
                )
            }
            Topology::Cluster => {
                let urls = crate::helpers::service_url("TEST_REDIS_CLUSTER_URLS")?;
                let nodes = crate::sketch_store::cluster_nodes(&urls);
                let con = RedisConnection::cluster(&nodes).await;
                (con.expect("the cluster answers"), format!("{{{tag}}}:"))
            }
        };
        Some(Redis {
            con,
            prefix,
            keys: Vec::new(),
        })
    }

    fn key(&mut self, name: &str) -> String {
        let key = format!("{}{name}", self.prefix);
        self.keys.push(key.clone());
        key
    }

    /// `PFADD` every id, pipelined; an empty list still creates the key.
    async fn pfadd(&mut self, key: &str, ids: &[Vec<u8>]) {
        let mut pipe = redis::pipe();
        pipe.cmd("PFADD").arg(key).ignore();
        pipe.cmd("EXPIRE").arg(key).arg(600).ignore();
        pipe.exec_async(&mut self.con).await.expect("PFADD");
        for round in ids.chunks(BATCH * 10) {
            let mut pipe = redis::pipe();
            for batch in round.chunks(BATCH) {
                pipe.cmd("PFADD").arg(key).arg(batch).ignore();
            }
            pipe.exec_async(&mut self.con).await.expect("PFADD");
        }
    }

    async fn pfcount(&mut self, keys: &[String]) -> u64 {
        redis::cmd("PFCOUNT")
            .arg(keys)
            .query_async(&mut self.con)
            .await
            .expect("PFCOUNT")
    }

    async fn get(&mut self, key: &str) -> Vec<u8> {
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut self.con)
            .await
            .expect("GET")
    }

    async fn set(&mut self, key: &str, bytes: &[u8]) {
        redis::cmd("SET")
            .arg(key)
            .arg(bytes)
            .arg("EX")
            .arg(600)
            .exec_async(&mut self.con)
            .await
            .expect("SET");
    }

    async fn cleanup(mut self) {
        redis::cmd("DEL")
            .arg(&self.keys)
            .exec_async(&mut self.con)
            .await
            .expect("DEL");
    }
}

/// `n` random ids: mostly 8-byte binary (a u64 id), every fifth one a string
/// of random length 0..40 so that every MurmurHash64A tail length is hit.
fn random_ids(rng: &mut StdRng, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            if i % 5 == 4 {
                let len = rng.random_range(0..40);
                (0..len).map(|_| rng.random()).collect()
            } else {
                rng.random::<u64>().to_le_bytes().to_vec()
            }
        })
        .collect()
}

fn sketch_of(ids: &[Vec<u8>]) -> Hll {
    let mut hll = Hll::new();
    hll.add_many(ids.iter().map(Vec::as_slice));
    hll
}

fn rng() -> StdRng {
    let seed = rand::random();
    println!("seed {seed}");
    StdRng::seed_from_u64(seed)
}

async fn random_id_sets_count_exactly_what_redis_pfcount_answers(topology: Topology) {
    let Some(mut redis) = Redis::connect(topology).await else {
        return;
    };
    let mut rng = rng();
    for n in [0, 1, 100, 1_000, 10_000, 1_000_000] {
        let ids = random_ids(&mut rng, n);
        let key = redis.key(&format!("n{n}"));
        redis.pfadd(&key, &ids).await;
        let ours = sketch_of(&ids);
        assert_eq!(
            ours.count(),
            redis.pfcount(std::slice::from_ref(&key)).await,
            "n = {n}"
        );
    }
    redis.cleanup().await;
}

async fn bytes_from_redis_load_here_with_the_same_registers_and_count(topology: Topology) {
    let Some(mut redis) = Redis::connect(topology).await else {
        return;
    };
    let mut rng = rng();
    for n in [0, 3, 500, 2_000, 50_000] {
        let ids = random_ids(&mut rng, n);
        let key = redis.key(&format!("n{n}"));
        redis.pfadd(&key, &ids).await;
        // Once with a stale cache, once after PFCOUNT filled it in.
        let stale = redis.get(&key).await;
        let pfcount = redis.pfcount(std::slice::from_ref(&key)).await;
        let cached = redis.get(&key).await;
        for bytes in [stale, cached] {
            let loaded = Hll::from_redis_bytes(&bytes).expect("Redis bytes load");
            assert_eq!(loaded, sketch_of(&ids), "n = {n}");
            assert_eq!(loaded.count(), pfcount, "n = {n}");
        }
    }
    redis.cleanup().await;
}

async fn our_bytes_set_into_redis_count_and_grow_there_as_redis_own(topology: Topology) {
    let Some(mut redis) = Redis::connect(topology).await else {
        return;
    };
    let mut rng = rng();
    for n in [0, 1, 100, 1_000, 3_000, 10_000, 200_000] {
        let ids = random_ids(&mut rng, n);
        let mut ours = sketch_of(&ids);
        let key = redis.key(&format!("n{n}"));
        redis.set(&key, &ours.to_redis_bytes()).await;
        assert_eq!(
            redis.pfcount(std::slice::from_ref(&key)).await,
            ours.count(),
            "n = {n}"
        );
        // Redis keeps adding into our encoding (sparse or dense) and agrees.
        let more = random_ids(&mut rng, 700);
        redis.pfadd(&key, &more).await;
        ours.add_many(more.iter().map(Vec::as_slice));
        assert_eq!(
            redis.pfcount(std::slice::from_ref(&key)).await,
            ours.count(),
            "n = {n} + 700"
        );
        assert_eq!(
            Hll::from_redis_bytes(&redis.get(&key).await).unwrap(),
            ours,
            "n = {n} + 700"
        );
    }
    redis.cleanup().await;
}

async fn union_of_30_daily_sketches_equals_redis_pfcount_of_30_keys(topology: Topology) {
    let Some(mut redis) = Redis::connect(topology).await else {
        return;
    };
    let mut rng = rng();
    // 30 days of 2,000 .. 20,000 active users drawn from 100,000 users.
    let users = random_ids(&mut rng, 100_000);
    let mut days = Vec::new();
    let mut keys = Vec::new();
    for day in 0..30 {
        let active = rng.random_range(2_000..20_000);
        let ids: Vec<Vec<u8>> = (0..active)
            .map(|_| users[rng.random_range(0..users.len())].clone())
            .collect();
        let key = redis.key(&format!("day{day}"));
        redis.pfadd(&key, &ids).await;
        days.push(sketch_of(&ids));
        keys.push(key);
    }
    let refs: Vec<&Hll> = days.iter().collect();
    assert_eq!(Hll::union_count(&refs), redis.pfcount(&keys).await);
    // A week is the union of its last 7 days.
    assert_eq!(
        Hll::union_count(&refs[23..]),
        redis.pfcount(&keys[23..]).await
    );
    redis.cleanup().await;
}
