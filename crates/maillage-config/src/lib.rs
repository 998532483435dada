//! The configuration of one Maillage instance.
//!
//! Owns the settings tree, its three layers (the compiled-in
//! `config/default.toml`, an optional file, then `MAILLAGE__SECTION__KEY`
//! environment variables) and the checks run before anything starts. Every
//! error names the setting at fault and how to fix it.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod postgres_tls;
mod proxies;
pub use postgres_tls::{PostgresTls, SslMode};
pub use proxies::{LOOPBACK, TrustedProxies};

/// The defaults, compiled in so that the binary needs no file to start.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Prefix of environment overrides: `MAILLAGE__SERVER__LISTEN` sets `server.listen`.
pub const ENV_PREFIX: &str = "MAILLAGE__";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub instance: InstanceConfig,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub registrations: RegistrationsConfig,
    pub limits: LimitsConfig,
    pub delivery: DeliveryConfig,
    pub inbox: InboxConfig,
    pub federation: FederationConfig,
    pub hub: HubConfig,
    pub directory: DirectoryConfig,
    pub web: WebConfig,
    pub open_data: OpenDataConfig,
    pub log: LogConfig,
    pub backup: BackupConfig,
    pub mail: MailConfig,
    pub media: MediaConfig,
    pub push: PushConfig,
    pub streaming: StreamingConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstanceConfig {
    /// Host name (and, for localhost only, port) of every id we mint.
    pub domain: String,
    /// `None`: derived from the domain. See [`Config::uses_https`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: String,
    pub max_body_bytes: usize,
    pub shutdown_grace_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: usize,
    pub connect_timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegistrationsConfig {
    pub mode: RegistrationMode,
}

/// Who may open an account by themself (`registrations.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum RegistrationMode {
    /// Nobody: staff open accounts.
    Closed,
    /// Whoever has an invite code.
    Invite,
    /// Anyone, let in once an admin approves.
    Approval,
}

impl RegistrationMode {
    pub const ALL: [RegistrationMode; 3] =
        [RegistrationMode::Closed, RegistrationMode::Invite, RegistrationMode::Approval];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Closed => "closed",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Approval => "approval",
        }
    }

    /// Whether anyone may ask for an account (Mastodon's `registrations`).
    pub fn is_open(self) -> bool {
        self != RegistrationMode::Closed
    }
}

impl TryFrom<String> for RegistrationMode {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        RegistrationMode::ALL
            .into_iter()
            .find(|m| m.as_str() == value)
            .ok_or_else(|| format!("{value:?} is not a mode: choose closed, invite or approval"))
    }
}

impl fmt::Display for RegistrationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub api_per_5_minutes: u32,
    pub login_failures_per_5_minutes: u32,
    pub inbox_per_5_minutes_per_address: u32,
    pub inbox_per_5_minutes_per_server: u32,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For`
    /// names the client. See [`LimitsConfig::trusted_proxies`].
    pub trusted_proxies: Vec<String>,
    /// Deprecated: `true` stands for the loopback ranges in
    /// `trusted_proxies`. Absent from the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_forwarded_for: Option<bool>,
}

impl LimitsConfig {
    /// The proxies to believe: `trusted_proxies`, plus loopback when the
    /// deprecated `trust_forwarded_for` is true.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, ConfigError> {
        let proxies = TrustedProxies::parse(self.trusted_proxies.iter().map(String::as_str)).map_err(|entry| {
            ConfigError::invalid(
                "limits.trusted_proxies",
                entry,
                "give IP addresses or CIDR ranges, like [\"127.0.0.1\", \"10.0.0.0/8\", \"fd00::/8\"]",
            )
        })?;
        Ok(if self.trust_forwarded_for == Some(true) { proxies.with(&LOOPBACK) } else { proxies })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    pub concurrency: usize,
    pub poll_interval_ms: u64,
    pub lease_seconds: u64,
    pub retry_initial_seconds: u64,
    pub retry_max_seconds: u64,
    pub give_up_after_hours: u64,
    pub per_domain_concurrency: usize,
    pub unreachable_after_seconds: u64,
    pub probe_interval_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    pub max_attempts: u32,
    pub lease_seconds: u64,
    pub retention_days: u64,
    /// The longest the processing of one activity waits on other servers.
    pub processing_timeout_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    pub mode: FederationMode,
    pub authorized_fetch: bool,
}

impl FederationConfig {
    pub fn allowlist_mode(&self) -> bool {
        self.mode == FederationMode::Allowlist
    }
}

/// Which servers we federate with (`federation.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum FederationMode {
    /// Every server not blocked.
    Open,
    /// Only the servers an admin allows.
    Allowlist,
}

impl FederationMode {
    pub const ALL: [FederationMode; 2] = [FederationMode::Open, FederationMode::Allowlist];

    pub fn as_str(self) -> &'static str {
        match self {
            FederationMode::Open => "open",
            FederationMode::Allowlist => "allowlist",
        }
    }
}

impl TryFrom<String> for FederationMode {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        FederationMode::ALL.into_iter().find(|m| m.as_str() == value).ok_or_else(|| {
            format!(
                "{value:?} is not a mode: choose open (every server not blocked) or allowlist (only the servers you allow)"
            )
        })
    }
}

impl fmt::Display for FederationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    pub handle: String,
    pub name: String,
    pub summary: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// Remote enterprises listed per server, at most.
    pub max_per_server: u32,
    /// Hours between two readings of a followed hub's `members`.
    pub resync_hours: u32,
    /// Requests per second, at most, to a hub's server while reading its members.
    pub sync_requests_per_second: u32,
}

/// The most `directory.max_per_server` may be (the directory is held in memory).
pub const DIRECTORY_MAX_PER_SERVER: u32 = 50_000;

/// The longest `directory.resync_hours` may be: a month.
pub const DIRECTORY_MAX_RESYNC_HOURS: u32 = 24 * 31;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Map tiles of the directory's map: a URL with `{z}`, `{x}`, `{y}`; empty: no map.
    pub tile_url: String,
    /// Credit line the tile provider asks for.
    pub tile_attribution: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenDataConfig {
    /// The licence of the directory's open data: an address, an SPDX
    /// identifier or a common name (see [`Config::open_data_licence`]).
    pub licence: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub filter: String,
    /// How lines are written (`log.format`).
    pub format: LogFormat,
    /// A warning that repeats (the database is down, the disk is full) is
    /// written once, then summarised at most this often.
    pub repeat_summary_seconds: u64,
}

/// How log lines are written: `text` for people (colours only on a
/// terminal, never in a file or the journal), `json` for log collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum LogFormat {
    Text,
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("{value:?} is not a log format: choose text or json")),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackupConfig {
    /// Hours between two scheduled backups; 0: none. See [`Config::backup_interval`].
    pub interval_hours: f64,
    /// Where scheduled backups are written.
    pub directory: String,
    /// Scheduled backups kept.
    pub keep: u32,
}

/// Where media are stored and how big they may be (`[media]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    pub backend: MediaBackend,
    /// The directory of the local backend.
    pub directory: String,
    pub max_image_bytes: u64,
    pub max_document_bytes: u64,
    pub max_image_pixels: u64,
    pub original_side: u32,
    pub preview_side: u32,
    pub max_attachments: u32,
    /// 0: no quota.
    pub quota_per_member_bytes: u64,
    pub processing_concurrency: u32,
    pub unattached_hours: u32,
    pub remote_cache_days: u32,
    pub remote_max_bytes: u64,
    pub s3: S3Config,
}

/// The two places media can live (`media.backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum MediaBackend {
    Local,
    S3,
}

impl TryFrom<String> for MediaBackend {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "local" => Ok(MediaBackend::Local),
            "s3" => Ok(MediaBackend::S3),
            _ => Err(format!("{value:?} is not a media backend: choose local or s3")),
        }
    }
}

impl MediaConfig {
    /// Limits that must leave room to work, and the S3 settings when the
    /// backend is `s3` (whether the bucket exists and the keys are accepted
    /// is checked when the store is opened, in maillage-storage).
    fn validate(&self) -> Result<(), ConfigError> {
        if self.backend == MediaBackend::Local && self.directory.trim().is_empty() {
            return Err(ConfigError::invalid("media.directory", "", "give a directory, like data/media"));
        }
        for (key, value) in [
            ("media.max_image_bytes", self.max_image_bytes),
            ("media.max_document_bytes", self.max_document_bytes),
            ("media.max_image_pixels", self.max_image_pixels),
            ("media.preview_side", u64::from(self.preview_side)),
            ("media.processing_concurrency", u64::from(self.processing_concurrency)),
            ("media.unattached_hours", u64::from(self.unattached_hours)),
            ("media.remote_cache_days", u64::from(self.remote_cache_days)),
            ("media.remote_max_bytes", self.remote_max_bytes),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        if self.original_side < self.preview_side {
            return Err(ConfigError::invalid(
                "media.original_side",
                self.original_side,
                "must be at least media.preview_side",
            ));
        }
        if self.max_attachments < 4 {
            return Err(ConfigError::invalid(
                "media.max_attachments",
                self.max_attachments,
                "must be at least 4 (what Mastodon apps expect)",
            ));
        }
        let s3 = &self.s3;
        if self.backend == MediaBackend::S3 {
            for (key, value) in [
                ("media.s3.endpoint", &s3.endpoint),
                ("media.s3.bucket", &s3.bucket),
                ("media.s3.region", &s3.region),
                ("media.s3.access_key_id", &s3.access_key_id),
                ("media.s3.secret_access_key", &s3.secret_access_key),
            ] {
                if value.trim().is_empty() {
                    return Err(ConfigError::invalid(key, "", "must be set when media.backend is \"s3\""));
                }
            }
            if !is_http_url(&s3.endpoint) {
                return Err(ConfigError::invalid(
                    "media.s3.endpoint",
                    &s3.endpoint,
                    "give the store's http(s) URL, like https://s3.fr-par.scw.cloud or http://127.0.0.1:3900",
                ));
            }
        }
        if !s3.public_base_url.trim().is_empty() && !is_http_url(&s3.public_base_url) {
            return Err(ConfigError::invalid(
                "media.s3.public_base_url",
                &s3.public_base_url,
                "give an http(s) URL, like https://media.hub.example.org, or \"\" to serve files through Maillage",
            ));
        }
        Ok(())
    }
}

/// An absolute http or https URL with a host, and nothing after the path.
fn is_http_url(value: &str) -> bool {
    url::Url::parse(value.trim()).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|host| !host.is_empty())
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
    })
}

/// An S3-compatible object store (`[media.s3]`).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    /// Masked by [`Config::to_masked_toml`].
    pub secret_access_key: String,
    pub path_style: bool,
    /// Empty: every file is served by Maillage itself.
    pub public_base_url: String,
}

/// As derived, but the secret is masked: configurations end up in logs.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = if self.secret_access_key.is_empty() { "" } else { "********" };
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &secret)
            .field("path_style", &self.path_style)
            .field("public_base_url", &self.public_base_url)
            .finish()
    }
}

/// The streaming API (`[streaming]`): its caps and timings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StreamingConfig {
    /// Open streams of one account at most, in one process.
    pub max_connections_per_account: u32,
    /// Open streams of this process at most.
    pub max_connections: u32,
    /// Events waiting for one client at most before it is dropped as too slow.
    pub queue_events: u32,
    /// Seconds between two pings (WebSocket) or heartbeat comments (SSE).
    pub ping_seconds: u64,
}

impl StreamingConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("streaming.max_connections_per_account", u64::from(self.max_connections_per_account)),
            ("streaming.max_connections", u64::from(self.max_connections)),
            ("streaming.queue_events", u64::from(self.queue_events)),
            ("streaming.ping_seconds", self.ping_seconds),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        if self.max_connections_per_account > self.max_connections {
            return Err(ConfigError::invalid(
                "streaming.max_connections_per_account",
                self.max_connections_per_account,
                "must be at most streaming.max_connections",
            ));
        }
        if self.ping_seconds > 300 {
            return Err(ConfigError::invalid(
                "streaming.ping_seconds",
                self.ping_seconds,
                "must be at most 300 (proxies close quiet connections; 30 is usual)",
            ));
        }
        Ok(())
    }
}

/// Outgoing e-mail (`[mail]`). See [`MailConfig::enabled`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// `smtp://`, `smtps://` (lettre's URL form); empty: no mail.
    pub smtp_url: String,
    /// The sender of every message.
    pub from: String,
    pub claim_link_hours: u32,
    pub retry_initial_seconds: u64,
    pub retry_max_seconds: u64,
    pub give_up_after_hours: u64,
}

impl MailConfig {
    /// Whether this instance sends e-mail at all.
    pub fn enabled(&self) -> bool {
        !self.smtp_url.trim().is_empty()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("mail.claim_link_hours", u64::from(self.claim_link_hours)),
            ("mail.retry_initial_seconds", self.retry_initial_seconds),
            ("mail.give_up_after_hours", self.give_up_after_hours),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        if self.retry_max_seconds < self.retry_initial_seconds {
            return Err(ConfigError::invalid(
                "mail.retry_max_seconds",
                self.retry_max_seconds,
                "must be at least mail.retry_initial_seconds",
            ));
        }
        if !self.enabled() {
            return Ok(());
        }
        let shown = mask_url_password(&self.smtp_url);
        let parsed = url::Url::parse(self.smtp_url.trim()).ok().filter(|u| u.host_str().is_some_and(|h| !h.is_empty()));
        let Some(parsed) = parsed else {
            return Err(ConfigError::invalid(
                "mail.smtp_url",
                shown,
                "give smtp://HOST:PORT, smtp://USER:PASSWORD@HOST:587?tls=required or smtps://USER:PASSWORD@HOST, or \"\" for no mail",
            ));
        };
        let tls = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None | Some("required" | "opportunistic")) | ("smtps", None) => {}
            ("smtp" | "smtps", Some(other)) => {
                return Err(ConfigError::invalid(
                    "mail.smtp_url",
                    shown,
                    format!(
                        "tls={other:?} is not a choice: give tls=required (STARTTLS) or tls=opportunistic, with smtp:// only"
                    ),
                ));
            }
            (scheme, _) => {
                return Err(ConfigError::invalid(
                    "mail.smtp_url",
                    shown,
                    format!("{scheme}:// is not a mail scheme: use smtp:// or smtps://"),
                ));
            }
        }
        if self.from.trim().is_empty() || !self.from.contains('@') {
            return Err(ConfigError::invalid(
                "mail.from",
                &self.from,
                "give the sender's address, like \"Hub <noreply@hub.example.org>\" (required when mail.smtp_url is set)",
            ));
        }
        Ok(())
    }
}

/// Web Push (`[push]`): how the queue's messages are sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// The VAPID `sub`: `mailto:` or `https:`; empty: the instance's URL.
    pub contact: String,
    /// How long a push service keeps a message for an offline device.
    pub ttl_seconds: u64,
    pub retry_initial_seconds: u64,
    pub retry_max_seconds: u64,
    pub give_up_after_hours: u64,
}

impl PushConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("push.ttl_seconds", self.ttl_seconds),
            ("push.retry_initial_seconds", self.retry_initial_seconds),
            ("push.give_up_after_hours", self.give_up_after_hours),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        if self.retry_max_seconds < self.retry_initial_seconds {
            return Err(ConfigError::invalid(
                "push.retry_max_seconds",
                self.retry_max_seconds,
                "must be at least push.retry_initial_seconds",
            ));
        }
        let contact = self.contact.trim();
        let well_formed = contact.is_empty()
            || (contact.starts_with("mailto:") && contact.contains('@'))
            || (contact.starts_with("https://") && url::Url::parse(contact).is_ok());
        if !well_formed {
            return Err(ConfigError::invalid(
                "push.contact",
                &self.contact,
                "give mailto:ADDRESS or an https:// URL where push services can reach the operator, or \"\" for the instance's URL",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// The VAPID `sub` claim: `push.contact`, or the instance's URL.
    pub fn push_contact(&self) -> String {
        match self.push.contact.trim() {
            "" => format!("{}/", self.public_base_url()),
            contact => contact.to_string(),
        }
    }
}

/// The shortest interval between scheduled backups.
pub const BACKUP_MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Why a configuration cannot be used. The message is meant for a hub admin.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("configuration file {path} is not valid TOML: {reason}")]
    FileSyntax { path: String, reason: String },
    #[error("environment variable {var} does not name a setting: {reason}")]
    UnknownEnv { var: String, reason: String },
    #[error("environment variable {var}={value:?}: {reason}")]
    BadEnv { var: String, value: String, reason: String },
    #[error("invalid setting `{key}`: {reason}")]
    Shape { key: String, reason: String },
    #[error("invalid setting `{key}` = {value:?}: {problem}")]
    Invalid { key: &'static str, value: String, problem: String },
}

impl ConfigError {
    fn invalid(key: &'static str, value: impl fmt::Display, problem: impl Into<String>) -> Self {
        ConfigError::Invalid { key, value: value.to_string(), problem: problem.into() }
    }
}

/// The database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    /// Picks the backend from the URL scheme, or says which schemes exist.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        if url.starts_with("sqlite://") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(ConfigError::invalid(
                "database.url",
                mask_url_password(url),
                "use sqlite://PATH (e.g. sqlite://data/maillage.sqlite3) or \
                 postgres://USER:PASSWORD@HOST:PORT/DBNAME",
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        }
    }
}

impl Config {
    /// Loads defaults, then `file` when given, then the process environment,
    /// and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// Like [`Config::load`], with the environment given explicitly.
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut tree: toml::Table = DEFAULT_TOML.parse().map_err(|e: toml::de::Error| ConfigError::FileSyntax {
            path: "<compiled-in defaults>".into(),
            reason: e.to_string(),
        })?;
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::File { path: shown.clone(), reason: e.to_string() })?;
            let layer: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::FileSyntax {
                path: shown,
                reason: e.message().to_string(),
            })?;
            merge(&mut tree, layer);
        }
        let mut overrides: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
        overrides.sort();
        for (var, value) in overrides {
            apply_env(&mut tree, &var, value)?;
        }
        // The message alone: the error's Display adds "in `key`" on lines of
        // its own, and a failed command prints one line.
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(tree))
            .map_err(|e| ConfigError::Shape { key: e.path().to_string(), reason: e.inner().message().to_string() })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value a running instance depends on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_domain()?;
        self.listen_addr()?;
        if self.server.max_body_bytes < 1024 {
            return Err(ConfigError::invalid(
                "server.max_body_bytes",
                self.server.max_body_bytes,
                "must be at least 1024 (1 MiB, 1048576, is the usual value)",
            ));
        }
        if DatabaseKind::from_url(&self.database.url)? == DatabaseKind::Postgres {
            PostgresTls::from_url(&self.database.url)?;
        }
        let tiles = &self.web.tile_url;
        if !tiles.is_empty()
            && (!(tiles.starts_with("https://") || tiles.starts_with("http://"))
                || !["{z}", "{x}", "{y}"].iter().all(|p| tiles.contains(p)))
        {
            return Err(ConfigError::invalid(
                "web.tile_url",
                tiles,
                "give an http(s) URL with {z}, {x} and {y}, like https://tile.openstreetmap.org/{z}/{x}/{y}.png, or \"\" for no map",
            ));
        }
        maillage_domain::licences::licence_url(&self.open_data.licence)
            .map_err(|problem| ConfigError::invalid("open_data.licence", &self.open_data.licence, problem))?;
        if self.database_kind() == DatabaseKind::Sqlite && self.sqlite_path().is_empty() {
            return Err(ConfigError::invalid(
                "database.url",
                &self.database.url,
                "the SQLite URL has no file path; use sqlite://data/maillage.sqlite3",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::invalid("database.max_connections", 0, "must be at least 1"));
        }
        if self.database.connect_timeout_seconds == 0 {
            return Err(ConfigError::invalid("database.connect_timeout_seconds", 0, "must be at least 1"));
        }
        for (key, value) in [
            ("limits.api_per_5_minutes", self.limits.api_per_5_minutes),
            ("limits.login_failures_per_5_minutes", self.limits.login_failures_per_5_minutes),
            ("limits.inbox_per_5_minutes_per_address", self.limits.inbox_per_5_minutes_per_address),
            ("limits.inbox_per_5_minutes_per_server", self.limits.inbox_per_5_minutes_per_server),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        self.limits.trusted_proxies()?;
        let delivery = &self.delivery;
        for (key, value) in [
            ("delivery.concurrency", delivery.concurrency as u64),
            ("delivery.poll_interval_ms", delivery.poll_interval_ms),
            ("delivery.lease_seconds", delivery.lease_seconds),
            ("delivery.retry_initial_seconds", delivery.retry_initial_seconds),
            ("delivery.give_up_after_hours", delivery.give_up_after_hours),
            ("delivery.per_domain_concurrency", delivery.per_domain_concurrency as u64),
            ("delivery.probe_interval_seconds", delivery.probe_interval_seconds),
            ("inbox.max_attempts", u64::from(self.inbox.max_attempts)),
            ("inbox.lease_seconds", self.inbox.lease_seconds),
            ("inbox.retention_days", self.inbox.retention_days),
            ("inbox.processing_timeout_seconds", self.inbox.processing_timeout_seconds),
            ("log.repeat_summary_seconds", self.log.repeat_summary_seconds),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, 0, "must be at least 1"));
            }
        }
        if delivery.retry_max_seconds < delivery.retry_initial_seconds {
            return Err(ConfigError::invalid(
                "delivery.retry_max_seconds",
                delivery.retry_max_seconds,
                "must be at least delivery.retry_initial_seconds",
            ));
        }
        if self.inbox.processing_timeout_seconds > 3600 {
            return Err(ConfigError::invalid(
                "inbox.processing_timeout_seconds",
                self.inbox.processing_timeout_seconds,
                "must be at most 3600 (an hour); 20 is the usual value",
            ));
        }
        if !(1..=DIRECTORY_MAX_PER_SERVER).contains(&self.directory.max_per_server) {
            return Err(ConfigError::invalid(
                "directory.max_per_server",
                self.directory.max_per_server,
                format!("must be between 1 and {DIRECTORY_MAX_PER_SERVER}"),
            ));
        }
        if !(1..=DIRECTORY_MAX_RESYNC_HOURS).contains(&self.directory.resync_hours) {
            return Err(ConfigError::invalid(
                "directory.resync_hours",
                self.directory.resync_hours,
                format!("must be between 1 and {DIRECTORY_MAX_RESYNC_HOURS} (a month); 24 is the usual value"),
            ));
        }
        if !(1..=1000).contains(&self.directory.sync_requests_per_second) {
            return Err(ConfigError::invalid(
                "directory.sync_requests_per_second",
                self.directory.sync_requests_per_second,
                "must be between 1 and 1000",
            ));
        }
        if let Err(problem) = maillage_domain::Handle::parse(&self.hub.handle) {
            return Err(ConfigError::invalid("hub.handle", &self.hub.handle, problem.to_string()));
        }
        if !self.hub.region.is_empty()
            && let Err(problem) = maillage_domain::vocabulary::REGIONS.parse(&self.hub.region)
        {
            return Err(ConfigError::invalid("hub.region", &self.hub.region, problem));
        }
        if self.hub.name.trim().is_empty() {
            return Err(ConfigError::invalid("hub.name", &self.hub.name, "the hub needs a display name"));
        }
        self.mail.validate()?;
        self.push.validate()?;
        self.media.validate()?;
        self.streaming.validate()?;
        self.validate_backup()
    }

    /// The scheduled backups' settings; the directory only when they are on.
    fn validate_backup(&self) -> Result<(), ConfigError> {
        let backup = &self.backup;
        let hours = backup.interval_hours;
        if !hours.is_finite() || hours < 0.0 || (hours > 0.0 && hours * 3600.0 < BACKUP_MIN_INTERVAL.as_secs_f64()) {
            return Err(ConfigError::invalid(
                "backup.interval_hours",
                hours,
                "give 0 (no scheduled backups) or a number of hours of at least one second (24 is daily)",
            ));
        }
        if hours == 0.0 {
            return Ok(());
        }
        if backup.keep == 0 {
            return Err(ConfigError::invalid("backup.keep", 0, "must be at least 1 (the backups kept)"));
        }
        if backup.directory.trim().is_empty() {
            return Err(ConfigError::invalid(
                "backup.directory",
                &backup.directory,
                "scheduled backups need a directory, like data/backups",
            ));
        }
        check_writable_directory(Path::new(&backup.directory))
            .map_err(|problem| ConfigError::invalid("backup.directory", &backup.directory, problem))
    }

    /// How often `maillage serve` takes a backup by itself, if it does.
    pub fn backup_interval(&self) -> Option<Duration> {
        let hours = self.backup.interval_hours;
        (hours.is_finite() && hours > 0.0).then(|| Duration::from_secs_f64(hours * 3600.0))
    }

    /// Settings that still work but should be changed, for the admin: logged
    /// at start-up and printed by `maillage config check`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        match self.limits.trust_forwarded_for {
            Some(true) => warnings.push(
                "limits.trust_forwarded_for is deprecated: it is read as trusted_proxies = \"127.0.0.0/8\" and \"::1\" \
                 (a proxy on this machine); list your proxies in limits.trusted_proxies and remove it"
                    .to_string(),
            ),
            Some(false) => warnings.push(
                "limits.trust_forwarded_for is deprecated and false does nothing: remove it \
                 (limits.trusted_proxies lists the proxies to believe)"
                    .to_string(),
            ),
            None => {}
        }
        if self.media.backend == MediaBackend::Local && !self.media.s3.public_base_url.trim().is_empty() {
            warnings.push(
                "media.s3.public_base_url is set but media.backend is \"local\": it is ignored, \
                 and Maillage serves every file itself"
                    .to_string(),
            );
        }
        warnings
    }

    fn validate_domain(&self) -> Result<(), ConfigError> {
        let domain = &self.instance.domain;
        let parsed = url::Url::parse(&format!("http://{domain}/"))
            .ok()
            .filter(|u| u.host_str().is_some() && u.path() == "/" && u.username().is_empty());
        let Some(parsed) = parsed.filter(|_| !domain.contains(['/', '@', '?', '#'])) else {
            return Err(ConfigError::invalid(
                "instance.domain",
                domain,
                "give a host name only, like hub.example.org (no scheme, no path)",
            ));
        };
        if self.is_local_domain() {
            return Ok(());
        }
        if parsed.port().is_some() {
            return Err(ConfigError::invalid(
                "instance.domain",
                domain,
                "a public domain is served on the standard https port: remove the port \
                 (ports are only allowed with localhost)",
            ));
        }
        if self.instance.https == Some(false) {
            return Err(ConfigError::invalid(
                "instance.https",
                "false",
                format!(
                    "the public domain {domain} must be served over https: remove instance.https \
                     or set it to true (plain http is only allowed with localhost)"
                ),
            ));
        }
        Ok(())
    }

    /// `localhost[:port]`: http is allowed and federation runs in debug mode.
    pub fn is_local_domain(&self) -> bool {
        let host = self.instance.domain.split(':').next().unwrap_or_default();
        host.eq_ignore_ascii_case("localhost")
    }

    pub fn uses_https(&self) -> bool {
        self.instance.https.unwrap_or(!self.is_local_domain())
    }

    /// The address of the open data's licence (`open_data.licence`, which
    /// may name it by SPDX identifier or common name; checked at start-up).
    pub fn open_data_licence(&self) -> String {
        maillage_domain::licences::licence_url(&self.open_data.licence)
            .unwrap_or_else(|_| self.open_data.licence.clone())
    }

    /// `https://domain` or `http://localhost:port`, without a trailing slash.
    pub fn public_base_url(&self) -> String {
        let scheme = if self.uses_https() { "https" } else { "http" };
        format!("{scheme}://{}", self.instance.domain)
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.listen.parse().map_err(|_| {
            ConfigError::invalid(
                "server.listen",
                &self.server.listen,
                "give an IP address and port, like 127.0.0.1:8080 or 0.0.0.0:8080",
            )
        })
    }

    pub fn database_kind(&self) -> DatabaseKind {
        DatabaseKind::from_url(&self.database.url).unwrap_or(DatabaseKind::Sqlite)
    }

    /// The file path of a `sqlite://` URL (relative to the working directory).
    pub fn sqlite_path(&self) -> &str {
        let rest = self.database.url.strip_prefix("sqlite://").unwrap_or_default();
        rest.split('?').next().unwrap_or_default()
    }

    /// The effective configuration as TOML, with passwords masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = mask_url_password(&self.database.url);
        shown.mail.smtp_url = mask_url_password(&self.mail.smtp_url);
        if !shown.media.s3.secret_access_key.is_empty() {
            shown.media.s3.secret_access_key = "********".into();
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }
}

/// Replaces the password of `scheme://user:password@host` with `********`.
pub fn mask_url_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("********"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Whether files can be written in `dir`, or in the nearest existing
/// directory above it when it does not exist yet (it is created then).
fn check_writable_directory(dir: &Path) -> Result<(), String> {
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
            _ => {
                existing = Path::new(".");
                break;
            }
        }
    }
    if !existing.is_dir() {
        return Err(format!("{} is not a directory", existing.display()));
    }
    let probe = existing.join(format!(".maillage-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) if existing == dir => Err(format!("cannot write in it: {error}")),
        Err(error) => Err(format!("it does not exist and cannot be created in {}: {error}", existing.display())),
    }
}

/// Deep-merges `layer` into `base`: tables merge, other values replace.
fn merge(base: &mut toml::Table, layer: toml::Table) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(layer_inner)) => merge(inner, layer_inner),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Applies `MAILLAGE__SECTION__KEY=value`, typed like the default it replaces.
fn apply_env(tree: &mut toml::Table, var: &str, value: String) -> Result<(), ConfigError> {
    let path: Vec<String> = var[ENV_PREFIX.len()..].split("__").map(|p| p.to_ascii_lowercase()).collect();
    let unknown = |reason: &str| ConfigError::UnknownEnv { var: var.to_string(), reason: reason.to_string() };
    // [media.s3] and the like sit one level deeper: MAILLAGE__MEDIA__S3__BUCKET.
    let Some((key, sections)) = path.split_last().filter(|(_, sections)| matches!(sections.len(), 1 | 2)) else {
        return Err(unknown("expected MAILLAGE__SECTION__KEY, e.g. MAILLAGE__SERVER__LISTEN"));
    };
    let section = sections.join(".");
    let mut table = tree;
    for name in sections {
        let Some(toml::Value::Table(inner)) = table.get_mut(name) else {
            return Err(unknown(&format!("there is no [{section}] section")));
        };
        table = inner;
    }
    if let Some(toml::Value::Table(_)) = table.get(key) {
        return Err(unknown(&format!("[{section}.{key}] is a section: name one of its settings")));
    }
    let typed = match table.get(key) {
        Some(toml::Value::Integer(_)) => value.trim().parse::<i64>().map(toml::Value::Integer).map_err(|_| {
            ConfigError::BadEnv { var: var.into(), value: value.clone(), reason: "expected a whole number".into() }
        })?,
        Some(toml::Value::Boolean(_)) => parse_bool(var, &value)?,
        // A whole number is a number too where fractions are allowed.
        Some(toml::Value::Float(_)) => value.trim().parse::<f64>().map(toml::Value::Float).map_err(|_| {
            ConfigError::BadEnv { var: var.into(), value: value.clone(), reason: "expected a number".into() }
        })?,
        // Lists are comma-separated: `10.0.0.0/8,::1`.
        Some(toml::Value::Array(_)) => toml::Value::Array(
            value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(|v| toml::Value::String(v.into())).collect(),
        ),
        Some(_) => toml::Value::String(value),
        // Optional settings absent from the defaults.
        None if section == "instance" && key == "https" => parse_bool(var, &value)?,
        None if section == "limits" && key == "trust_forwarded_for" => parse_bool(var, &value)?,
        None => return Err(unknown(&format!("[{section}] has no setting `{key}`"))),
    };
    table.insert(key.clone(), typed);
    Ok(())
}

fn parse_bool(var: &str, value: &str) -> Result<toml::Value, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
        "false" | "0" | "no" | "off" => Ok(toml::Value::Boolean(false)),
        _ => Err(ConfigError::BadEnv { var: var.into(), value: value.into(), reason: "expected true or false".into() }),
    }
}

#[cfg(test)]
mod tests;
