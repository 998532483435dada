//! Importing a hub's repertoire of enterprises from a spreadsheet or a CSV
//! file (`maillage admin enterprise import`, the staff's import page).
//!
//! Each line is matched to an enterprise by its NEQ when it has one, else
//! by its handle (given, or made from its name), and is created, updated
//! (only when a value changes, through the profile-update path, so that
//! followers get `Update`), left unchanged, or refused with the line, the
//! field and the reason. A line is checked whole before anything is
//! written, and a refused line never stops the others. A dry run gives the
//! same outcomes and writes nothing. New enterprises are admitted as
//! [`crate::enterprises::create`] admits them (the hub's `Add`), but
//! without their key pair, which is made later off the import's path
//! (`maillage_federation::actors::ensure_keys`).

mod columns;
mod line;
mod table;

use std::collections::HashMap;
use std::fmt;

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, EnterpriseProfile, Handle};
use maillage_federation::actors::new_actor_keys_later;
use maillage_federation::content::current_profile;
use maillage_federation::urls::Urls;

pub use columns::{Field, Mapping, MappingError, canonical_header};
pub use line::Refusal;
pub use table::{TableError, decode_text};

use crate::hub::Membership;
use crate::{Acting, App, AppError};

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Say what would happen; write nothing.
    pub dry_run: bool,
    /// Unusual headers, from a mapping file.
    pub mapping: Mapping,
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created,
    /// With the profile fields that changed.
    Updated(Vec<String>),
    Unchanged,
    Refused(Refusal),
}

impl Outcome {
    /// `created`, `updated`, `unchanged` or `refused`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated(_) => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Refused(_) => "refused",
        }
    }
}

/// One line's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct LineReport {
    /// As the file's editor numbers it (the header is line 1).
    pub line: usize,
    /// The enterprise's handle, when the line names or makes one.
    pub handle: Option<String>,
    pub outcome: Outcome,
}

impl fmt::Display for LineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.outcome.as_str())?;
        if let Some(handle) = &self.handle {
            write!(f, " @{handle}")?;
        }
        match &self.outcome {
            Outcome::Updated(fields) => write!(f, " ({})", fields.join(", ")),
            Outcome::Refused(refusal) => write!(f, ": {}: {}", refusal.field, refusal.reason),
            Outcome::Created | Outcome::Unchanged => Ok(()),
        }
    }
}

/// How many lines had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} refused",
            self.created, self.updated, self.unchanged, self.refused
        )
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub dry_run: bool,
    pub lines: Vec<LineReport>,
    /// Columns no field takes (reported once, not per line).
    pub ignored_columns: Vec<String>,
    /// Columns naming a field an earlier column fills (left out).
    pub duplicated_columns: Vec<String>,
}

impl ImportReport {
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for line in &self.lines {
            match line.outcome {
                Outcome::Created => counts.created += 1,
                Outcome::Updated(_) => counts.updated += 1,
                Outcome::Unchanged => counts.unchanged += 1,
                Outcome::Refused(_) => counts.refused += 1,
            }
        }
        counts
    }
}

/// The file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("no column of {0} names an enterprise (name, name_fr, name_en, Nom...) nor a NEQ or handle to update")]
    NoUsableColumn(String),
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        AppError::refused(error.to_string())
    }
}

/// Imports the file `name` (its content `bytes`) into this hub's
/// enterprises (admins); `progress(done, total)` is called after each line.
pub async fn import(
    app: &App,
    acting: &Acting,
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportReport, AppError> {
    acting.require_admin()?;
    let table = table::read(name, bytes).map_err(ImportError::from)?;
    let columns = columns::Columns::of(&table.headers, &options.mapping);
    let identifying = [Field::Name, Field::NameFr, Field::NameEn, Field::Neq, Field::Handle];
    if !columns.fields.iter().flatten().any(|f| identifying.contains(f)) {
        return Err(ImportError::NoUsableColumn(name.to_string()).into());
    }
    let mut run = Run {
        app,
        dry_run: options.dry_run,
        neqs: HashMap::new(),
        handles: HashMap::new(),
        next_number: HashMap::new(),
        audience: None,
    };
    let total = table.rows.len();
    let mut lines = Vec::with_capacity(total);
    for (done, (number, cells)) in table.rows.iter().enumerate() {
        let (handle, outcome) = match run.line(*number, cells, &columns).await {
            Ok((handle, outcome)) => (Some(handle), outcome),
            Err(LineError::Refused(handle, refusal)) => (handle, Outcome::Refused(refusal)),
            Err(LineError::Failed(error)) => return Err(error),
        };
        lines.push(LineReport { line: *number, handle, outcome });
        progress(done + 1, total);
    }
    Ok(ImportReport {
        dry_run: options.dry_run,
        lines,
        ignored_columns: columns.ignored,
        duplicated_columns: columns.duplicated,
    })
}

enum LineError {
    /// The line is refused (with the handle it named or made, if any).
    Refused(Option<String>, Refusal),
    /// The import cannot go on (the database is down).
    Failed(AppError),
}

impl From<AppError> for LineError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid { field, message } => {
                LineError::Refused(None, Refusal::new(field.unwrap_or("profile"), message))
            }
            AppError::Conflict(message) => LineError::Refused(None, Refusal::new("handle", message)),
            other => LineError::Failed(other),
        }
    }
}

impl From<maillage_db::DbError> for LineError {
    fn from(error: maillage_db::DbError) -> Self {
        LineError::Failed(error.into())
    }
}

fn refuse(field: &str, reason: impl Into<String>) -> LineError {
    LineError::Refused(None, Refusal::new(field, reason))
}

/// The enterprise a line is about.
enum Target {
    Existing(Box<LocalActor>),
    New(Handle),
}

/// What one import remembers from line to line.
struct Run<'a> {
    app: &'a App,
    dry_run: bool,
    /// NEQ → the first line that has it.
    neqs: HashMap<String, usize>,
    /// Handle → the line that creates or updates it in this import.
    handles: HashMap<String, usize>,
    /// A handle made from a name → the number to try next for it.
    next_number: HashMap<String, u32>,
    /// Who hears of new enterprises (the hub's followers), read once.
    audience: Option<Option<crate::hub::MembershipAudience>>,
}

impl Run<'_> {
    async fn line(
        &mut self,
        number: usize,
        cells: &[String],
        columns: &columns::Columns,
    ) -> Result<(String, Outcome), LineError> {
        let row = line::parse(cells, columns).map_err(|r| LineError::Refused(None, r))?;
        if let Some(origin) = &row.network_origin {
            return Err(refuse(
                Field::NetworkOrigin.name(),
                format!("entry of another hub ({origin}): follow that hub instead"),
            ));
        }
        let neq = match &row.changes.neq {
            Some(value) => maillage_domain::enterprise::neq("neq", value).map_err(|e| refuse(e.field, e.message))?,
            None => None,
        };
        if let Some(neq) = &neq {
            if let Some(first) = self.neqs.get(neq) {
                return Err(refuse(
                    "neq",
                    format!("the NEQ {neq} is already on line {first}; this later line is not imported"),
                ));
            }
            self.neqs.insert(neq.clone(), number);
        }
        let target = self.target(&row, neq.as_deref()).await?;
        let handle = match &target {
            Target::Existing(actor) => actor.username.clone(),
            Target::New(handle) => handle.to_string(),
        };
        let with_handle = |e: LineError| match e {
            LineError::Refused(None, refusal) => LineError::Refused(Some(handle.clone()), refusal),
            other => other,
        };
        let ctx = self.app.federation().context();
        let current = match &target {
            Target::Existing(actor) => current_profile(ctx, actor),
            Target::New(_) => new_profile(self.app),
        };
        let mut next = current.clone();
        next.apply(&row.changes).map_err(|e| with_handle(refuse(e.field, e.message)))?;
        self.handles.insert(handle.clone(), number);
        let changed = changed_fields(&current, &next);
        let outcome = match &target {
            Target::New(_) => Outcome::Created,
            Target::Existing(_) if changed.is_empty() => Outcome::Unchanged,
            Target::Existing(_) => Outcome::Updated(changed),
        };
        if self.dry_run {
            return Ok((handle, outcome));
        }
        match (target, &outcome) {
            (Target::New(new_handle), _) => self.create(new_handle, &next).await.map_err(with_handle)?,
            (Target::Existing(actor), Outcome::Updated(_)) => {
                crate::profiles::update_enterprise(self.app, &actor, &row.changes)
                    .await
                    .map_err(|e| with_handle(e.into()))?;
            }
            (Target::Existing(_), _) => {}
        }
        Ok((handle, outcome))
    }

    /// The enterprise of a line: by NEQ, else by the handle it gives, else
    /// by the handle its name makes (numbered past those taken by other
    /// enterprises, reserved or used by earlier lines).
    async fn target(&mut self, row: &line::Row, neq: Option<&str>) -> Result<Target, LineError> {
        let db = self.app.db();
        if let Some(neq) = neq
            && let Some(actor) = db.local_enterprise_by_neq(neq).await?
        {
            if let Some(first) = self.handles.get(&actor.username) {
                return Err(refuse("neq", format!("@{} is already imported by line {first}", actor.username)));
            }
            return Ok(Target::Existing(Box::new(actor)));
        }
        if let Some(given) = &row.handle {
            let handle = Handle::parse(given).map_err(|e| refuse("handle", e.to_string()))?;
            if let Some(first) = self.handles.get(handle.as_str()) {
                return Err(refuse("handle", format!("@{handle} is already on line {first}")));
            }
            return match db.local_actor_or_tombstone(handle.as_str()).await? {
                None => Ok(Target::New(handle)),
                Some(actor) if actor.is_deleted() => Err(refuse(
                    "handle",
                    format!(
                        "@{handle} belonged to a deleted enterprise: the handles of deleted enterprises stay reserved"
                    ),
                )),
                Some(actor) if actor.kind() != ActorKind::Enterprise => {
                    Err(refuse("handle", format!("@{handle} is not an enterprise of this hub")))
                }
                Some(actor) => {
                    let theirs = current_profile(self.app.federation().context(), &actor).neq;
                    match (theirs, neq) {
                        (Some(theirs), Some(neq)) if theirs != neq => Err(refuse(
                            "neq",
                            format!("@{handle} has the NEQ {theirs}, not {neq}: correct the handle or the NEQ"),
                        )),
                        _ => Ok(Target::Existing(Box::new(actor))),
                    }
                }
            };
        }
        let name = row.changes.name.as_deref().or(row.changes.name_fr.as_deref()).or(row.changes.name_en.as_deref());
        let base = name.and_then(Handle::from_name).ok_or_else(|| {
            refuse("handle", "no handle, and none can be made from the name: give the line a name or a handle column")
        })?;
        // Numbers below the last one this import gave for the same name are
        // taken: many lines sharing a name's first words stay linear.
        let first = self.next_number.get(base.as_str()).copied().unwrap_or(1);
        for n in first..first.saturating_add(100_000) {
            let candidate = if n == 1 { Some(base.clone()) } else { base.numbered(n) };
            let Some(candidate) = candidate else { break };
            if self.handles.contains_key(candidate.as_str()) {
                continue;
            }
            self.next_number.insert(base.to_string(), n + 1);
            match db.local_actor_or_tombstone(candidate.as_str()).await? {
                None => return Ok(Target::New(candidate)),
                // A line without NEQ nor handle is the enterprise its name
                // made before: re-running the file changes nothing.
                Some(actor)
                    if !actor.is_deleted()
                        && actor.kind() == ActorKind::Enterprise
                        && neq.is_none()
                        && current_profile(self.app.federation().context(), &actor).neq.is_none() =>
                {
                    return Ok(Target::Existing(Box::new(actor)));
                }
                Some(_) => {}
            }
        }
        Err(refuse(
            "handle",
            format!("every handle made from the name ({base}, {base}_2, ...) is taken: give a handle"),
        ))
    }

    /// Admits a new enterprise, its key pair to be made later.
    async fn create(&mut self, handle: Handle, profile: &EnterpriseProfile) -> Result<(), LineError> {
        let app = self.app;
        let name = profile.name().unwrap_or_default();
        let summary = profile.summary().unwrap_or_default();
        let new = new_actor_keys_later(&Urls::new(app.config()), ActorKind::Enterprise, handle.clone(), name, summary)
            .map_err(AppError::from)?;
        let json = serde_json::to_string(profile).map_err(|e| LineError::Failed(AppError::Internal(e.to_string())))?;
        if self.audience.is_none() {
            self.audience = Some(crate::hub::MembershipAudience::read(app).await?);
        }
        let notify =
            self.audience.as_ref().and_then(|a| a.as_ref()).map(|a| a.activity(app, &new.ap_id, Membership::Joined));
        match app.db().create_enterprise_with_profile(&new, &json, profile.neq.as_deref(), notify.as_slice()).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_unique_violation() => Err(refuse(
                "handle",
                format!("@{handle} or the NEQ was taken by someone else meanwhile: run the import again"),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// The profile a new enterprise starts from (as `enterprises::create`
/// gives it): in the hub's region unless the line says otherwise.
fn new_profile(app: &App) -> EnterpriseProfile {
    EnterpriseProfile {
        region: maillage_domain::vocabulary::REGIONS.find(&app.config().hub.region).map(|t| t.code.to_string()),
        ..EnterpriseProfile::default()
    }
}

/// The profile fields (as the API names them) whose value differs.
fn changed_fields(before: &EnterpriseProfile, after: &EnterpriseProfile) -> Vec<String> {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    after.iter().filter(|(key, value)| before.get(*key) != Some(value)).map(|(key, _)| snake_case(key)).collect()
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
