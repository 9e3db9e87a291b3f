//! Mounts: host folders, named volumes and tmpfs.

use std::path::PathBuf;

use bollard::models::{Mount as RawMount, MountTmpfsOptions, MountType};

/// Something mounted into a container at start.
///
/// ```
/// use throwaway::Mount;
/// let data = Mount::volume("pgdata", "/var/lib/postgresql/data");
/// let config = Mount::bind("./fixtures", "/fixtures").read_only();
/// let scratch = Mount::tmpfs("/scratch").size_bytes(64 << 20);
/// # let _ = (data, config, scratch);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    kind: Kind,
    target: String,
    read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Bind(PathBuf),
    Volume(String),
    Tmpfs {
        size: Option<i64>,
        mode: Option<i64>,
    },
}

impl Mount {
    /// A host path mounted at `target`. A relative host path is taken from the current
    /// directory, as the engine itself needs an absolute one.
    pub fn bind(host_path: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Bind(host_path.into()), target)
    }

    /// A named volume mounted at `target`; the engine creates it if it does not exist.
    ///
    /// A volume created this way is not removed with the container: it outlives it on
    /// purpose (for example to start a second container on the same data).
    pub fn volume(name: impl Into<String>, target: impl Into<String>) -> Self {
        Mount::new(Kind::Volume(name.into()), target)
    }

    /// An in-memory filesystem at `target`: fast, and gone with the container.
    pub fn tmpfs(target: impl Into<String>) -> Self {
        Mount::new(
            Kind::Tmpfs {
                size: None,
                mode: None,
            },
            target,
        )
    }

    fn new(kind: Kind, target: impl Into<String>) -> Self {
        Mount {
            kind,
            target: target.into(),
            read_only: false,
        }
    }

    /// Mount read-only.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// For tmpfs: the size limit in bytes (ignored for other kinds).
    pub fn size_bytes(mut self, bytes: u64) -> Self {
        if let Kind::Tmpfs { size, .. } = &mut self.kind {
            *size = Some(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        self
    }

    /// For tmpfs: the permission bits of its root, e.g. `0o1777` (ignored for other kinds).
    pub fn mode(mut self, bits: u32) -> Self {
        if let Kind::Tmpfs { mode, .. } = &mut self.kind {
            *mode = Some(i64::from(bits));
        }
        self
    }

    /// Where the mount appears inside the container.
    pub fn target(&self) -> &str {
        &self.target
    }

    pub(crate) fn to_raw(&self) -> RawMount {
        let mut raw = RawMount {
            target: Some(self.target.clone()),
            read_only: Some(self.read_only),
            ..Default::default()
        };
        match &self.kind {
            Kind::Bind(path) => {
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                raw.typ = Some(MountType::BIND);
                raw.source = Some(absolute.to_string_lossy().into_owned());
            }
            Kind::Volume(name) => {
                raw.typ = Some(MountType::VOLUME);
                raw.source = Some(name.clone());
            }
            Kind::Tmpfs { size, mode } => {
                raw.typ = Some(MountType::TMPFS);
                raw.tmpfs_options = Some(MountTmpfsOptions {
                    size_bytes: *size,
                    mode: *mode,
                    ..Default::default()
                });
            }
        }
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_engine_mounts() {
        let raw = Mount::volume("data", "/data").read_only().to_raw();
        assert_eq!(raw.typ, Some(MountType::VOLUME));
        assert_eq!(raw.source.as_deref(), Some("data"));
        assert_eq!(raw.target.as_deref(), Some("/data"));
        assert_eq!(raw.read_only, Some(true));

        let raw = Mount::tmpfs("/scratch")
            .size_bytes(1024)
            .mode(0o1777)
            .to_raw();
        assert_eq!(raw.typ, Some(MountType::TMPFS));
        let opts = raw.tmpfs_options.unwrap();
        assert_eq!((opts.size_bytes, opts.mode), (Some(1024), Some(0o1777)));

        let raw = Mount::bind("relative/dir", "/in").to_raw();
        let source = raw.source.unwrap();
        assert!(
            source.starts_with('/') && source.ends_with("relative/dir"),
            "{source}"
        );
    }
}
