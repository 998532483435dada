//! `maillage admin enterprise`: admit enterprises, change their profile,
//! manage their team, delete them.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use maillage_app::profile_images::{PictureSource, set_picture};
use maillage_domain::profile_image::ImageSlot;
use maillage_domain::{ActorKind, TeamRole};

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum EnterpriseCommand {
    /// Create an enterprise: @HANDLE@DOMAIN on the fediverse.
    Create {
        /// Letters a-z, digits and underscores, at most 30.
        handle: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A short presentation (plain text).
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// List the enterprises of this instance (with --network: those of the
    /// hubs this one follows, from the network directory: handle, name,
    /// region, id, and the hub that lists it).
    List {
        #[arg(long)]
        network: bool,
        /// Only the enterprises this hub lists (NAME@DOMAIN; with --network).
        #[arg(long, value_name = "HANDLE", requires = "network", value_parser = hub_handle)]
        hub: Option<String>,
    },
    /// Change an enterprise's profile; its followers receive Update{Organization}.
    Update(Box<ProfileArgs>),
    /// Let a member publish for an enterprise.
    AddEditor {
        handle: String,
        username: String,
        /// Make them an owner, who also manages the team.
        #[arg(long)]
        owner: bool,
    },
    /// E-mail EMAIL a single-use link to claim the enterprise's profile
    /// (open an account, or sign in, and become its owner); EMAIL becomes
    /// its private contact address. Needs [mail] set up.
    Invite { handle: String, email: String },
    /// Take a member off an enterprise's team.
    RemoveEditor { handle: String, username: String },
    /// Import enterprises from a CSV file (UTF-8 or Windows-1252, comma or
    /// semicolon) or a spreadsheet (XLSX, ODS): one line per enterprise,
    /// matched by NEQ, else handle; prints each line's outcome and, last,
    /// "N created, N updated, N unchanged, N refused". Exits with 65 when a
    /// line was refused (the others are imported), 66 when FILE cannot be read.
    Import {
        file: PathBuf,
        /// Print what would be created, updated or refused; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A TOML file of "Their header" = "field" pairs for unusual headers.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
    },
    /// Print an enterprise's profile (JSON).
    Show { handle: String },
    /// Delete an enterprise for good: its posts, team and follows end, its
    /// followers get Delete and the hub's followers Remove; the handle
    /// stays reserved. Cannot be undone.
    Delete {
        handle: String,
        /// Confirm: without it, nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
    /// The directory as open data, as /directory.csv and /directory.jsonld
    /// serve it: this hub's enterprises (with --network, the network
    /// directory's too), public profile fields only.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        #[arg(long)]
        network: bool,
        /// Write here rather than to standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
}

/// The formats of `enterprise export`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonld,
}

/// Profile fields; each given flag replaces the stored value ("" clears it).
#[derive(Debug, Clone, clap::Args)]
pub struct ProfileArgs {
    pub handle: String,
    /// Name in the primary language.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub name_fr: Option<String>,
    #[arg(long)]
    pub name_en: Option<String>,
    /// Presentation in the primary language (plain text).
    #[arg(long)]
    pub summary: Option<String>,
    #[arg(long)]
    pub summary_fr: Option<String>,
    #[arg(long)]
    pub summary_en: Option<String>,
    /// fr or en: the language shown first.
    #[arg(long)]
    pub primary_language: Option<String>,
    /// The Québec enterprise number (10 digits; spaces and hyphens allowed).
    #[arg(long)]
    pub neq: Option<String>,
    /// cooperative, mutual, nonprofit or other.
    #[arg(long)]
    pub legal_form: Option<String>,
    /// workers, consumers, producers, solidarity, worker_shareholder (co-operatives only).
    #[arg(long)]
    pub coop_type: Option<String>,
    /// A sector code (repeat for several; replaces the list).
    #[arg(long = "sector")]
    pub sectors: Vec<String>,
    /// A qualifier code (repeat for several; replaces the list).
    #[arg(long = "qualifier")]
    pub qualifiers: Vec<String>,
    /// A Québec region code (estrie, monteregie, montreal, ...).
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub lat: Option<f64>,
    #[arg(long, allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// local, regional, national or international.
    #[arg(long)]
    pub scope: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    /// Public contact (email or phone).
    #[arg(long)]
    pub contact: Option<String>,
    /// Founding year.
    #[arg(long)]
    pub founded: Option<i32>,
    /// active, in_planning, on_hold or closed.
    #[arg(long)]
    pub status: Option<String>,
    /// A language the enterprise works in (repeat; replaces the list).
    #[arg(long = "language")]
    pub languages: Vec<String>,
    /// The logo: a picture file (uploaded) or an http(s) URL (fetched once
    /// into the media store); empty to go back to the default.
    #[arg(long, value_name = "FILE_OR_URL")]
    pub logo: Option<String>,
    /// The banner, as --logo.
    #[arg(long, value_name = "FILE_OR_URL")]
    pub banner: Option<String>,
}

/// `--logo`/`--banner`: an http(s) address or empty (to clear), else a file path.
fn is_url_or_empty(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    lower.is_empty() || lower.starts_with("http://") || lower.starts_with("https://")
}

fn hub_handle(value: &str) -> Result<String, String> {
    if maillage_domain::is_account_address(value) {
        Ok(value.to_string())
    } else {
        Err("a hub's handle is NAME@DOMAIN, e.g. hub@pole.example".into())
    }
}

impl ProfileArgs {
    pub fn changes(&self) -> maillage_domain::ProfileChanges {
        let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        maillage_domain::ProfileChanges {
            name: self.name.clone(),
            name_fr: self.name_fr.clone(),
            name_en: self.name_en.clone(),
            summary: self.summary.clone(),
            summary_fr: self.summary_fr.clone(),
            summary_en: self.summary_en.clone(),
            primary_language: self.primary_language.clone(),
            neq: self.neq.clone(),
            legal_form: self.legal_form.clone(),
            coop_type: self.coop_type.clone(),
            sectors: list(&self.sectors),
            qualifiers: list(&self.qualifiers),
            region: self.region.clone(),
            address: self.address.clone(),
            latitude: self.lat,
            longitude: self.lon,
            scope: self.scope.clone(),
            website: self.website.clone(),
            contact: self.contact.clone(),
            founded: self.founded,
            status: self.status.clone(),
            languages: list(&self.languages),
            logo_url: self.logo.clone(),
            banner_url: self.banner.clone(),
        }
    }
}

pub(super) async fn run(run: Run<'_>, command: EnterpriseCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    let domain = &app.config().instance.domain;
    match command {
        EnterpriseCommand::Invite { handle, email } => {
            maillage_app::claims::invite(app, acting, &handle, &email).await?;
            let hours = app.config().mail.claim_link_hours;
            writeln!(out, "invitation to claim @{handle} queued for e-mail; its link works once, for {hours} hours")?;
        }
        EnterpriseCommand::Create { handle, name, summary } => {
            let actor = maillage_app::enterprises::create(app, acting, &handle, &name, &summary).await?;
            writeln!(out, "created enterprise @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        EnterpriseCommand::List { network: true, hub } => {
            let db = app.db();
            let max_per_server = i64::from(app.config().directory.max_per_server);
            let mut listed = 0;
            for entry in db.listed_remote_enterprises_with_hubs(max_per_server, 50_000).await? {
                let (actor, hub_handle) = (&entry.enterprise, entry.hub.handle(domain));
                if hub.as_ref().is_some_and(|wanted| !wanted.eq_ignore_ascii_case(&hub_handle)) {
                    continue;
                }
                let profile: Option<maillage_domain::EnterpriseProfile> =
                    actor.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok());
                let name = profile.as_ref().and_then(|p| p.name().map(str::to_string)).or(actor.display_name.clone());
                let region = profile.and_then(|p| p.region).unwrap_or_default();
                writeln!(
                    out,
                    "@{}@{}\t{}\t{region}\t{}\t@{hub_handle}",
                    actor.username,
                    actor.domain,
                    name.unwrap_or_default(),
                    actor.ap_id
                )?;
                listed += 1;
            }
            match hub {
                Some(hub) => writeln!(out, "{listed} enterprise(s) listed by @{hub} in the network directory")?,
                None => writeln!(out, "{listed} enterprise(s) in the network directory")?,
            }
        }
        EnterpriseCommand::List { network: false, .. } => {
            let mut after: Option<String> = None;
            let mut total = 0;
            loop {
                let page = app.db().list_local_actors(ActorKind::Enterprise, after.as_deref(), 200).await?;
                for actor in &page {
                    writeln!(out, "@{}@{domain}\t{}\t{}", actor.username, actor.display_name, actor.ap_id)?;
                }
                total += page.len();
                match page.last() {
                    Some(last) if page.len() == 200 => after = Some(last.username.clone()),
                    _ => break,
                }
            }
            writeln!(out, "{total} enterprise(s)")?;
        }
        EnterpriseCommand::Update(args) => {
            let mut changes = args.changes();
            // --logo/--banner FILE: a path is uploaded; a URL (or an empty
            // value, which clears) goes with the profile's changes.
            for (slot, value) in [(ImageSlot::Icon, &mut changes.logo_url), (ImageSlot::Image, &mut changes.banner_url)]
            {
                let Some(path) = value.take_if(|v| !is_url_or_empty(v)) else { continue };
                let bytes = std::fs::read(&path).map_err(|e| ServerError::Input(format!("cannot read {path}: {e}")))?;
                set_picture(app, acting, &args.handle, slot, PictureSource::File(bytes)).await?;
            }
            let profile = maillage_app::enterprises::update_profile(app, acting, &args.handle, &changes).await?;
            writeln!(out, "updated @{}@{domain}: {}", args.handle, profile.name().unwrap_or_default())?;
        }
        EnterpriseCommand::AddEditor { handle, username, owner } => {
            let role = if owner { TeamRole::Owner } else { TeamRole::Editor };
            maillage_app::teams::add_member(app, acting, &handle, &username, role).await?;
            writeln!(out, "{username} can now publish for {handle} ({})", role.as_str())?;
        }
        EnterpriseCommand::RemoveEditor { handle, username } => {
            maillage_app::teams::remove_member(app, acting, &handle, &username).await?;
            writeln!(out, "{username} no longer publishes for {handle}")?;
        }
        EnterpriseCommand::Delete { handle, yes: false } => {
            return Err(ServerError::Input(format!(
                "deleting the enterprise {handle} cannot be undone: run again with --yes to delete it"
            )));
        }
        EnterpriseCommand::Delete { handle, yes: true } => {
            let deleted = maillage_app::enterprises::delete(app, acting, &handle).await?;
            writeln!(
                out,
                "deleted enterprise @{}@{domain} and its {} post(s); its followers and the hub's are told",
                deleted.actor.username, deleted.posts
            )?;
        }
        EnterpriseCommand::Import { file, dry_run, mapping } => {
            import(app, acting, out, &file, dry_run, mapping.as_deref()).await?;
        }
        EnterpriseCommand::Show { handle } => {
            let enterprise = app.local_actor_of(ActorKind::Enterprise, &handle).await?;
            let profile = maillage_federation::content::current_profile(app.federation().context(), &enterprise);
            let team: Vec<_> = maillage_app::teams::team(app, &enterprise)
                .await?
                .iter()
                .map(|m| serde_json::json!({ "username": m.username, "role": m.role.as_str() }))
                .collect();
            let shown = serde_json::json!({ "id": enterprise.ap_id, "profile": profile, "team": team });
            writeln!(out, "{}", serde_json::to_string_pretty(&shown).unwrap_or_default())?;
        }
        EnterpriseCommand::Export { format, network, output } => {
            use maillage_app::open_data::{self, Publisher, Scope};
            let entries = open_data::entries(app, if network { Scope::Network } else { Scope::Own }).await?;
            let bytes = match format {
                ExportFormat::Csv => open_data::table::write(&entries)?,
                ExportFormat::Jsonld => {
                    let document = open_data::linked_data::directory(&Publisher::of(app), &entries);
                    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
                    text.push('\n');
                    text.into_bytes()
                }
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .map_err(|e| ServerError::Input(format!("cannot write {}: {e}", path.display())))?;
                    writeln!(out, "wrote {} enterprise(s) to {}", entries.len(), path.display())?;
                }
                None => out.write_all(&bytes)?,
            }
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| ServerError::NoInput(format!("cannot read {}: {e}", path.display())))
}

/// `enterprise import`: the outcome of each line, then the counts.
async fn import(
    app: &maillage_app::App,
    acting: &maillage_app::Acting,
    out: &mut dyn std::io::Write,
    file: &Path,
    dry_run: bool,
    mapping: Option<&Path>,
) -> Result<(), ServerError> {
    use std::io::IsTerminal;

    use maillage_app::import::{ImportOptions, Mapping};
    let bytes = read_file(file)?;
    let mapping = match mapping {
        Some(path) => Mapping::parse(&maillage_app::import::decode_text(&read_file(path)?))
            .map_err(|e| ServerError::Input(e.to_string()))?,
        None => Mapping::default(),
    };
    // A bar on a terminal only: a script's output stays line by line.
    let target = if std::io::stdout().is_terminal() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    };
    let bar = indicatif::ProgressBar::with_draw_target(None, target);
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let options = ImportOptions { dry_run, mapping };
    let report = maillage_app::import::import(app, acting, &name, &bytes, &options, &mut progress).await;
    bar.finish_and_clear();
    let report = report?;
    if !report.ignored_columns.is_empty() {
        writeln!(
            out,
            "ignored columns (no profile field; name them with --mapping): {}",
            report.ignored_columns.join(", ")
        )?;
    }
    if !report.duplicated_columns.is_empty() {
        writeln!(
            out,
            "ignored columns (their field comes from an earlier column): {}",
            report.duplicated_columns.join(", ")
        )?;
    }
    for line in &report.lines {
        writeln!(out, "{line}")?;
    }
    if dry_run {
        writeln!(out, "dry run: nothing was written")?;
    }
    let counts = report.counts();
    writeln!(out, "{counts}")?;
    if counts.refused > 0 {
        return Err(ServerError::Input(format!(
            "{} line(s) refused (listed above); the other lines were {}",
            counts.refused,
            if dry_run { "checked" } else { "imported" }
        )));
    }
    Ok(())
}
