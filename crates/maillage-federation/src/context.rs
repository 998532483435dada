//! What federation code needs at hand, and the library's configuration.
//!
//! [`Federation`] is built once per process: it holds the
//! `activitypub_federation` configuration (our HTTP client, debug mode only
//! on `localhost`, Mastodon-compatible signatures, GETs signed by the
//! instance actor) around a [`Context`] of database, settings and URLs.

use std::sync::Arc;

use activitypub_federation::config::{Data, FederationConfig};
use maillage_config::Config;
use maillage_db::Database;
use maillage_domain::ActorKind;

use crate::actor_object::LocalActorObject;
use crate::client::OutgoingClient;
use crate::error::FederationError;
use crate::inbound::Effects;
use crate::inbox_queue::InboxQueue;
use crate::policy::{DomainPolicies, PolicyVerifier};
use crate::urls::Urls;

/// The application data handed to every federation call: a handle on
/// [`ContextParts`], cheap to clone (the library clones it for every
/// request it handles).
#[derive(Clone)]
pub struct Context(Arc<ContextParts>);

impl std::ops::Deref for Context {
    type Target = ContextParts;

    fn deref(&self) -> &ContextParts {
        &self.0
    }
}

/// What [`Context`] gives access to.
pub struct ContextParts {
    pub db: Database,
    pub config: Arc<Config>,
    pub urls: Urls,
    pub client: OutgoingClient,
    pub policies: DomainPolicies,
    pub(crate) inbox: InboxQueue,
    /// Remote actors as last read from the database, for at most
    /// [`ACTOR_FRESHNESS`]: a busy inbox reads each sender once a second,
    /// not once per activity. A change made by another process (a
    /// moderator's suspension from the CLI) is seen within that time.
    pub(crate) remote_actors: moka::sync::Cache<String, crate::actor_object::RemoteActorObject>,
    /// What received activities do (the use-case layer's).
    pub(crate) effects: Arc<dyn Effects>,
}

impl ContextParts {
    /// Forgets the cached copy of a remote actor that changed or is gone.
    pub fn forget_cached_actor(&self, ap_id: &str) {
        self.remote_actors.invalidate(ap_id);
    }
}

/// How long a remote actor read from the database is trusted without reading it again.
pub const ACTOR_FRESHNESS: std::time::Duration = std::time::Duration::from_secs(1);

/// The federation side of one process (cheap to clone).
#[derive(Clone)]
pub struct Federation {
    library: Arc<FederationConfig<Context>>,
    context: Context,
}

impl Federation {
    /// Needs the instance actor to exist (see `ensure_builtin_actors`).
    /// `effects` is what received activities do (`maillage_app::received`).
    pub async fn new(db: Database, config: Arc<Config>, effects: Arc<dyn Effects>) -> Result<Self, FederationError> {
        let client = OutgoingClient::new(&config).map_err(|e| FederationError::Invalid(e.to_string()))?;
        let instance = db
            .local_actor_of_kind(ActorKind::Instance)
            .await?
            .ok_or_else(|| FederationError::NotFound("the instance actor does not exist yet".into()))?;
        let policies = DomainPolicies::new(db.clone(), &config);
        let context = Context(Arc::new(ContextParts {
            urls: Urls::new(&config),
            inbox: InboxQueue::start(db.clone()),
            remote_actors: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ACTOR_FRESHNESS).build(),
            db,
            config: config.clone(),
            client: client.clone(),
            policies,
            effects,
        }));
        let library = FederationConfig::builder()
            .domain(config.instance.domain.clone())
            .app_data(context.clone())
            .client(client.library_client().clone().into())
            // http, ports and loopback peers: only for localhost instances.
            .debug(config.is_local_domain())
            .http_signature_compat(true)
            .url_verifier(Box::new(PolicyVerifier {
                policies: context.policies.clone(),
                addresses: client.addresses(),
            }))
            .signed_fetch_actor(&LocalActorObject::try_from(instance)?)
            .build()
            .await
            .map_err(|e| FederationError::Invalid(format!("federation configuration: {e}")))?;
        Ok(Federation { library: Arc::new(library), context })
    }

    /// A fresh request context (its fetch counter starts at zero).
    pub fn data(&self) -> Data<Context> {
        self.library.to_request_data()
    }

    pub fn context(&self) -> &Context {
        &self.context
    }
}
