//! The directory as open data: every public profile field of our
//! enterprises (and, when asked, the network directory's), as CSV
//! ([`table`]), as JSON-LD in the sector's vocabularies ([`linked_data`]),
//! each enterprise as a Murmurations profile ([`murmurations`]), and the
//! network's numbers ([`statistics`]). Reading is for anyone: only what an
//! enterprise publishes is written, field by field (a field added to the
//! profile is exported only once a column or term names it), under the
//! licence of `open_data.licence`. Front ends (HTTP, web, CLI) share these
//! serialisers.

pub mod linked_data;
pub mod murmurations;
pub mod statistics;
pub mod table;

use maillage_domain::EnterpriseProfile;

use crate::{App, AppError};

/// Which enterprises an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// This hub's enterprises.
    #[default]
    Own,
    /// This hub's and the network directory's (listed by a hub ours follows).
    Network,
}

impl Scope {
    /// `?scope=` of the export URLs, as the API's directory names them:
    /// `local` (or nothing) and `network`.
    ///
    /// # Errors
    ///
    /// Any other value, named with the choices.
    pub fn parse(value: Option<&str>) -> Result<Scope, AppError> {
        match value.map(str::trim) {
            None | Some("" | "local") => Ok(Scope::Own),
            Some("network") => Ok(Scope::Network),
            Some(other) => Err(AppError::Invalid {
                field: Some("scope"),
                message: format!("unknown scope {other:?}: choose local or network"),
            }),
        }
    }
}

/// The hub another server's enterprise came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The hub's ActivityPub id.
    pub hub: String,
    pub name: String,
}

/// One enterprise as the exports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenEntry {
    /// Its ActivityPub id.
    pub id: String,
    /// Its handle here (`coop`); `coop@other.example` for the network's.
    pub handle: String,
    /// Its web page.
    pub page: String,
    /// `None` for ours.
    pub origin: Option<Origin>,
    pub profile: EnterpriseProfile,
}

/// What every export carries besides its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// Our hub's name and id.
    pub name: String,
    pub hub: String,
    /// This instance's base URL (`https://example.org`).
    pub base_url: String,
    /// The address of the data's licence.
    pub licence: String,
}

impl Publisher {
    pub fn of(app: &App) -> Publisher {
        let config = app.config();
        let base_url = config.public_base_url();
        Publisher {
            name: config.hub.name.clone(),
            hub: format!("{base_url}/actors/{}", config.hub.handle),
            base_url,
            licence: config.open_data_licence(),
        }
    }
}

/// The enterprises of `scope`, ours first then the network's, as the
/// directory holds them.
pub async fn entries(app: &App, scope: Scope) -> Result<Vec<OpenEntry>, AppError> {
    let max_per_server = i64::from(app.config().directory.max_per_server);
    let remote_limit = if scope == Scope::Network { i64::MAX } else { 0 };
    let rows = app.db().directory_rows(max_per_server, remote_limit).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let profile: Option<EnterpriseProfile> =
                row.profile_json.as_deref().and_then(|json| serde_json::from_str(json).ok());
            let (profile, origin, handle) = match (row.domain, profile) {
                (None, profile) => {
                    let mut profile = profile.unwrap_or_default();
                    if profile.name().is_none() {
                        profile.name_fr = row.display_name.clone().filter(|n| !n.trim().is_empty());
                    }
                    (profile, None, row.username)
                }
                (Some(server), Some(profile)) => {
                    let hub = row.hub?;
                    let origin = Origin { name: hub.name().to_string(), hub: hub.ap_id };
                    (profile, Some(origin), format!("{}@{server}", row.username))
                }
                (Some(_), None) => return None,
            };
            Some(OpenEntry { id: row.ap_id, handle, page: row.page, origin, profile })
        })
        .collect())
}

/// One of our enterprises, by handle.
///
/// # Errors
///
/// `NotFound` when no live enterprise of ours has that handle.
pub async fn entry(app: &App, handle: &str) -> Result<OpenEntry, AppError> {
    let actor = app
        .db()
        .local_actor_by_username(handle)
        .await?
        .filter(|a| a.kind() == maillage_domain::ActorKind::Enterprise)
        .ok_or_else(|| AppError::NotFound(format!("no enterprise @{handle} here")))?;
    Ok(local_entry(&actor))
}

/// One of our enterprises as the exports show it (its page's JSON-LD too).
pub fn local_entry(actor: &maillage_db::LocalActor) -> OpenEntry {
    let mut profile: EnterpriseProfile =
        actor.profile_json.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default();
    if profile.name().is_none() {
        profile.name_fr = Some(actor.display_name.clone()).filter(|n| !n.trim().is_empty());
    }
    OpenEntry {
        id: actor.ap_id.clone(),
        handle: actor.username.clone(),
        page: actor.ap_id.clone(),
        origin: None,
        profile,
    }
}
