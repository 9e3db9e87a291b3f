//! Copying files in and out: the engine's archive endpoints speak tar.

use std::io::Read;
use std::path::PathBuf;

use bollard::query_parameters::UploadToContainerOptionsBuilder;
use bollard::Docker;

use crate::error::{Error, ErrorKind, Result};

/// What to copy into a container.
#[derive(Debug, Clone)]
pub(crate) enum CopySource {
    /// A host file or folder.
    Path(PathBuf),
    /// Bytes to write as a file with the given permission bits.
    Bytes { data: Vec<u8>, mode: u32 },
}

/// A tar archive that, extracted at `/`, puts `source` at the absolute `container_path`.
pub(crate) fn archive(container_path: &str, source: &CopySource) -> Result<Vec<u8>> {
    let inside = container_path.trim_start_matches('/');
    if inside.is_empty() || !container_path.starts_with('/') {
        return Err(Error::new(
            ErrorKind::InvalidRequest,
            format!(
                "cannot copy to '{container_path}': give an absolute file path in the container"
            ),
        ));
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    let io_error = |what: &str, err: std::io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("cannot copy {what} to {container_path}: {err}"),
        )
        .with_source(err)
    };
    match source {
        CopySource::Bytes { data, mode } => {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(*mode);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, inside, data.as_slice())
                .map_err(|e| io_error("bytes", e))?;
        }
        CopySource::Path(path) => {
            let shown = path.display().to_string();
            let meta = std::fs::metadata(path).map_err(|e| io_error(&shown, e))?;
            if meta.is_dir() {
                builder
                    .append_dir_all(inside, path)
                    .map_err(|e| io_error(&shown, e))?;
            } else {
                builder
                    .append_path_with_name(path, inside)
                    .map_err(|e| io_error(&shown, e))?;
            }
        }
    }
    builder.into_inner().map_err(|e| io_error("the archive", e))
}

/// The contents of the single regular file in a tar archive from the engine.
pub(crate) fn single_file(
    archive: &[u8],
    container_path: &str,
    container: &str,
) -> Result<Vec<u8>> {
    let bad = |err: std::io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("cannot read {container_path} copied from {container}: {err}"),
        )
        .with_source(err)
    };
    let mut entries = tar::Archive::new(archive);
    for entry in entries.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut contents = Vec::with_capacity(entry.size() as usize);
                entry.read_to_end(&mut contents).map_err(bad)?;
                return Ok(contents);
            }
            tar::EntryType::Directory => {
                return Err(Error::new(
                    ErrorKind::InvalidRequest,
                    format!("{container_path} in {container} is a directory; copy a file"),
                ))
            }
            _ => {}
        }
    }
    Err(Error::new(
        ErrorKind::Io,
        format!("{container_path} in {container} is not a regular file"),
    ))
}

/// Uploads `source` into container `id` so that it lands at `container_path`.
pub(crate) async fn upload(
    docker: &Docker,
    id: &str,
    who: &str,
    container_path: &str,
    source: &CopySource,
) -> Result<()> {
    let archive = archive(container_path, source)?;
    upload_archive(docker, id, who, container_path, archive).await
}

/// Uploads a tar `archive` (made by [`copy::archive`] for `container_path`) into `id`.
pub(crate) async fn upload_archive(
    docker: &Docker,
    id: &str,
    who: &str,
    container_path: &str,
    archive: Vec<u8>,
) -> Result<()> {
    let options = UploadToContainerOptionsBuilder::new().path("/").build();
    // As a stream, not a whole body: bollard logs whole request bodies at trace level, and
    // these archives hold the modules' password files (the way passwords reach a
    // container without showing up in its create body, environment or any log).
    let body = futures_util::stream::once(std::future::ready(bytes::Bytes::from(archive)));
    docker
        .upload_to_container(id, Some(options), bollard::body_stream(body))
        .await
        .map_err(|e| Error::engine(format!("copying {container_path} into {who}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_through_an_archive() {
        let tar = archive(
            "/etc/app/config.toml",
            &CopySource::Bytes {
                data: b"x = 1\n".to_vec(),
                mode: 0o600,
            },
        )
        .unwrap();
        let mut entries = tar::Archive::new(tar.as_slice());
        let entry = entries.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_str(), Some("etc/app/config.toml"));
        assert_eq!(entry.header().mode().unwrap(), 0o600);
        assert_eq!(
            single_file(&tar, "/etc/app/config.toml", "c").unwrap(),
            b"x = 1\n"
        );
    }

    #[test]
    fn relative_targets_and_missing_files_are_clear_errors() {
        let data = CopySource::Bytes {
            data: vec![],
            mode: 0o644,
        };
        let err = archive("relative.txt", &data).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        let err = archive("/x", &CopySource::Path("/no/such/file".into())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.to_string().contains("/no/such/file"), "{err}");
    }
}
