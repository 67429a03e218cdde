//! Remote log directories: where a URL points, and the object store that serves it.
//!
//! Stores are built with `object_store`'s builders from the standard environment variables
//! (`AWS_*`, `GOOGLE_*`, `AZURE_*`), then the caller's `storage_options`, so explicit settings
//! win. tensorboardX's `S3_ENDPOINT` is read as `AWS_ENDPOINT_URL` when that is not set, and
//! an endpoint written with `http://` is taken to allow plain HTTP (the user chose it).
//! `memory://` stores live in this process, one per name, shared by writers and readers.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};
use std::{env, io};

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};
use tokio::runtime::Runtime;

use crate::error::{Error, IoContext, Result};

/// The schemes a log directory URL may have, as the `ValueError` for another one lists them.
const SCHEMES: &str = "s3://, s3a://, gs://, az://, abfs://, abfss://, memory://, file:// (or a local path)";

/// How long an upload is retried, by default, before its error is raised: long enough to ride
/// out a store that restarts.
const DEFAULT_RETRY_SECS: f64 = 120.0;

/// The storage option that sets the retry window (ours, not object_store's).
const RETRY_OPTION: &str = "retry_timeout";

/// The longest retry window honoured (a year): a longer one, up to infinity, means this.
const LONGEST_RETRY: Duration = Duration::from_secs(365 * 24 * 3600);

/// The first and the longest pause between two tries of a failed request.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const LONGEST_BACKOFF: Duration = Duration::from_secs(5);

/// A log directory in an object store.
#[derive(Clone)]
pub struct Remote {
    /// The URL as given, without a trailing slash, for messages and for joining.
    pub url: String,
    kind: Kind,
    /// The run's prefix in the store.
    pub prefix: ObjectPath,
    /// The store's settings from the environment, read once, when the URL is parsed: a writer
    /// that reopens later (after `close()`, in a forked child) talks to the same store.
    environment: Vec<(String, String)>,
    /// The caller's `storage_options`, which win over the environment's.
    options: Vec<(String, String)>,
    /// How long a failing request is retried before its error is raised.
    pub retry: Duration,
}

#[derive(Clone)]
enum Kind {
    S3,
    Gcs,
    Azure,
    Memory(String),
}

/// The stores of `memory://` URLs, by name (the URL's host).
static MEMORY: LazyLock<Mutex<HashMap<String, Arc<InMemory>>>> = LazyLock::new(Default::default);

impl Remote {
    /// The remote log directory `url` names, or `None` for a local path (a `file://` URL
    /// included). `options` are object_store's configuration keys, and `retry_timeout`.
    pub fn parse(url: &str, options: &[(String, String)]) -> Result<Option<Remote>> {
        let local = |options: &[(String, String)]| {
            if options.is_empty() {
                Ok(None)
            } else {
                Err(Error::invalid("storage_options", "only apply to a remote log directory's URL"))
            }
        };
        let Some((scheme, rest)) = url.split_once("://") else { return local(options) };
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => Kind::S3,
            "gs" => Kind::Gcs,
            "az" | "abfs" | "abfss" | "azure" | "adl" => Kind::Azure,
            "memory" => Kind::Memory(rest.split('/').next().unwrap_or_default().to_owned()),
            "file" => return local(options),
            other => {
                return Err(Error::invalid(
                    "logdir",
                    format!("the URL scheme {other:?} is not supported; supported: {SCHEMES}"),
                ));
            }
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty() && !matches!(kind, Kind::Memory(_)) {
            return Err(Error::invalid(
                "logdir",
                format!("expected {scheme}://<bucket>/<path>, got {url:?}"),
            ));
        }
        let prefix = ObjectPath::parse(path.trim_end_matches('/'))
            .map_err(|e| Error::invalid("logdir", format!("not a valid object path: {e}")))?;
        let mut retry = Duration::from_secs_f64(DEFAULT_RETRY_SECS);
        let mut store_options = Vec::new();
        for (key, value) in options {
            if key == RETRY_OPTION {
                retry = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s >= 0.0)
                    .map(|s| Duration::try_from_secs_f64(s).map_or(LONGEST_RETRY, |d| d.min(LONGEST_RETRY)))
                    .ok_or_else(|| {
                        Error::invalid(
                            "storage_options",
                            format!("{RETRY_OPTION}: expected seconds, got {value:?}"),
                        )
                    })?;
            } else {
                store_options.push((key.to_ascii_lowercase(), value.clone()));
            }
        }
        let remote = Remote {
            url: url.trim_end_matches('/').to_owned(),
            environment: environment(&kind),
            kind,
            prefix,
            options: store_options,
            retry,
        };
        remote.store()?; // reports a bad option now, on the caller's thread, without any I/O
        Ok(Some(remote))
    }

    /// The object `name` (`/`-separated, made safe by the caller) in this directory.
    pub fn child(&self, name: &str) -> ObjectPath {
        name.split('/').fold(self.prefix.clone(), |path, part| path.join(part))
    }

    /// The object `path` of the same store, as a remote of its own (what reading it takes).
    pub fn at(&self, path: ObjectPath) -> Remote {
        Remote { url: self.url_of(&path), prefix: path, ..self.clone() }
    }

    /// The URL of `path`, for messages.
    pub fn url_of(&self, path: &ObjectPath) -> String {
        let root = self.url.strip_suffix(self.prefix.as_ref()).unwrap_or(&self.url).trim_end_matches('/');
        format!("{root}/{path}")
    }

    /// A client for the store, with its own connections: each writer thread builds its own,
    /// so that a forked child never shares its parent's.
    pub fn store(&self) -> Result<Arc<dyn ObjectStore>> {
        let bad = |e: object_store::Error| Error::invalid("storage_options", e.to_string());
        // Each request is retried briefly by object_store; the writer retries for `retry`.
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
        };
        // An endpoint written with http:// is one the user chose: allow plain HTTP for it. Set
        // before the settings: with_client_options replaces them (allow_http among them).
        let http = self.environment.iter().chain(&self.options).any(|(key, value)| {
            (key.contains("endpoint") || key.contains("base_url")) && value.starts_with("http://")
        });
        let client = ClientOptions::new().with_timeout(Duration::from_secs(60)).with_allow_http(http);
        let bucket_url = self.url_of(&ObjectPath::default());
        // The three builders have the same methods but no common trait.
        macro_rules! build {
            ($builder:ty, $key:ty) => {{
                let mut builder =
                    <$builder>::new().with_url(bucket_url).with_retry(retry).with_client_options(client);
                for (key, value) in self.settings::<$key>()? {
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(bad)?)
            }};
        }
        Ok(match &self.kind {
            Kind::Memory(name) => {
                let mut stores = MEMORY.lock().unwrap_or_else(|e| e.into_inner());
                Arc::clone(stores.entry(name.clone()).or_default()) as Arc<dyn ObjectStore>
            }
            Kind::S3 => build!(AmazonS3Builder, AmazonS3ConfigKey),
            Kind::Gcs => build!(GoogleCloudStorageBuilder, GoogleConfigKey),
            Kind::Azure => build!(MicrosoftAzureBuilder, AzureConfigKey),
        })
    }
}

impl Remote {
    /// The store's settings: the environment's that are keys of this store, then the caller's,
    /// which must be.
    fn settings<K: std::str::FromStr>(&self) -> Result<Vec<(K, &str)>> {
        let known =
            self.environment.iter().filter_map(|(key, value)| Some((key.parse().ok()?, value.as_str())));
        let given = self.options.iter().map(|(key, value)| match key.parse() {
            Ok(key) => Ok((key, value.as_str())),
            Err(_) => {
                Err(Error::invalid("storage_options", format!("{key:?} is not a setting of this store")))
            }
        });
        known.map(Ok).chain(given).collect()
    }
}

/// The store's settings in the environment, as object_store's builders read them
/// (`AWS_*`, `GOOGLE_*`, `AZURE_*`, lower-cased), with tensorboardX's `S3_ENDPOINT` standing in
/// for `AWS_ENDPOINT_URL` when that is not set.
fn environment(kind: &Kind) -> Vec<(String, String)> {
    let prefix = match kind {
        Kind::S3 => "AWS_",
        Kind::Gcs => "GOOGLE_",
        Kind::Azure => "AZURE_",
        Kind::Memory(_) => return Vec::new(),
    };
    let mut settings: Vec<(String, String)> = env::vars()
        .filter(|(key, _)| key.starts_with(prefix))
        .map(|(key, value)| (key.to_ascii_lowercase(), value))
        .collect();
    // Sorted, so that the more specific variable of two for one setting comes last and wins,
    // as in object_store (AWS_ENDPOINT_URL after AWS_ENDPOINT).
    settings.sort();
    if matches!(kind, Kind::S3)
        && !settings.iter().any(|(key, _)| key == "aws_endpoint" || key == "aws_endpoint_url")
    {
        if let Ok(endpoint) = env::var("S3_ENDPOINT") {
            settings.push(("aws_endpoint".into(), endpoint));
        }
    }
    settings
}

/// A store client and the runtime that drives its futures, for the thread that made it: each
/// writer thread (and each call that writes projector files) has its own, so that a forked
/// child never touches its parent's connections or runtime.
pub(crate) struct Client {
    pub(crate) remote: Remote,
    store: Arc<dyn ObjectStore>,
    runtime: Runtime,
}

impl Client {
    pub(crate) fn new(remote: Remote) -> Result<Client> {
        let store = remote.store()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Io(io::Error::new(e.kind(), format!("starting the storage runtime: {e}"))))?;
        Ok(Client { remote, store, runtime })
    }

    /// Puts `bytes` at `path`, retrying what may pass (a store that restarts, a lost
    /// connection, a 5xx) for [`Remote::retry`]. A conditional create that finds the object
    /// there already, with these very bytes, is done: an answer to an earlier try was lost
    /// (ours, or one of object_store's own retries).
    pub(crate) fn put(
        &self,
        path: &ObjectPath,
        bytes: &[u8],
        mode: PutMode,
    ) -> Result<(), object_store::Error> {
        let deadline = Instant::now() + self.remote.retry;
        let mut backoff = FIRST_BACKOFF;
        // One copy for every try: a payload's clones share its bytes.
        let payload = PutPayload::from(bytes.to_vec());
        loop {
            let options = PutOptions { mode: mode.clone(), ..Default::default() };
            match self.runtime.block_on(self.store.put_opts(path, payload.clone(), options)) {
                Ok(_) => return Ok(()),
                Err(object_store::Error::AlreadyExists { .. }) if self.holds(path, bytes) => {
                    return Ok(());
                }
                Err(object_store::Error::Generic { .. }) if Instant::now() + backoff < deadline => {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(LONGEST_BACKOFF);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the object at `path` holds `bytes` (names are unique per writer: then it is ours).
    fn holds(&self, path: &ObjectPath, bytes: &[u8]) -> bool {
        matches!(self.get(path), Ok(Some((got, _))) if got == bytes)
    }

    /// The object at `path` and its version, or `None` if there is none.
    pub(crate) fn get(
        &self,
        path: &ObjectPath,
    ) -> Result<Option<(Vec<u8>, UpdateVersion)>, object_store::Error> {
        let result = self.runtime.block_on(async {
            let got = self.store.get(path).await?;
            let version = UpdateVersion { e_tag: got.meta.e_tag.clone(), version: got.meta.version.clone() };
            Ok((got.bytes().await?.to_vec(), version))
        });
        match result {
            Ok(found) => Ok(Some(found)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The objects under `prefix` (at any depth), with their sizes, sorted by name.
    pub(crate) fn list(&self, prefix: &ObjectPath) -> Result<Vec<(ObjectPath, u64)>, object_store::Error> {
        use futures_util::TryStreamExt;
        let mut objects: Vec<_> = self.runtime.block_on(
            self.store.list(Some(prefix)).map_ok(|meta| (meta.location, meta.size)).try_collect::<Vec<_>>(),
        )?;
        objects.sort();
        Ok(objects)
    }

    /// `e`, saying what was being done to which URL, as an I/O error of the matching kind.
    pub(crate) fn error(&self, doing: &str, path: &ObjectPath, e: &object_store::Error) -> io::Error {
        let kind = match e {
            object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
            object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
                io::ErrorKind::PermissionDenied
            }
            object_store::Error::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
            _ => io::ErrorKind::Other,
        };
        IoContext::error(kind, format!("{doing} {}: {e}", self.remote.url_of(path)), None)
    }
}
