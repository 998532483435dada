//! Interface languages: the French and English strings (Fluent files in
//! `locales/`, compiled in) and the choice of language for a request.
//!
//! The reader's choice wins: `?lang=` (the switcher's links), then the
//! `lang` cookie it sets, then `Accept-Language`, then French (Québec's hubs
//! work in French first).

use std::sync::OnceLock;

use axum::http::{HeaderMap, header};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// `fr`, `fr-CA`, `EN-us`...; anything else is not ours.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language for a request: `?lang=`, then the cookie, then `Accept-Language`.
    pub fn negotiate(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = query_lang.and_then(Lang::parse) {
            return lang;
        }
        if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
            return lang;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        // Ordered by quality; `en-GB` counts as English.
        accept_language::parse(accept).iter().find_map(|tag| Lang::parse(tag)).unwrap_or(Lang::Fr)
    }
}

pub const LANG_COOKIE: &str = "lang";

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| axum_extra::extract::cookie::Cookie::parse(pair.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

struct Bundles {
    fr: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: &str, source: &'static str) -> FluentBundle<FluentResource> {
    // The files are compiled in and checked by the tests below: a syntax
    // error is a build defect, reported once at start.
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(resource, errors)| {
        tracing::error!(?errors, lang, "translation file has errors");
        resource
    });
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: the strings go into HTML, not bidi text.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(?errors, lang, "translation file has duplicate messages");
    }
    bundle
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| Bundles {
        fr: bundle("fr", include_str!("../locales/fr.ftl")),
        en: bundle("en", include_str!("../locales/en.ftl")),
    })
}

/// The interface strings in one language; templates call [`Tr::t`].
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = match self.lang {
            Lang::Fr => &bundles().fr,
            Lang::En => &bundles().en,
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.lang.code(), "missing translation");
            return key.to_string();
        };
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// The string `key`.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The string `key` with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_string()));
        self.format(key, Some(&args))
    }

    /// The string `key` with two text arguments.
    pub fn t2(&self, key: &str, first: (&str, &str), second: (&str, &str)) -> String {
        let mut args = FluentArgs::new();
        args.set(first.0, FluentValue::from(first.1.to_string()));
        args.set(second.0, FluentValue::from(second.1.to_string()));
        self.format(key, Some(&args))
    }

    /// The string `key` with one number argument (plural rules apply).
    pub fn n(&self, key: &str, name: &str, value: usize) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value));
        self.format(key, Some(&args))
    }

    /// The string `key` with two number arguments.
    pub fn n2(&self, key: &str, first: (&str, usize), second: (&str, usize)) -> String {
        let mut args = FluentArgs::new();
        args.set(first.0, FluentValue::from(first.1));
        args.set(second.0, FluentValue::from(second.1));
        self.format(key, Some(&args))
    }

    /// A controlled-vocabulary label in this language.
    pub fn term(&self, vocabulary: &maillage_domain::vocabulary::Vocabulary, code: &str) -> String {
        vocabulary.get(code).map(|t| t.label(self.lang.code()).to_string()).unwrap_or_else(|| code.to_string())
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn keys(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '*', '[']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn both_languages_have_every_string_and_parse() {
        let fr = include_str!("../locales/fr.ftl");
        let en = include_str!("../locales/en.ftl");
        assert!(FluentResource::try_new(fr.to_string()).is_ok());
        assert!(FluentResource::try_new(en.to_string()).is_ok());
        let (fr_keys, en_keys) = (keys(fr), keys(en));
        assert!(fr_keys.len() > 50);
        assert_eq!(fr_keys, en_keys, "fr.ftl and en.ftl must list the same messages in the same order");
        for key in &fr_keys {
            assert_ne!(Tr::new(Lang::Fr).t(key), *key, "{key} untranslated");
        }
    }

    #[test]
    fn plurals_and_arguments() {
        let fr = Tr::new(Lang::Fr);
        let en = Tr::new(Lang::En);
        assert_eq!(en.n("directory-results", "count", 1), "1 enterprise");
        assert_eq!(en.n("directory-results", "count", 7), "7 enterprises");
        assert_eq!(fr.n("directory-results", "count", 0), "Aucune entreprise ne correspond.");
        assert_eq!(fr.t1("theme-title", "tag", "<b>"), "Thème : <b>");
    }

    #[test]
    fn the_readers_choice_wins() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::negotiate(None, &headers), Lang::Fr);
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("de-DE, en-GB;q=0.8, fr;q=0.5"));
        assert_eq!(Lang::negotiate(None, &headers), Lang::En);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=fr"));
        assert_eq!(Lang::negotiate(None, &headers), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("en"), &headers), Lang::En);
        assert_eq!(Lang::negotiate(Some("xx"), &headers), Lang::Fr);
    }
}
