//! Copying files in and out: the engine's archive endpoints speak tar.

use std::io::Read;
use std::path::PathBuf;

use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::TryStreamExt;

use crate::error::{Error, ErrorKind, Result};

/// The permission bits and the owner of files copied into a container.
///
/// Without one, a copied file belongs to root (uid 0, gid 0) with mode `0644`, or `0755`
/// when it is executable on the host; copied folders are `0755`. Whatever the host file's
/// own owner and mode, the copy is the same on every machine. A server that checks its
/// files needs more: PostgreSQL refuses a TLS key that others than its own user can read.
///
/// ```
/// use throwaway::{ContainerRequest, FileMode};
/// let request = ContainerRequest::new("postgres:15")
///     // 0600, owned by the image's `postgres` user, looked up in its /etc/passwd.
///     .copy_file_with("tls/server.key", "/etc/ssl/server.key", FileMode::new(0o600).owner_name("postgres"))
///     // 0640, owned by uid 999 and gid 999.
///     .copy_bytes_with("ssl = on\n", "/etc/ssl/extra.conf", FileMode::new(0o640).owner(999, 999));
/// # let _ = request;
/// ```
///
/// For a folder, the owner applies to everything in it and the mode to its files; its
/// folders stay `0755`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileMode {
    mode: Option<u32>,
    owner: Owner,
}

/// Who a copied file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Owner {
    /// uid 0, gid 0.
    #[default]
    Root,
    /// These numeric ids.
    Ids { uid: u64, gid: u64 },
    /// A user of the image, and its primary group, looked up in the container's
    /// `/etc/passwd`: ids differ between images (999 in the Debian-based official
    /// `postgres` image, 70 in its Alpine variant).
    Named(String),
}

impl FileMode {
    /// Files get the permission bits `mode`, such as `0o600` (owner as by default: root).
    pub fn new(mode: u32) -> Self {
        FileMode {
            mode: Some(mode & 0o7777),
            owner: Owner::Root,
        }
    }

    /// Files belong to the numeric user `uid` and group `gid`.
    pub fn owner(mut self, uid: u32, gid: u32) -> Self {
        self.owner = Owner::Ids {
            uid: uid.into(),
            gid: gid.into(),
        };
        self
    }

    /// Files belong to the image's user `user` and that user's primary group, looked up in
    /// the container's `/etc/passwd` before it starts. Starting fails with
    /// [`ErrorKind::InvalidRequest`] if the image has no such user.
    pub fn owner_name(mut self, user: impl Into<String>) -> Self {
        self.owner = Owner::Named(user.into());
        self
    }

    /// The permission bits given, if any.
    pub fn mode(&self) -> Option<u32> {
        self.mode
    }

    /// Whether the owner is a user name to look up in the container.
    pub(crate) fn needs_lookup(&self) -> bool {
        matches!(self.owner, Owner::Named(_))
    }
}

/// What to copy into a container, and how the copy should look there.
#[derive(Debug, Clone)]
pub(crate) struct CopySource {
    pub contents: Contents,
    pub mode: FileMode,
}

/// The bytes of a copy.
#[derive(Debug, Clone)]
pub(crate) enum Contents {
    /// A host file or folder.
    Path(PathBuf),
    /// Bytes to write as a file.
    Bytes(Vec<u8>),
}

impl CopySource {
    /// A host file or folder.
    pub(crate) fn path(path: impl Into<PathBuf>, mode: FileMode) -> Self {
        CopySource {
            contents: Contents::Path(path.into()),
            mode,
        }
    }

    /// Bytes to write as a file.
    pub(crate) fn bytes(data: impl Into<Vec<u8>>, mode: FileMode) -> Self {
        CopySource {
            contents: Contents::Bytes(data.into()),
            mode,
        }
    }
}

/// The numeric owner of a copy: `(uid, gid)`, and the user name it was looked up by.
pub(crate) type Ids = (u64, u64, Option<String>);

/// A tar archive that, extracted at `/`, puts `source` at the absolute `container_path`.
///
/// `ids` is the owner that a [`FileMode::owner_name`] was resolved to; without it, such a
/// copy is made as root with the name in the header (so that the archive still differs by
/// the name, for the hash of the request).
pub(crate) fn archive(
    container_path: &str,
    source: &CopySource,
    ids: Option<Ids>,
) -> Result<Vec<u8>> {
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
    match &source.contents {
        Contents::Bytes(data) => {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            builder
                .append_data(&mut header, inside, data.as_slice())
                .map_err(|e| io_error("bytes", e))?;
        }
        Contents::Path(path) => {
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
    let plain = builder
        .into_inner()
        .map_err(|e| io_error("the archive", e))?;
    if source.mode == FileMode::default() {
        return Ok(plain);
    }
    let ids = match (&source.mode.owner, ids) {
        (Owner::Root, _) => (0, 0, None),
        (Owner::Ids { uid, gid }, _) => (*uid, *gid, None),
        (Owner::Named(_), Some(ids)) => ids,
        (Owner::Named(name), None) => (0, 0, Some(name.clone())),
    };
    restamp(&plain, source.mode.mode, ids).map_err(|e| io_error("the archive", e))
}

/// `archive` again, with every entry owned by `ids` and every file given `mode`.
fn restamp(archive: &[u8], mode: Option<u32>, ids: Ids) -> std::io::Result<Vec<u8>> {
    let (uid, gid, name) = ids;
    let mut out = tar::Builder::new(Vec::new());
    for entry in tar::Archive::new(archive).entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let link = entry.link_name()?.map(|l| l.into_owned());
        let mut header = entry.header().clone();
        header.set_uid(uid);
        header.set_gid(gid);
        if let Some(name) = &name {
            header.set_username(name)?;
            header.set_groupname(name)?;
        }
        let kind = header.entry_type();
        if let (Some(mode), true) = (mode, kind.is_file()) {
            header.set_mode(mode);
        }
        match link {
            Some(target) if kind.is_symlink() || kind.is_hard_link() => {
                out.append_link(&mut header, &path, &target)?
            }
            _ => out.append_data(&mut header, &path, &mut entry)?,
        }
    }
    out.into_inner()
}

/// The numeric owner of each copy whose [`FileMode`] names a user, looked up in the
/// container's `/etc/passwd` (which the engine hands out of a created container too).
/// `None` for the others; no engine call if no copy names a user.
pub(crate) async fn lookup_owners(
    docker: &Docker,
    id: &str,
    who: &str,
    sources: &[&CopySource],
) -> Result<Vec<Option<Ids>>> {
    if !sources.iter().any(|s| s.mode.needs_lookup()) {
        return Ok(vec![None; sources.len()]);
    }
    let passwd = download(docker, id, who, "/etc/passwd").await?;
    let passwd = String::from_utf8_lossy(&passwd);
    sources
        .iter()
        .map(|source| match &source.mode.owner {
            Owner::Named(user) => user_ids(&passwd, user)
                .map(|(uid, gid)| Some((uid, gid, Some(user.clone()))))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidRequest,
                        format!(
                            "cannot give a copied file to the user '{user}': {who} has no such                              user in /etc/passwd; name a user of the image, or give numeric ids                              with FileMode::owner(uid, gid)"
                        ),
                    )
                }),
            _ => Ok(None),
        })
        .collect()
}

/// The uid and primary gid of `user` in the text of an `/etc/passwd`.
fn user_ids(passwd: &str, user: &str) -> Option<(u64, u64)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != user {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.trim().parse().ok()?;
        let gid = fields.next()?.trim().parse().ok()?;
        Some((uid, gid))
    })
}

/// The contents of the file at `container_path` in container `id`.
pub(crate) async fn download(
    docker: &Docker,
    id: &str,
    who: &str,
    container_path: &str,
) -> Result<Vec<u8>> {
    let options = DownloadFromContainerOptionsBuilder::new()
        .path(container_path)
        .build();
    let archive: Vec<u8> = docker
        .download_from_container(id, Some(options))
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .map_err(|e| Error::engine(format!("copying {container_path} out of {who}"), e))?;
    single_file(&archive, container_path, who)
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
    let ids = lookup_owners(docker, id, who, &[source])
        .await?
        .pop()
        .flatten();
    let archive = archive(container_path, source, ids)?;
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

    fn bytes(data: &[u8], mode: FileMode) -> CopySource {
        CopySource::bytes(data, mode)
    }

    fn headers(tar: &[u8]) -> Vec<(String, u32, u64, u64)> {
        tar::Archive::new(tar)
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                (
                    entry.path().unwrap().display().to_string(),
                    header.mode().unwrap(),
                    header.uid().unwrap(),
                    header.gid().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn bytes_round_trip_through_an_archive() {
        let tar = archive(
            "/etc/app/config.toml",
            &bytes(b"x = 1\n", FileMode::default()),
            None,
        )
        .unwrap();
        assert_eq!(
            headers(&tar),
            [("etc/app/config.toml".to_string(), 0o644, 0, 0)]
        );
        assert_eq!(
            single_file(&tar, "/etc/app/config.toml", "c").unwrap(),
            b"x = 1\n"
        );
    }

    #[test]
    fn a_file_mode_sets_the_bits_and_the_owner() {
        let mode = FileMode::new(0o600).owner(999, 998);
        let tar = archive("/etc/ssl/server.key", &bytes(b"key", mode), None).unwrap();
        assert_eq!(
            headers(&tar),
            [("etc/ssl/server.key".to_string(), 0o600, 999, 998)]
        );
        assert_eq!(
            single_file(&tar, "/etc/ssl/server.key", "c").unwrap(),
            b"key"
        );
    }

    #[test]
    fn a_folder_gets_the_owner_everywhere_and_the_mode_on_its_files() {
        let dir = std::env::temp_dir().join(format!("throwaway-copy-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.txt"), "a").unwrap();
        let source = CopySource::path(&dir, FileMode::new(0o640).owner(70, 71));
        let tar = archive("/srv/data", &source, None).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let headers = headers(&tar);
        assert!(
            headers.iter().all(|h| (h.2, h.3) == (70, 71)),
            "{headers:?}"
        );
        let file = headers.iter().find(|h| h.0.ends_with("a.txt")).unwrap();
        assert_eq!(file.1, 0o640, "{headers:?}");
        let sub = headers.iter().find(|h| h.0.ends_with("sub")).unwrap();
        assert_eq!(sub.1, 0o755, "{headers:?}");
    }

    #[test]
    fn a_named_owner_takes_the_ids_it_was_looked_up_to() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\npostgres:x:104:109::/var/lib/postgresql:/bin/bash\n";
        assert_eq!(user_ids(passwd, "postgres"), Some((104, 109)));
        assert_eq!(user_ids(passwd, "nobody"), None);
        let source = bytes(b"k", FileMode::new(0o600).owner_name("postgres"));
        assert!(source.mode.needs_lookup());
        let resolved = archive("/k", &source, Some((104, 109, Some("postgres".into())))).unwrap();
        assert_eq!(headers(&resolved), [("k".to_string(), 0o600, 104, 109)]);
        // Before the lookup (for the request's hash) the name alone tells copies apart.
        let unresolved = archive("/k", &source, None).unwrap();
        let other = archive(
            "/k",
            &bytes(b"k", FileMode::new(0o600).owner_name("mysql")),
            None,
        )
        .unwrap();
        assert_ne!(unresolved, other);
    }

    #[test]
    fn relative_targets_and_missing_files_are_clear_errors() {
        let data = bytes(b"", FileMode::default());
        let err = archive("relative.txt", &data, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        let source = CopySource::path("/no/such/file", FileMode::default());
        let err = archive("/x", &source, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.to_string().contains("/no/such/file"), "{err}");
    }
}
