//! Making sure an image is present: the pull policy and the pull itself.

use bollard::query_parameters::CreateImageOptionsBuilder;
use futures_util::StreamExt;

use super::auth::{credentials_for, ProgramHelpers};
use super::ImageRef;
use crate::engine::environment::RealEnvironment;
use crate::engine::Engine;
use crate::error::{engine_detail, engine_status, Error, ErrorKind, Result};
use bollard::auth::DockerCredentials;

/// When to pull an image before creating a container from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[non_exhaustive]
pub enum PullPolicy {
    /// Pull only when the engine does not have the image (the default).
    #[default]
    Missing,
    /// Always pull, to pick up a newer image behind a moving tag such as `latest`.
    Always,
    /// Never pull: fail if the engine does not have the image.
    Never,
}

/// The reference as the engine's pull endpoint wants it: without a tag or digest it would
/// pull every tag of the repository, so `latest` is made explicit.
pub(crate) fn pullable(image: &ImageRef) -> String {
    if image.tag().is_none() && image.digest().is_none() {
        format!("{image}:latest")
    } else {
        image.to_string()
    }
}

/// Ensures the engine has `image`, pulling it according to `policy`.
pub(crate) async fn ensure_image(
    engine: &Engine,
    image: &ImageRef,
    policy: PullPolicy,
) -> Result<()> {
    let reference = pullable(image);
    if policy != PullPolicy::Always {
        match engine.docker().inspect_image(&reference).await {
            Ok(_) => return Ok(()),
            Err(err) if engine_status(&err) == Some(404) => {}
            Err(err) => return Err(Error::engine(format!("inspecting image {reference}"), err)),
        }
        if policy == PullPolicy::Never {
            return Err(Error::new(
                ErrorKind::ImageUnavailable,
                format!(
                    "image {reference} is not present on the engine and the pull policy is \
                     `Never`; build or tag it locally (docker build -t {reference} …), or allow \
                     pulling with PullPolicy::Missing"
                ),
            ));
        }
    }
    let lookup = image.clone();
    // Credential helpers are programs: ask them off the async threads.
    let credentials = tokio::task::spawn_blocking(move || {
        credentials_for(&RealEnvironment, &ProgramHelpers, &lookup)
    })
    .await
    .unwrap_or(None);
    pull(engine, &reference, credentials).await
}

async fn pull(
    engine: &Engine,
    reference: &str,
    credentials: Option<DockerCredentials>,
) -> Result<()> {
    tracing::info!(image = %reference, "pulling image");
    let options = CreateImageOptionsBuilder::new()
        .from_image(reference)
        .build();
    let mut progress = engine
        .docker()
        .create_image(Some(options), None, credentials);
    while let Some(item) = progress.next().await {
        match item {
            Ok(info) => {
                if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                    return Err(cannot_pull(reference, &detail));
                }
                // Layer-by-layer progress is noisy: keep it at trace, status changes at debug.
                match (&info.id, &info.status, &info.progress_detail) {
                    (Some(id), Some(status), Some(p)) if p.current.is_some() => {
                        tracing::trace!(image = %reference, layer = %id, %status, current = ?p.current, total = ?p.total, "pull progress")
                    }
                    (id, Some(status), _) => {
                        tracing::debug!(image = %reference, layer = ?id, %status, "pull")
                    }
                    _ => {}
                }
            }
            Err(err) => {
                let detail = engine_detail(&err);
                return Err(cannot_pull(reference, &detail).with_source(err));
            }
        }
    }
    tracing::info!(image = %reference, "pulled image");
    Ok(())
}

fn cannot_pull(reference: &str, detail: &str) -> Error {
    Error::new(
        ErrorKind::ImageUnavailable,
        format!(
            "image {reference} is not present on the engine and pulling it failed: {detail}. \
             If this machine cannot reach the registry, set TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX \
             (or hub.image.name.prefix in ~/.testcontainers.properties) to a mirror you can \
             reach, or build/tag the image locally (docker build -t {reference} …); check the \
             spelling of the name and tag too"
        ),
    )
}

/// The image reference to create from: the registry prefix applied, and the image present
/// on the engine (pulled if the policy says so).
pub(crate) async fn resolve(
    engine: &Engine,
    image: ImageRef,
    policy: PullPolicy,
) -> Result<String> {
    let image = match engine.settings().hub_image_name_prefix() {
        Some(prefix) => image.with_registry_prefix(&prefix)?,
        None => image,
    };
    ensure_image(engine, &image, policy).await?;
    Ok(pullable(&image))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_without_tag_pulls_latest_only() {
        let plain: ImageRef = "redis".parse().unwrap();
        assert_eq!(pullable(&plain), "redis:latest");
        let tagged: ImageRef = "redis:7.0".parse().unwrap();
        assert_eq!(pullable(&tagged), "redis:7.0");
    }
}
