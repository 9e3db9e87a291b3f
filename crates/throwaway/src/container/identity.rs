//! Which container a request stands for: a new one of its own, the one shared by every
//! process of the session, or one reused across runs.
//!
//! Shared and reused containers have names derived from a hash of the whole request, so
//! that every process asking for the same thing arrives at the same name: the first creates
//! the container, the others get the engine's name conflict and attach to it instead.

use std::future::Future;

use bollard::models::ContainerCreateBody;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::engine::{labels, Engine};
use crate::error::Result;

/// Marks a reused container; `docker ps --filter label=org.testcontainers.reuse=true`
/// lists them for cleanup.
pub(crate) const REUSE_LABEL: &str = "org.testcontainers.reuse";
/// The hash of the request a reused or shared container was made from.
pub(crate) const HASH_LABEL: &str = "org.testcontainers.hash";

tokio::task_local! {
    /// Set while a [`crate::Shared`] value starts: containers started in this scope are
    /// shared by the session's processes when the session spans several.
    static SHARED_SCOPE: ();
}

/// Runs `fut` so that the containers it starts may be shared across the session's processes.
pub(crate) async fn in_shared_scope<F: Future>(fut: F) -> F::Output {
    SHARED_SCOPE.scope((), fut).await
}

fn in_scope() -> bool {
    SHARED_SCOPE.try_with(|_| ()).is_ok()
}

/// What the container of a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    /// A container of its own, with the request's name (if any); removed on drop.
    Own(Option<String>),
    /// Shared by every process of a multi-process session; removed by the reaper once the
    /// session ends.
    Shared(String),
    /// Reused across runs; never removed by the library.
    Reused(String),
}

impl Identity {
    /// The name to create the container under.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Identity::Own(name) => name.as_deref(),
            Identity::Shared(name) | Identity::Reused(name) => Some(name),
        }
    }

    /// Whether other handles (processes, runs) may hold the same container, so that this
    /// one must not remove it.
    pub(crate) fn is_kept(&self) -> bool {
        !matches!(self, Identity::Own(_))
    }
}

/// Decides the identity of a request's container, adjusting the labels of `body` to match:
/// a reused container carries no session label, so that no reaper removes it.
///
/// `copied` holds the archives copied in before start: they are part of what the container
/// is, so they are part of the hash.
pub(crate) fn decide(
    engine: &Engine,
    reuse: bool,
    own_name: Option<&str>,
    body: &mut ContainerCreateBody,
    copied: &[Vec<u8>],
) -> Result<Identity> {
    if own_name.is_some() {
        return Ok(Identity::Own(own_name.map(str::to_string)));
    }
    if reuse {
        if !engine.settings().reuse_enabled()? {
            tracing::debug!(
                "reuse asked for, but not enabled (TESTCONTAINERS_REUSE_ENABLE / \
                 testcontainers.reuse.enable): starting a container of its own"
            );
            return Ok(Identity::Own(None));
        }
        let labels = body.labels.get_or_insert_with(Default::default);
        labels.remove(labels::SESSION_ID);
        let hash = request_hash(body, copied);
        let labels = body.labels.get_or_insert_with(Default::default);
        labels.insert(REUSE_LABEL.to_string(), "true".to_string());
        labels.insert(HASH_LABEL.to_string(), hash.clone());
        return Ok(Identity::Reused(format!("throwaway-reuse-{}", &hash[..24])));
    }
    if in_scope() && engine.session_spans_processes() && !engine.settings().ryuk_disabled()? {
        let hash = request_hash(body, copied);
        body.labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.to_string(), hash.clone());
        return Ok(Identity::Shared(format!(
            "throwaway-shared-{}-{}",
            &engine.session_id()[..12],
            &hash[..24]
        )));
    }
    Ok(Identity::Own(None))
}

/// A stable hash of everything that defines the container: the create body with its maps
/// in key order, and the files copied in.
pub(crate) fn request_hash(body: &ContainerCreateBody, copied: &[Vec<u8>]) -> String {
    let value = serde_json::to_value(body).unwrap_or(Value::Null);
    let mut hasher = Sha256::new();
    hasher.update(canonical(&value).as_bytes());
    for archive in copied {
        hasher.update((archive.len() as u64).to_le_bytes());
        hasher.update(archive);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON text with object keys sorted at every level, whatever order the maps had.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn body(labels: &[(&str, &str)], env: &[&str]) -> ContainerCreateBody {
        ContainerCreateBody {
            image: Some("redis:7.0".into()),
            env: Some(env.iter().map(|s| s.to_string()).collect()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<HashMap<_, _>>(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn the_hash_ignores_map_order_but_not_content() {
        let a = body(&[("a", "1"), ("b", "2"), ("c", "3")], &["X=1"]);
        let b = body(&[("c", "3"), ("b", "2"), ("a", "1")], &["X=1"]);
        assert_eq!(request_hash(&a, &[]), request_hash(&b, &[]));
        let other_env = body(&[("a", "1"), ("b", "2"), ("c", "3")], &["X=2"]);
        assert_ne!(request_hash(&a, &[]), request_hash(&other_env, &[]));
        assert_ne!(request_hash(&a, &[]), request_hash(&a, &[b"file".to_vec()]));
        assert_eq!(request_hash(&a, &[]).len(), 64);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value: Value = serde_json::json!({"b": {"y": 1, "x": [ {"d": 1, "c": 2} ]}, "a": null});
        assert_eq!(
            canonical(&value),
            r#"{"a":null,"b":{"x":[{"c":2,"d":1}],"y":1}}"#
        );
    }
}
