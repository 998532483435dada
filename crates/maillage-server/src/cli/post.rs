//! `maillage admin post`: publish, edit and delete updates and practices.

use std::path::PathBuf;

use clap::Subcommand;
use maillage_app::posts;
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
        /// The same update in a second language (sent in contentMap).
        #[arg(long, requires = "translation_language")]
        translation: Option<String>,
        /// The language of --translation (fr or en).
        #[arg(long)]
        translation_language: Option<String>,
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
            translation,
            translation_language,
        } => {
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
            let post = posts::publish_note(app, acting, &draft).await?;
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::Practice(args) => {
            let post = posts::publish_practice(app, acting, &args.draft()?).await?;
            writeln!(out, "published {}", post.ap_id)?;
        }
        PostCommand::EditNote { url, text, content_warning } => {
            let post = posts::edit_note(app, acting, &url, &text, content_warning.as_deref()).await?;
            writeln!(out, "edited {}", post.ap_id)?;
        }
        PostCommand::EditPractice { url, practice } => {
            let post = posts::edit_practice(app, acting, &url, &practice.draft()?).await?;
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
