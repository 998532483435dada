//! The integration suite: one binary, real instances over HTTP.
//! Run on SQLite by default, on PostgreSQL with MAILLAGE_TEST_DATABASE_URL
//! (`scripts/test` does both).

// A test binary: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod account_entities;
mod api;
mod apps;
mod architecture;
mod audience;
mod backups;
mod clients;
mod content;
mod directory;
mod directory_hubs;
mod discovery;
mod enterprise_deletion;
mod entities;
mod exit_codes;
mod federation;
mod foundation;
mod import;
mod inbox;
mod limits;
mod logs;
mod mail;
mod media;
mod media_clients;
// media-multi: two processes on one PostgreSQL and one S3 bucket.
mod media_cluster;
mod media_storage;
mod open_data;
mod outages;
mod peers;
mod postgres_tls;
// practice-cover
mod practice_media;
// profile-images: the pictures of our actors.
mod profile_images;
mod push;
mod relations;
mod reliability;
mod remote_media;
mod social;
mod ssrf;
mod streaming;
mod tags;
mod threads;
mod upgrades;
mod web;
