//! `maillage admin post`: publish, edit and delete updates and practices.

use std::path::PathBuf;

use clap::Subcommand;
use maillage_app::{media, posts};
use maillage_domain::Visibility;
use maillage_federation::content::{NoteDraft, PracticeDraft, Translation};

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum PostCommand {
    /// Post an update (Note) for an enterprise.
    Note {
        #[arg(long)]
        enterprise: String,
        /// The member writing it (an editor of the enterprise).
        #[arg(long)]
        author: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value = "fr")]
        language: String,
        /// Only the enterprise's followers see it (the same as `--visibility private`).
        #[arg(long, conflicts_with = "visibility")]
        followers_only: bool,
        /// Who sees it: public (default), unlisted (off public timelines),
        /// private (the enterprise's followers and those it mentions) or
        /// direct (only those it mentions).
        #[arg(long, value_parser = parse_visibility)]
        visibility: Option<Visibility>,
        /// The post (any server) this one answers.
        #[arg(long)]
        reply_to: Option<String>,
        /// A content warning, shown before the text.
        #[arg(long)]
        content_warning: Option<String>,
        #[command(flatten)]
        extras: Box<NoteExtras>,
    },
    /// Publish a shared practice (Article).
    Practice(Box<PracticeArgs>),
    /// Edit an update's text (and its content warning; "" takes it off).
    EditNote {
        url: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        content_warning: Option<String>,
    },
    /// Replace a practice's content.
    EditPractice {
        url: String,
        #[command(flatten)]
        practice: Box<PracticeArgs>,
    },
    /// Delete a post (it is then served as a Tombstone, 410).
    Delete { url: String },
    /// Who liked and reshared a post.
    Reactions { url: String },
}

/// The optional parts of a new update: a translation, pictures.
#[derive(Debug, Clone, clap::Args)]
pub struct NoteExtras {
    /// The same update in a second language (sent in contentMap).
    #[arg(long, requires = "translation_language")]
    pub translation: Option<String>,
    /// The language of --translation (fr or en).
    #[arg(long)]
    pub translation_language: Option<String>,
    /// A picture to attach (repeatable, in order, at most media.max_attachments).
    #[arg(long = "image", value_name = "FILE")]
    pub images: Vec<PathBuf>,
    /// The alt text of each --image, in the same order.
    #[arg(long = "alt", value_name = "TEXT")]
    pub alts: Vec<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PracticeArgs {
    #[arg(long)]
    pub enterprise: String,
    #[arg(long)]
    pub author: String,
    #[arg(long)]
    pub title: String,
    /// Plain text, at most 500 characters.
    #[arg(long)]
    pub summary: String,
    /// The body, in Markdown.
    #[arg(long, conflicts_with = "body_file", required_unless_present = "body_file")]
    pub body: Option<String>,
    /// A Markdown file holding the body.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// A theme (repeat for several).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Licence URL (default: CC BY-SA 4.0).
    #[arg(long)]
    pub licence: Option<String>,
    /// The practice (any server) this one adapts.
    #[arg(long)]
    pub adapted_from: Option<String>,
    #[arg(long, default_value = "fr")]
    pub language: String,
    /// A document or picture to attach to a new practice (repeatable, in order).
    #[arg(long = "attach", value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// A cover picture (an edit replaces the old one, whose files are deleted).
    #[arg(long, value_name = "FILE")]
    pub cover: Option<PathBuf>,
    /// The cover's alt text.
    #[arg(long, value_name = "TEXT", requires = "cover")]
    pub cover_alt: Option<String>,
}

impl PracticeArgs {
    fn draft(&self) -> Result<PracticeDraft, ServerError> {
        let body = match (&self.body, &self.body_file) {
            (Some(body), _) => body.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| ServerError::Input(format!("cannot read {}: {e}", path.display())))?,
            (None, None) => return Err(ServerError::Input("give --body or --body-file".into())),
        };
        Ok(PracticeDraft {
            enterprise: self.enterprise.clone(),
            author: self.author.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body_markdown: body,
            tags: self.tags.clone(),
            licence: self.licence.clone(),
            adapted_from: self.adapted_from.clone(),
            language: self.language.clone(),
        })
    }
}

/// `--visibility`: Mastodon's names, and `followers` for `private`.
fn parse_visibility(value: &str) -> Result<Visibility, String> {
    match value {
        "followers" => Ok(Visibility::Followers),
        other => Visibility::from_mastodon_name(other).map_err(|e| e.to_string()),
    }
}

/// Uploads `files` for `enterprise` as `member`, with the alt texts in
/// order: their ids. A file refused leaves the earlier ones unattached
/// (pruned after media.unattached_hours).
async fn upload_files(
    app: &maillage_app::App,
    member: &maillage_app::Acting,
    enterprise: &str,
    files: &[PathBuf],
    alts: &[String],
) -> Result<Vec<i64>, ServerError> {
    let mut ids = Vec::new();
    for (n, path) in files.iter().enumerate() {
        let bytes =
            std::fs::read(path).map_err(|e| ServerError::NoInput(format!("cannot read {}: {e}", path.display())))?;
        let upload = media::Upload {
            bytes,
            file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            description: alts.get(n).cloned(),
            focus: None,
            for_actor: Some(enterprise.to_string()),
        };
        ids.push(media::upload(app, member, upload).await?.id);
    }
    Ok(ids)
}

/// Uploads a practice's `--cover` (with `--cover-alt`) as `member`.
async fn upload_cover(
    app: &maillage_app::App,
    member: &maillage_app::Acting,
    enterprise: &str,
    args: &PracticeArgs,
) -> Result<posts::Cover, ServerError> {
    let Some(path) = &args.cover else { return Ok(posts::Cover::Keep) };
    let alts: Vec<String> = args.cover_alt.iter().cloned().collect();
    let ids = upload_files(app, member, enterprise, std::slice::from_ref(path), &alts).await?;
    Ok(ids.first().map_or(posts::Cover::Keep, |id| posts::Cover::Set(*id)))
}

pub(super) async fn run(run: Run<'_>, command: PostCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        PostCommand::Note {
            enterprise,
            author,
            text,
            language,
            followers_only,
            visibility,
            reply_to,
            content_warning,
            extras,
        } => {
            let NoteExtras { translation, translation_language, images, alts } = *extras;
            let visibility = match (visibility, followers_only) {
                (Some(visibility), _) => visibility,
                (None, true) => Visibility::Followers,
                (None, false) => Visibility::Public,
            };
            let draft = NoteDraft {
                enterprise,
                author,
                text,
                language,
                visibility,
                in_reply_to: reply_to,
                content_warning,
                translation: translation
                    .map(|text| Translation { language: translation_language.unwrap_or_default(), text }),
            };
            if alts.len() > images.len() {
                return Err(ServerError::Input("each --alt describes an --image: give the images first".into()));
            }
            let post = if images.is_empty() {
                posts::publish_note(app, acting, &draft).await?
            } else {
                let member = media::acting_as_author(app, acting, &draft.author).await?;
                let ids = upload_files(app, &member, &draft.enterprise, &images, &alts).await?;
                posts::publish_note_with_media(app, &member, &draft, &ids).await?
            };
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::Practice(args) => {
            let draft = args.draft()?;
            let post = if args.attach.is_empty() && args.cover.is_none() {
                posts::publish_practice(app, acting, &draft).await?
            } else {
                let member = media::acting_as_author(app, acting, &draft.author).await?;
                let ids = upload_files(app, &member, &draft.enterprise, &args.attach, &[]).await?;
                let cover = upload_cover(app, &member, &draft.enterprise, &args).await?;
                posts::publish_practice_with_files(app, &member, &draft, &ids, cover).await?
            };
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::EditNote { url, text, content_warning } => {
            let post = posts::edit_note(app, acting, &url, &text, content_warning.as_deref()).await?;
            writeln!(out, "edited {}", post.ap_id)?;
        }
        PostCommand::EditPractice { url, practice } => {
            if !practice.attach.is_empty() {
                return Err(ServerError::Input("--attach is for new practices; edits keep their attachments".into()));
            }
            let draft = practice.draft()?;
            let post = if practice.cover.is_none() {
                posts::edit_practice(app, acting, &url, &draft).await?
            } else {
                let member = media::acting_as_author(app, acting, &draft.author).await?;
                let cover = upload_cover(app, &member, &draft.enterprise, &practice).await?;
                posts::edit_practice_with_files(app, &member, &url, &draft, None, cover).await?
            };
            writeln!(out, "edited {}", post.ap_id)?;
        }
        PostCommand::Delete { url } => {
            posts::delete(app, acting, &url).await?;
            writeln!(out, "deleted {url}")?;
        }
        PostCommand::Reactions { url } => {
            let reactions = app.db().reactions_to(&url).await?;
            for actor in &reactions.likes {
                writeln!(out, "like\t{actor}")?;
            }
            for actor in &reactions.announces {
                writeln!(out, "reshare\t{actor}")?;
            }
            writeln!(out, "{} like(s), {} reshare(s)", reactions.likes.len(), reactions.announces.len())?;
        }
    }
    Ok(())
}
