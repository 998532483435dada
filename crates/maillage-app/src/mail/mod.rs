//! E-mail we send: the messages (bilingual, French first, plain text and
//! HTML from askama templates, links absolute to this instance), queued in
//! the database with the change that causes them ([`queue`]), and the
//! worker that sends them over SMTP ([`sender`]).

pub mod sender;

use askama::Template;
use maillage_config::Config;
use maillage_db::NewMail;

use crate::AppError;

/// What a message says, in one language.
pub(crate) struct Wording {
    pub greeting: String,
    pub lines: Vec<String>,
    /// What the link does, as its label.
    pub action: String,
    pub footer: String,
}

#[derive(Template)]
#[template(path = "mail/message.txt")]
struct TextBody<'a> {
    fr: &'a Wording,
    en: &'a Wording,
    link: &'a str,
    instance: &'a str,
}

#[derive(Template)]
#[template(path = "mail/message.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    fr: &'a Wording,
    en: &'a Wording,
    link: &'a str,
    instance: &'a str,
    home: &'a str,
}

/// The messages we send, with what each needs to say.
pub(crate) enum Message<'a> {
    /// Staff invite an enterprise's contact to claim its profile.
    Claim { enterprise: &'a str, hours: u32 },
    /// A member confirms their address.
    Verify,
    /// A member asked for a new password.
    Reset,
    /// An invitation to register (`registrations.mode = invite`) with its code.
    Registration { code: &'a str },
}

impl Message<'_> {
    fn subject(&self, instance: &str) -> String {
        match self {
            Message::Claim { enterprise, .. } => {
                format!("Réclamez la fiche de {enterprise} / Claim the profile of {enterprise} ({instance})")
            }
            Message::Verify => format!("Confirmez votre adresse / Confirm your address ({instance})"),
            Message::Reset => format!("Nouveau mot de passe / New password ({instance})"),
            Message::Registration { .. } => format!("Invitation à {instance} / Invitation to {instance}"),
        }
    }

    fn wording(&self, instance: &str) -> (Wording, Wording) {
        let footer_fr = "Si vous n'attendiez pas ce message, ignorez-le : rien ne change sans vous.".to_string();
        let footer_en = "If you did not expect this message, ignore it: nothing changes without you.".to_string();
        match self {
            Message::Claim { enterprise, hours } => (
                Wording {
                    greeting: "Bonjour,".into(),
                    lines: vec![
                        format!("L'équipe de {instance} vous invite à prendre en main la fiche de {enterprise}."),
                        format!(
                            "Le lien ci-dessous crée votre compte (ou vous connecte) et vous en fait propriétaire ; il sert une fois et expire dans {hours} heures."
                        ),
                    ],
                    action: format!("Réclamer la fiche de {enterprise}"),
                    footer: footer_fr,
                },
                Wording {
                    greeting: "Hello,".into(),
                    lines: vec![
                        format!("The team of {instance} invites you to take charge of the profile of {enterprise}."),
                        format!(
                            "The link below creates your account (or signs you in) and makes you its owner; it works once and expires in {hours} hours."
                        ),
                    ],
                    action: format!("Claim the profile of {enterprise}"),
                    footer: footer_en,
                },
            ),
            Message::Verify => (
                Wording {
                    greeting: "Bonjour,".into(),
                    lines: vec![format!(
                        "Confirmez que cette adresse est la vôtre sur {instance} : elle pourra alors recevoir un nouveau mot de passe si vous l'oubliez."
                    )],
                    action: "Confirmer mon adresse".into(),
                    footer: footer_fr,
                },
                Wording {
                    greeting: "Hello,".into(),
                    lines: vec![format!(
                        "Confirm that this address is yours on {instance}: it can then receive a new password if you forget yours."
                    )],
                    action: "Confirm my address".into(),
                    footer: footer_en,
                },
            ),
            Message::Reset => (
                Wording {
                    greeting: "Bonjour,".into(),
                    lines: vec![
                        format!("Quelqu'un a demandé un nouveau mot de passe pour votre compte sur {instance}."),
                        "Le lien ci-dessous sert une fois et expire dans une heure ; vos autres sessions seront fermées."
                            .into(),
                    ],
                    action: "Choisir un nouveau mot de passe".into(),
                    footer: footer_fr,
                },
                Wording {
                    greeting: "Hello,".into(),
                    lines: vec![
                        format!("Someone asked for a new password for your account on {instance}."),
                        "The link below works once and expires in an hour; your other sessions will end.".into(),
                    ],
                    action: "Choose a new password".into(),
                    footer: footer_en,
                },
            ),
            Message::Registration { code } => (
                Wording {
                    greeting: "Bonjour,".into(),
                    lines: vec![
                        format!("Vous êtes invité·e à ouvrir un compte sur {instance}."),
                        format!(
                            "Dans votre application Mastodon, choisissez le serveur {instance}, puis « S'inscrire », et donnez ce code d'invitation (il sert une fois) : {code}"
                        ),
                    ],
                    action: format!("Découvrir {instance}"),
                    footer: footer_fr,
                },
                Wording {
                    greeting: "Hello,".into(),
                    lines: vec![
                        format!("You are invited to open an account on {instance}."),
                        format!(
                            "In your Mastodon app, choose the server {instance}, then \"Sign up\", and give this invite code (it works once): {code}"
                        ),
                    ],
                    action: format!("Discover {instance}"),
                    footer: footer_en,
                },
            ),
        }
    }

    /// The message to `recipient`, carrying `link` (absolute).
    pub(crate) fn render(&self, config: &Config, recipient: &str, link: &str) -> Result<NewMail, AppError> {
        let instance = config.instance.domain.as_str();
        let subject = self.subject(instance);
        let (fr, en) = self.wording(instance);
        let home = format!("{}/", config.public_base_url());
        let render_error = |e: askama::Error| AppError::Internal(format!("rendering a message: {e}"));
        let text_body = TextBody { fr: &fr, en: &en, link, instance }.render().map_err(render_error)?;
        let html_body = HtmlBody { subject: &subject, fr: &fr, en: &en, link, instance, home: &home }
            .render()
            .map_err(render_error)?;
        Ok(NewMail { recipient: recipient.to_string(), subject, text_body, html_body })
    }
}

/// Refuses, with the setting to change, when this instance sends no mail.
pub(crate) fn require_enabled(config: &Config) -> Result<(), AppError> {
    if config.mail.enabled() {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "this hub sends no e-mail: its admin must set mail.smtp_url and mail.from (see docs/operations.md, Mail)"
                .into(),
        ))
    }
}

/// An absolute link to `path` (with its query) on this instance.
pub(crate) fn link(config: &Config, path: &str) -> String {
    format!("{}{path}", config.public_base_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_french_first_with_the_link_in_both_bodies() {
        let config = Config::load_with_env(None, Vec::new()).unwrap();
        let link = "http://localhost:8080/claim/abc?x=1&y=2";
        let mail = Message::Claim { enterprise: "Coop <Vélo>", hours: 168 }.render(&config, "a@b.c", link).unwrap();
        assert!(mail.subject.starts_with("Réclamez la fiche de Coop <Vélo>"), "{}", mail.subject);
        let fr = mail.text_body.find("Bonjour").unwrap();
        let en = mail.text_body.find("Hello").unwrap();
        assert!(fr < en);
        assert!(mail.text_body.contains(link), "plain text is not escaped: {}", mail.text_body);
        assert!(mail.html_body.contains("href=\"http://localhost:8080/claim/abc?x=1&#38;y=2\""), "{}", mail.html_body);
        assert!(mail.html_body.contains("Coop &#60;Vélo&#62;"), "{}", mail.html_body);
    }
}
