use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load_with_env(None, env(pairs))
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = load(&[]).unwrap();
    assert_eq!(config.database.url, "sqlite://data/maillage.sqlite3");
    assert_eq!(config.server.listen, "127.0.0.1:8080");
    assert_eq!(config.instance.domain, "localhost:8080");
    assert_eq!(config.hub.handle, "hub");
    assert_eq!(config.public_base_url(), "http://localhost:8080");
    assert_eq!(config.database_kind(), DatabaseKind::Sqlite);
    assert_eq!(config.sqlite_path(), "data/maillage.sqlite3");
    assert_eq!(config.directory.max_per_server, 5000);
    assert_eq!(config.directory.resync_hours, 24);
    assert_eq!(config.open_data_licence(), "https://creativecommons.org/licenses/by/4.0/");
    let odbl = load(&[("MAILLAGE__OPEN_DATA__LICENCE", "ODbL-1.0")]).unwrap();
    assert_eq!(odbl.open_data_licence(), "https://opendatacommons.org/licenses/odbl/1-0/");
    assert_eq!(config.directory.sync_requests_per_second, 20);
    assert_eq!(config.inbox.processing_timeout_seconds, 20);
}

#[test]
fn environment_overrides_a_second_instance() {
    let config = load(&[
        ("MAILLAGE__SERVER__LISTEN", "127.0.0.1:9001"),
        ("MAILLAGE__INSTANCE__DOMAIN", "localhost:9001"),
        ("MAILLAGE__DATABASE__URL", "sqlite://data/second.sqlite3"),
        ("MAILLAGE__DATABASE__MAX_CONNECTIONS", "3"),
        ("UNRELATED", "x"),
    ])
    .unwrap();
    assert_eq!(config.listen_addr().unwrap().port(), 9001);
    assert_eq!(config.instance.domain, "localhost:9001");
    assert_eq!(config.sqlite_path(), "data/second.sqlite3");
    assert_eq!(config.database.max_connections, 3);
}

#[test]
fn file_layer_sits_between_defaults_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(&path, "[hub]\nname = \"Pôle Estrie\"\n[server]\nlisten = \"127.0.0.1:7000\"\n").unwrap();
    let config = Config::load_with_env(Some(&path), env(&[("MAILLAGE__SERVER__LISTEN", "127.0.0.1:7001")])).unwrap();
    assert_eq!(config.hub.name, "Pôle Estrie");
    assert_eq!(config.hub.handle, "hub", "untouched keys keep their default");
    assert_eq!(config.server.listen, "127.0.0.1:7001", "environment wins over the file");
}

#[test]
fn public_domain_needs_https_and_no_port() {
    let ok = load(&[("MAILLAGE__INSTANCE__DOMAIN", "hub.example.org")]).unwrap();
    assert_eq!(ok.public_base_url(), "https://hub.example.org");
    assert!(!ok.is_local_domain());

    let err = load(&[("MAILLAGE__INSTANCE__DOMAIN", "hub.example.org:8443")]).unwrap_err().to_string();
    assert!(err.contains("instance.domain") && err.contains("remove the port"), "{err}");

    let err = load(&[("MAILLAGE__INSTANCE__DOMAIN", "hub.example.org"), ("MAILLAGE__INSTANCE__HTTPS", "false")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("instance.https") && err.contains("https"), "{err}");

    let err = load(&[("MAILLAGE__INSTANCE__DOMAIN", "https://hub.example.org/")]).unwrap_err().to_string();
    assert!(err.contains("instance.domain") && err.contains("no scheme"), "{err}");
}

#[test]
fn invalid_values_name_the_setting() {
    let cases: &[(&str, &str, &str)] = &[
        ("MAILLAGE__SERVER__LISTEN", "not-an-address", "server.listen"),
        ("MAILLAGE__DATABASE__URL", "mysql://x", "database.url"),
        ("MAILLAGE__DATABASE__URL", "sqlite://", "database.url"),
        ("MAILLAGE__DATABASE__MAX_CONNECTIONS", "many", "MAILLAGE__DATABASE__MAX_CONNECTIONS"),
        ("MAILLAGE__DATABASE__MAX_CONNECTIONS", "0", "database.max_connections"),
        ("MAILLAGE__SERVER__NOPE", "1", "MAILLAGE__SERVER__NOPE"),
        ("MAILLAGE__NOPE__X", "1", "MAILLAGE__NOPE__X"),
        ("MAILLAGE__LISTEN", "1", "MAILLAGE__LISTEN"),
        ("MAILLAGE__INSTANCE__HTTPS", "maybe", "MAILLAGE__INSTANCE__HTTPS"),
        ("MAILLAGE__HUB__HANDLE", "inbox", "hub.handle"),
        ("MAILLAGE__HUB__HANDLE", "le pôle", "hub.handle"),
        ("MAILLAGE__HUB__NAME", "  ", "hub.name"),
        ("MAILLAGE__REGISTRATIONS__MODE", "open", "registrations.mode"),
        ("MAILLAGE__HUB__REGION", "atlantis", "hub.region"),
        ("MAILLAGE__DIRECTORY__MAX_PER_SERVER", "0", "directory.max_per_server"),
        ("MAILLAGE__DIRECTORY__MAX_PER_SERVER", "50001", "directory.max_per_server"),
        ("MAILLAGE__DIRECTORY__MAX_PER_SERVER", "-1", "directory.max_per_server"),
        ("MAILLAGE__DIRECTORY__RESYNC_HOURS", "0", "directory.resync_hours"),
        ("MAILLAGE__DIRECTORY__RESYNC_HOURS", "745", "directory.resync_hours"),
        ("MAILLAGE__DIRECTORY__SYNC_REQUESTS_PER_SECOND", "0", "directory.sync_requests_per_second"),
        ("MAILLAGE__DIRECTORY__SYNC_REQUESTS_PER_SECOND", "1001", "directory.sync_requests_per_second"),
        ("MAILLAGE__OPEN_DATA__LICENCE", "GPL-9", "open_data.licence"),
        ("MAILLAGE__OPEN_DATA__LICENCE", "", "open_data.licence"),
        ("MAILLAGE__INBOX__PROCESSING_TIMEOUT_SECONDS", "0", "inbox.processing_timeout_seconds"),
        ("MAILLAGE__INBOX__PROCESSING_TIMEOUT_SECONDS", "3601", "inbox.processing_timeout_seconds"),
        ("MAILLAGE__MAIL__SMTP_URL", "mail.example.org", "mail.smtp_url"),
        ("MAILLAGE__MAIL__SMTP_URL", "http://mail.example.org", "mail.smtp_url"),
        ("MAILLAGE__MAIL__SMTP_URL", "smtps://mail.example.org?tls=required", "mail.smtp_url"),
        ("MAILLAGE__MAIL__SMTP_URL", "smtp://127.0.0.1:2525", "mail.from"),
        ("MAILLAGE__MAIL__CLAIM_LINK_HOURS", "0", "mail.claim_link_hours"),
        ("MAILLAGE__MAIL__RETRY_MAX_SECONDS", "1", "mail.retry_max_seconds"),
        ("MAILLAGE__PUSH__CONTACT", "ops@hub.example.org", "push.contact"),
        ("MAILLAGE__PUSH__CONTACT", "http://hub.example.org/contact", "push.contact"),
        ("MAILLAGE__PUSH__TTL_SECONDS", "0", "push.ttl_seconds"),
        ("MAILLAGE__PUSH__RETRY_MAX_SECONDS", "1", "push.retry_max_seconds"),
        ("MAILLAGE__MEDIA__BACKEND", "ftp", "media.backend"),
        ("MAILLAGE__MEDIA__DIRECTORY", " ", "media.directory"),
        ("MAILLAGE__MEDIA__MAX_ATTACHMENTS", "3", "media.max_attachments"),
        ("MAILLAGE__MEDIA__MAX_IMAGE_BYTES", "0", "media.max_image_bytes"),
        ("MAILLAGE__MEDIA__MAX_DOCUMENT_BYTES", "0", "media.max_document_bytes"),
        ("MAILLAGE__MEDIA__MAX_IMAGE_PIXELS", "0", "media.max_image_pixels"),
        ("MAILLAGE__MEDIA__PREVIEW_SIDE", "0", "media.preview_side"),
        ("MAILLAGE__MEDIA__ORIGINAL_SIDE", "320", "media.original_side"),
        ("MAILLAGE__MEDIA__PROCESSING_CONCURRENCY", "0", "media.processing_concurrency"),
        ("MAILLAGE__MEDIA__UNATTACHED_HOURS", "0", "media.unattached_hours"),
        ("MAILLAGE__MEDIA__REMOTE_CACHE_DAYS", "0", "media.remote_cache_days"),
        ("MAILLAGE__MEDIA__REMOTE_MAX_BYTES", "0", "media.remote_max_bytes"),
        ("MAILLAGE__MEDIA__S3__PUBLIC_BASE_URL", "media.hub.example.org", "media.s3.public_base_url"),
        ("MAILLAGE__MEDIA__S3__PUBLIC_BASE_URL", "ftp://media.hub.example.org", "media.s3.public_base_url"),
        ("MAILLAGE__MEDIA__S3__NOPE", "1", "MAILLAGE__MEDIA__S3__NOPE"),
        ("MAILLAGE__STREAMING__MAX_CONNECTIONS", "0", "streaming.max_connections"),
        ("MAILLAGE__STREAMING__MAX_CONNECTIONS", "10", "streaming.max_connections_per_account"),
        ("MAILLAGE__STREAMING__QUEUE_EVENTS", "0", "streaming.queue_events"),
        ("MAILLAGE__STREAMING__PING_SECONDS", "301", "streaming.ping_seconds"),
    ];
    for (var, value, named) in cases {
        let err = load(&[(var, value)]).expect_err(var).to_string();
        assert!(err.contains(named), "{var}={value}: {err}");
    }
}

#[test]
fn file_errors_name_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let err = Config::load_with_env(Some(&missing), env(&[])).unwrap_err().to_string();
    assert!(err.contains("missing.toml"), "{err}");

    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[server]\nlisen = \"x\"\n").unwrap();
    let err = Config::load_with_env(Some(&typo), env(&[])).unwrap_err().to_string();
    assert!(err.contains("server") && err.contains("lisen"), "{err}");

    let wrong_type = dir.path().join("type.toml");
    std::fs::write(&wrong_type, "[server]\nmax_body_bytes = \"big\"\n").unwrap();
    let err = Config::load_with_env(Some(&wrong_type), env(&[])).unwrap_err().to_string();
    assert!(err.contains("server.max_body_bytes"), "{err}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[server\n").unwrap();
    let err = Config::load_with_env(Some(&broken), env(&[])).unwrap_err().to_string();
    assert!(err.contains("broken.toml") && err.contains("TOML"), "{err}");
}

#[test]
fn passwords_are_masked() {
    let config = load(&[("MAILLAGE__DATABASE__URL", "postgres://maillage:s3cret@db:5432/maillage")]).unwrap();
    let shown = config.to_masked_toml();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("postgres://maillage:********@db:5432/maillage"), "{shown}");
    assert_eq!(config.database_kind(), DatabaseKind::Postgres);
}

#[test]
fn postgres_tls_parameters_are_checked_at_load_and_the_password_still_masked() {
    let url = "postgres://maillage:s3cret@db:5432/maillage?sslmode=require";
    let shown = load(&[("MAILLAGE__DATABASE__URL", url)]).unwrap().to_masked_toml();
    assert!(shown.contains("postgres://maillage:********@db:5432/maillage?sslmode=require"), "{shown}");
    let bad = load(&[("MAILLAGE__DATABASE__URL", "postgres://maillage:s3cret@db/maillage?sslmode=verify")]);
    let bad = bad.unwrap_err().to_string();
    assert!(bad.contains("`database.url`") && bad.contains("unknown sslmode value"), "{bad}");
    assert!(!bad.contains("s3cret"), "{bad}");
    let missing = "postgres://maillage@db/maillage?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem";
    let missing = load(&[("MAILLAGE__DATABASE__URL", missing)]).unwrap_err().to_string();
    assert!(missing.contains("`database.url`") && missing.contains("cannot read sslrootcert"), "{missing}");
}

#[test]
fn trusted_proxies_are_addresses_or_ranges() {
    let config = load(&[("MAILLAGE__LIMITS__TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,fd00::/8")]).unwrap();
    assert_eq!(config.limits.trusted_proxies, ["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
    let proxies = config.limits.trusted_proxies().unwrap();
    assert!(proxies.contains("10.20.30.40".parse().unwrap()));
    assert!(proxies.contains("fd00::1".parse().unwrap()));
    assert!(!proxies.contains("127.0.0.1".parse().unwrap()), "loopback is not trusted unless listed");
    assert!(config.warnings().is_empty());
    assert!(load(&[]).unwrap().limits.trusted_proxies().unwrap().is_empty(), "no proxy trusted by default");

    for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0.0/8,nonsense"] {
        let err = load(&[("MAILLAGE__LIMITS__TRUSTED_PROXIES", bad)]).expect_err(bad).to_string();
        assert!(err.contains("limits.trusted_proxies") && err.contains("CIDR"), "{bad}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxies.toml");
    std::fs::write(&path, "[limits]\ntrusted_proxies = [\"::1\", \"2001:db8::/129\"]\n").unwrap();
    let err = Config::load_with_env(Some(&path), env(&[])).unwrap_err().to_string();
    assert!(err.contains("limits.trusted_proxies") && err.contains("2001:db8::/129"), "{err}");
}

#[test]
fn the_old_trust_forwarded_for_means_loopback_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.toml");
    std::fs::write(&path, "[limits]\ntrust_forwarded_for = true\n").unwrap();
    let config = Config::load_with_env(Some(&path), env(&[])).unwrap();
    let proxies = config.limits.trusted_proxies().unwrap();
    for loopback in ["127.0.0.1", "127.9.8.7", "::1"] {
        assert!(proxies.contains(loopback.parse().unwrap()), "{loopback}");
    }
    assert!(!proxies.contains("10.0.0.1".parse().unwrap()) && !proxies.contains("::2".parse().unwrap()));
    let warnings = config.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("limits.trust_forwarded_for") && warnings[0].contains("limits.trusted_proxies"));

    // From the environment too, and beside an explicit list.
    let config =
        load(&[("MAILLAGE__LIMITS__TRUST_FORWARDED_FOR", "true"), ("MAILLAGE__LIMITS__TRUSTED_PROXIES", "10.0.0.0/8")])
            .unwrap();
    let proxies = config.limits.trusted_proxies().unwrap();
    assert!(proxies.contains("127.0.0.1".parse().unwrap()) && proxies.contains("10.1.1.1".parse().unwrap()));
    assert_eq!(config.warnings().len(), 1);

    // False trusted nothing and still does not: only the warning to remove it.
    let config = load(&[("MAILLAGE__LIMITS__TRUST_FORWARDED_FOR", "false")]).unwrap();
    assert!(config.limits.trusted_proxies().unwrap().is_empty());
    assert!(config.warnings()[0].contains("remove it"));
    // The effective configuration shown by `config check` keeps what was given.
    assert!(config.to_masked_toml().contains("trust_forwarded_for = false"));
}

#[test]
fn modes_are_read_into_their_enums() {
    let config =
        load(&[("MAILLAGE__REGISTRATIONS__MODE", "invite"), ("MAILLAGE__FEDERATION__MODE", "allowlist")]).unwrap();
    assert_eq!(config.registrations.mode, RegistrationMode::Invite);
    assert_eq!(config.federation.mode, FederationMode::Allowlist);
    assert!(config.federation.allowlist_mode());
    for mode in RegistrationMode::ALL {
        let config = load(&[("MAILLAGE__REGISTRATIONS__MODE", mode.as_str())]).unwrap();
        assert_eq!(config.registrations.mode, mode);
    }
    let shown = config.to_masked_toml();
    assert!(shown.contains("mode = \"invite\"") && shown.contains("mode = \"allowlist\""), "{shown}");
}

#[test]
fn an_invalid_mode_names_the_setting_and_the_choices() {
    let cases = [
        ("MAILLAGE__REGISTRATIONS__MODE", "open", "registrations.mode", "closed, invite or approval"),
        ("MAILLAGE__REGISTRATIONS__MODE", "Closed", "registrations.mode", "closed, invite or approval"),
        ("MAILLAGE__FEDERATION__MODE", "closed", "federation.mode", "open (every server not blocked) or allowlist"),
        ("MAILLAGE__LOG__FORMAT", "xml", "log.format", "text or json"),
    ];
    for (var, value, setting, choices) in cases {
        let err = load(&[(var, value)]).expect_err(var).to_string();
        assert!(err.contains(setting) && err.contains(choices) && err.contains(value), "{var}={value}: {err}");
    }
}

#[test]
fn logs_are_text_by_default_and_json_when_asked() {
    assert_eq!(load(&[]).unwrap().log.format, crate::LogFormat::Text);
    assert_eq!(load(&[("MAILLAGE__LOG__FORMAT", "json")]).unwrap().log.format, crate::LogFormat::Json);
}

#[test]
fn repeated_warnings_are_summarised_every_minute_unless_told() {
    assert_eq!(load(&[]).unwrap().log.repeat_summary_seconds, 60);
    let zero = load(&[("MAILLAGE__LOG__REPEAT_SUMMARY_SECONDS", "0")]).unwrap_err().to_string();
    assert!(zero.contains("log.repeat_summary_seconds"), "{zero}");
}

#[test]
fn scheduled_backups_are_off_by_default_and_checked_when_on() {
    let config = load(&[]).unwrap();
    assert_eq!(config.backup_interval(), None);
    assert_eq!((config.backup.directory.as_str(), config.backup.keep), ("data/backups", 7));

    let dir = tempfile::tempdir().unwrap();
    let wanted = dir.path().join("not-yet").join("backups");
    let shown = wanted.display().to_string();
    let on = load(&[("MAILLAGE__BACKUP__INTERVAL_HOURS", "0.5"), ("MAILLAGE__BACKUP__DIRECTORY", &shown)]).unwrap();
    assert_eq!(on.backup_interval(), Some(Duration::from_secs(1800)), "a missing directory is created later");
    let file = dir.path().join("m.toml");
    std::fs::write(&file, format!("[backup]\ninterval_hours = 24\ndirectory = {shown:?}\nkeep = 3\n")).unwrap();
    let daily = Config::load_with_env(Some(&file), env(&[])).unwrap();
    assert_eq!(daily.backup_interval(), Some(Duration::from_secs(86_400)), "a whole number of hours");

    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, "").unwrap();
    let a_file = a_file.display().to_string();
    for (pairs, setting) in [
        (vec![("MAILLAGE__BACKUP__INTERVAL_HOURS", "-1")], "backup.interval_hours"),
        (vec![("MAILLAGE__BACKUP__INTERVAL_HOURS", "0.0001")], "backup.interval_hours"),
        (vec![("MAILLAGE__BACKUP__INTERVAL_HOURS", "1"), ("MAILLAGE__BACKUP__KEEP", "0")], "backup.keep"),
        (vec![("MAILLAGE__BACKUP__INTERVAL_HOURS", "1"), ("MAILLAGE__BACKUP__DIRECTORY", "")], "backup.directory"),
        (vec![("MAILLAGE__BACKUP__INTERVAL_HOURS", "1"), ("MAILLAGE__BACKUP__DIRECTORY", &a_file)], "backup.directory"),
    ] {
        let err = load(&pairs).unwrap_err().to_string();
        assert!(err.contains(setting), "{pairs:?}: {err}");
    }
    // Off, the directory is not looked at.
    load(&[("MAILLAGE__BACKUP__DIRECTORY", &a_file)]).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_backup_directory_is_refused() {
    // Nobody, root included, creates files in /proc.
    for (dir, said) in [("/proc", "cannot write in it"), ("/proc/maillage/backups", "cannot be created in /proc")] {
        let err = load(&[("MAILLAGE__BACKUP__INTERVAL_HOURS", "1"), ("MAILLAGE__BACKUP__DIRECTORY", dir)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("backup.directory") && err.contains(said), "{err}");
    }
}

#[test]
fn mail_is_off_by_default_and_its_password_is_masked() {
    assert!(!load(&[]).unwrap().mail.enabled());
    let config = load(&[
        ("MAILLAGE__MAIL__SMTP_URL", "smtps://hub:s3cret@mail.example.org"),
        ("MAILLAGE__MAIL__FROM", "Hub <noreply@hub.example.org>"),
    ])
    .unwrap();
    assert!(config.mail.enabled());
    assert_eq!(config.mail.claim_link_hours, 168);
    let shown = config.to_masked_toml();
    assert!(!shown.contains("s3cret") && shown.contains("smtps://hub:********@mail.example.org"), "{shown}");
    for url in ["smtp://127.0.0.1:2525", "smtp://u:p@mail.example.org:587?tls=required"] {
        load(&[("MAILLAGE__MAIL__SMTP_URL", url), ("MAILLAGE__MAIL__FROM", "noreply@hub.example.org")]).expect(url);
    }
}

/// The settings of an instance storing its media in an S3 bucket.
const S3: &[(&str, &str)] = &[
    ("MAILLAGE__MEDIA__BACKEND", "s3"),
    ("MAILLAGE__MEDIA__S3__ENDPOINT", "https://s3.fr-par.scw.cloud"),
    ("MAILLAGE__MEDIA__S3__BUCKET", "hub-media"),
    ("MAILLAGE__MEDIA__S3__REGION", "fr-par"),
    ("MAILLAGE__MEDIA__S3__ACCESS_KEY_ID", "SCWKEYID"),
    ("MAILLAGE__MEDIA__S3__SECRET_ACCESS_KEY", "s3cret-key"),
];

#[test]
fn media_are_local_by_default_with_the_documented_limits() {
    let media = load(&[]).unwrap().media;
    assert_eq!(media.backend, MediaBackend::Local);
    assert_eq!(media.directory, "data/media");
    assert_eq!(media.max_attachments, 4);
    assert_eq!((media.original_side, media.preview_side), (3840, 640));
    assert_eq!(media.max_image_bytes, 16 * 1024 * 1024);
    assert!(media.processing_concurrency >= 1 && media.quota_per_member_bytes > 0);
    assert!(media.s3.path_style && media.s3.endpoint.is_empty() && media.s3.public_base_url.is_empty());
}

#[test]
fn the_s3_backend_needs_its_settings_and_its_secret_is_masked() {
    let config = load(S3).unwrap();
    assert_eq!(config.media.backend, MediaBackend::S3);
    assert_eq!(config.media.s3.bucket, "hub-media");
    let shown = config.to_masked_toml();
    assert!(!shown.contains("s3cret-key"), "{shown}");
    assert!(shown.contains("secret_access_key = \"********\""), "{shown}");
    assert!(shown.contains("access_key_id = \"SCWKEYID\""), "the key id is not a secret: {shown}");
    assert!(load(&[]).unwrap().to_masked_toml().contains("secret_access_key = \"\""), "nothing to mask");

    for (var, _) in &S3[1..] {
        let without: Vec<(&str, &str)> = S3.iter().map(|&(k, v)| if k == *var { (k, "") } else { (k, v) }).collect();
        let err = load(&without).expect_err(var).to_string();
        let setting = var.trim_start_matches("MAILLAGE__").to_lowercase().replace("__", ".");
        assert!(err.contains(&setting), "{var} empty: {err}");
        assert!(!err.contains("s3cret-key"), "{err}");
    }
    assert!(!format!("{:?}", config.media).contains("s3cret-key"), "Debug masks the secret too");
    for endpoint in ["s3.fr-par.scw.cloud", "ftp://s3.example.org", "https://"] {
        let wrong: Vec<(&str, &str)> = S3
            .iter()
            .map(|&(k, v)| if k == "MAILLAGE__MEDIA__S3__ENDPOINT" { (k, endpoint) } else { (k, v) })
            .collect();
        let err = load(&wrong).expect_err(endpoint).to_string();
        assert!(err.contains("media.s3.endpoint"), "{endpoint}: {err}");
    }
    // The local backend needs none of them.
    load(&[("MAILLAGE__MEDIA__S3__ENDPOINT", "")]).unwrap();
}

#[test]
fn a_public_base_url_is_an_http_url_and_ignored_with_a_warning_on_the_local_backend() {
    let mut public = S3.to_vec();
    public.push(("MAILLAGE__MEDIA__S3__PUBLIC_BASE_URL", "https://media.hub.example.org"));
    let config = load(&public).unwrap();
    assert_eq!(config.media.s3.public_base_url, "https://media.hub.example.org");
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    let local = load(&[("MAILLAGE__MEDIA__S3__PUBLIC_BASE_URL", "https://media.hub.example.org")]).unwrap();
    assert!(local.warnings().iter().any(|w| w.contains("media.s3.public_base_url")), "{:?}", local.warnings());
}
