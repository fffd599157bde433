//! The Redis backend on a Redis Cluster (`TEST_REDIS_CLUSTER_URLS`, started by
//! `.ci/redis-cluster.sh`): where the keys land, that counts agree with a single
//! server, and the binary configured with `REDIS_CLUSTER_NODES`. The shared suite in
//! `sketch_store.rs` runs on the cluster too (`on_redis_cluster`).

use crate::sketch_store::{
    assert_close, cluster_nodes, day, delete_keys, delete_keys_on, env_or_skip, ids, metric,
};
use milestone_bot::sketch::redis::{KeyShape, RedisConnection};
use milestone_bot::sketch::{MetricName, RedisStore, SketchStore};
use std::collections::BTreeSet;

/// A unique key prefix per test.
fn prefix() -> String {
    format!("test_{:016x}", rand::random::<u64>())
}

/// The cluster's store and a raw cluster connection beside it, under `prefix`.
async fn cluster(prefix: &str) -> Option<(RedisStore, RedisConnection)> {
    let nodes = cluster_nodes(&env_or_skip("TEST_REDIS_CLUSTER_URLS")?);
    let store = RedisStore::connect_cluster(&nodes, prefix).await.unwrap();
    let conn = store.connection();
    Some((store, conn))
}

async fn keyslot(conn: &mut RedisConnection, key: &str) -> u16 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(conn)
        .await
        .unwrap()
}

/// The 30 days ending on the 26th, each with its own ids and a tenth of them shared
/// with the day before; returns how many distinct ids that is.
async fn fill_30_days(store: &impl SketchStore, name: &MetricName) -> u64 {
    for (i, d) in metric("mau").window(day(26)).into_iter().enumerate() {
        let i = i as u64;
        store
            .add(name, d, &ids(i * 900..i * 900 + 1_000))
            .await
            .unwrap();
    }
    30 * 900 + 100
}

#[tokio::test]
async fn a_metrics_days_share_one_hash_slot_so_one_pfcount_counts_its_window() {
    let prefix = prefix();
    let Some((store, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let (mau, dau) = (metric("mau"), metric("dau"));
    let truth = fill_30_days(&store, &mau.name).await;
    store.add(&dau.name, day(26), &ids(0..10)).await.unwrap();

    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:mau}}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    let mut slots = BTreeSet::new();
    for key in &keys {
        slots.insert(keyslot(&mut conn, key).await);
    }
    let raw: u64 = redis::cmd("PFCOUNT")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();
    let counted = store.count(&mau, day(26)).await.unwrap();
    let tag_slot = keyslot(&mut conn, &format!("{prefix}:mau")).await;
    let dau_key = format!("{{{prefix}:dau}}:2026-11-26");
    let dau_exists: bool = redis::cmd("EXISTS")
        .arg(&dau_key)
        .query_async(&mut conn)
        .await
        .unwrap();

    delete_keys_on(&mut conn, &format!("{{{prefix}:*")).await;
    assert_eq!(keys.len(), 30, "{keys:?}");
    assert_eq!(keys[0], format!("{{{prefix}:mau}}:2026-10-28"));
    assert_eq!(keys[29], format!("{{{prefix}:mau}}:2026-11-26"));
    // Every day in the slot of the tag alone: `PREFIX:METRIC` picks the node.
    assert_eq!(slots, BTreeSet::from([tag_slot]));
    assert!(dau_exists, "the dau key has the same shape");
    assert_eq!(counted.value, raw);
    assert_close(counted, truth);
}

#[tokio::test]
async fn without_the_hash_tag_a_window_spans_slots_and_the_cluster_refuses_pfcount() {
    let prefix = prefix();
    let Some((_, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let mau = metric("mau");
    let keys: Vec<String> = mau
        .window(day(26))
        .into_iter()
        .map(|d| KeyShape::Plain.day_key(&prefix, &mau.name, d))
        .collect();
    let mut slots = BTreeSet::new();
    for key in &keys {
        redis::cmd("PFADD")
            .arg(key)
            .arg("u")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        slots.insert(keyslot(&mut conn, key).await);
    }
    let refused = redis::cmd("PFCOUNT")
        .arg(&keys)
        .query_async::<u64>(&mut conn)
        .await;

    delete_keys_on(&mut conn, &format!("{prefix}:*")).await;
    assert!(slots.len() > 1, "30 untagged keys in one slot: {slots:?}");
    let err = refused.expect_err("PFCOUNT across slots");
    assert!(
        err.to_string().to_lowercase().contains("crossslot"),
        "{err}"
    );
}

#[tokio::test]
async fn the_cluster_counts_exactly_what_a_single_server_counts_for_the_same_ids() {
    let prefix = prefix();
    let Some((clustered, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let Some(url) = env_or_skip("TEST_REDIS_URL") else {
        return;
    };
    let single = RedisStore::connect(&url, &prefix).await.unwrap();
    let metrics = [metric("dau"), metric("wau"), metric("mau")];
    let mut counts = Vec::new();
    for m in &metrics {
        fill_30_days(&clustered, &m.name).await;
        fill_30_days(&single, &m.name).await;
        for at in [day(26), day(20)] {
            counts.push((
                m.name.to_string(),
                at,
                clustered.count(m, at).await.unwrap(),
                single.count(m, at).await.unwrap(),
            ));
        }
    }
    let mau = &metrics[2];
    let sketches = (
        clustered.day_sketch(&mau.name, day(26)).await.unwrap(),
        single.day_sketch(&mau.name, day(26)).await.unwrap(),
    );

    delete_keys_on(&mut conn, &format!("{{{prefix}:*")).await;
    delete_keys(&url, &format!("{prefix}:*")).await;
    for (name, at, on_cluster, on_single) in counts {
        assert_eq!(on_cluster, on_single, "{name} at {at}");
        assert!(on_cluster.value > 0, "{name} at {at}");
    }
    assert!(sketches.0.is_some());
    assert_eq!(sketches.0, sketches.1);
}

#[tokio::test]
async fn a_service_pfadding_hash_tagged_keys_is_read_by_the_cluster_backend() {
    let prefix = prefix();
    let Some((store, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let mau = metric("mau");
    // What a service does on its own: PFADD {PREFIX:METRIC}:YYYY-MM-DD.
    for d in [day(25), day(26)] {
        let key = format!("{{{prefix}:mau}}:{d}");
        for chunk in ids(0..20_000).chunks(2_000) {
            redis::cmd("PFADD")
                .arg(&key)
                .arg(chunk)
                .query_async::<()>(&mut conn)
                .await
                .unwrap();
        }
    }
    let pfcount: u64 = redis::cmd("PFCOUNT")
        .arg(format!("{{{prefix}:mau}}:2026-11-25"))
        .arg(format!("{{{prefix}:mau}}:2026-11-26"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let counted = store.count(&mau, day(26)).await.unwrap();
    let sketch = store.day_sketch(&mau.name, day(26)).await.unwrap();

    delete_keys_on(&mut conn, &format!("{{{prefix}:*")).await;
    assert_eq!(counted.value, pfcount);
    assert_close(counted, 20_000);
    assert_close(
        milestone_bot::sketch::Estimate::new(sketch.unwrap().count()),
        20_000,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_posted_to_the_running_bot_land_in_the_clusters_hash_tagged_keys() {
    let prefix = prefix();
    let Some((store, mut conn)) = cluster(&prefix).await else {
        return;
    };
    let nodes = std::env::var("TEST_REDIS_CLUSTER_URLS").unwrap();
    let token = "cluster-ingest-token-0123456789";
    let Some(app) =
        crate::helpers::TestApp::spawn_with(milestone_bot::storage::Backend::Sqlite, |env| {
            for (k, v) in [
                ("SKETCH_BACKEND", "redis"),
                ("REDIS_CLUSTER_NODES", nodes.as_str()),
                ("REDIS_PREFIX", prefix.as_str()),
                ("INGEST_TOKEN", token),
            ] {
                env.insert(k.to_owned(), v.to_owned());
            }
        })
        .await
    else {
        return;
    };
    let client = reqwest::Client::new();
    let url = format!("http://{}/v1/events", app.http_addr);
    let mut statuses = Vec::new();
    for (d, range) in [("2026-11-25", 0..3_000), ("2026-11-26", 2_000..6_000)] {
        let body = serde_json::json!({"metric": "mau", "day": d, "ids": ids(range)});
        let response = client
            .post(&url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    let mau = metric("mau");
    let counted = store.count(&mau, day(26)).await.unwrap();
    let key = format!("{{{prefix}:mau}}:2026-11-26");
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    app.stop().await;

    delete_keys_on(&mut conn, &format!("{{{prefix}:*")).await;
    assert!(statuses.iter().all(|s| s.as_u16() == 202), "{statuses:?}");
    assert!(exists, "{key} was not written");
    assert_close(counted, 6_000);
}

mod binary;
