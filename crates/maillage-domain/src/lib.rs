//! Maillage's vocabulary and the rules that hold whatever the storage or the
//! wire: which kinds of local actors exist, what a valid handle is, how hashtags
//! are matched.
//!
//! This crate does no I/O: no database, no network, no clock reads.

pub mod actor;
pub mod audience;
pub mod enterprise;
pub mod html;
pub mod licences;
pub mod media;
mod named;
pub mod notification;
pub mod password;
pub mod post;
pub mod post_text;
pub mod profile_image;
pub mod push;
pub mod reading;
pub mod regions;
pub mod server_name;
pub mod tags;
pub mod team;
pub mod vocabulary;

pub use actor::{ActorKind, Handle, HandleError, is_account_address};
pub use audience::Visibility;
pub use enterprise::{EnterpriseProfile, ProfileChanges, ProfileError};
pub use media::{MediaKind, MediaRole, RemoteMediaRole, RemoteMediaState};
pub use notification::NotificationKind;
pub use post::PostKind;
pub use team::TeamRole;
