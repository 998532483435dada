//! Every HTML transformation Maillage performs, in one place.
//!
//! This module owns:
//!
//! * sanitising remote HTML (`content` / `summary` of objects from other servers) down to the
//!   subset Mastodon 4.2+ keeps ([`sanitize_remote_html`]);
//! * rendering our members' Markdown (shared practices) to safe HTML ([`render_markdown`]);
//! * turning a member's plain-text update into HTML ([`plain_text_to_html`]);
//! * turning HTML back into plain text for summaries, search and previews ([`html_to_text`]);
//! * cutting plain text to a length on a word boundary ([`truncate_text`]).
//!
//! Nothing here does I/O, and nothing here parses or sanitises HTML by hand: sanitising is
//! `ammonia`, parsing, tokenising and serialising are `html5ever` (the parser `ammonia` itself
//! uses), Markdown is `pulldown-cmark`, and URL detection in plain text is `linkify`. Every
//! function that returns HTML returns the output of an `ammonia` pass, so the final gate is
//! always the sanitiser.
//!
//! # Policy (what survives)
//!
//! Elements: `p, span, br, a, del, pre, code, em, strong, b, i, u, ul, ol, li, blockquote`
//! (and `h2, h3, h4` for our own Markdown only). Attributes: `a[href, class]`, `span[class]`,
//! and, as Mastodon 4.2 does, `ol[start, reversed]` and `li[value]` (numbers only). Everything
//! else is removed; unknown elements are unwrapped (their text stays), and block-level ones
//! (`div`, tables, `hr`, `dl`, …) leave a space so that words do not run together.
//!
//! Decisions:
//!
//! * **Classes** are kept only on `a` and `span`, and only the microformats ones (prefixes
//!   `h-`, `p-`, `u-`, `dt-`, `e-`) and `mention`, `hashtag`, `ellipsis`, `invisible`, exactly
//!   Mastodon's rule. Our own stylesheets must therefore not give meaning to class names with
//!   those prefixes outside of content we author.
//! * **`rel`** is always replaced by exactly `nofollow noopener noreferrer`, as Mastodon does.
//!   An incoming `rel="tag"` is dropped (the hashtag is still identified by `class="hashtag"`
//!   and by the object's `tag[]`), and an incoming `rel="me"` is dropped on purpose: remote
//!   content shown on our pages must never let a third party "verify" one of our pages.
//! * **URL schemes**: only `http`, `https` and `mailto` survive in `href`. Relative URLs,
//!   including protocol-relative ones (`//evil.example`), are removed: they would resolve
//!   against *our* origin (or silently pick a scheme), which is never what the remote author
//!   meant. The `<a>` stays, without `href`, so its text is kept.
//! * **Images** (`<img>`, `<picture>`, `<svg>`, media elements) are removed entirely, as
//!   Mastodon does; remote media arrives through `attachment[]`. In our Markdown, an image
//!   `![alt](url)` becomes a link to the image (`<a href="url">alt</a>`) so nothing a member
//!   wrote silently disappears; inside a link it becomes its alt text.
//! * **Dropped with their content**: `script`, `style`, `template`, `iframe`, `frame(set)`,
//!   `object`, `embed`, `applet`, `noscript`, `noembed`, `noframes`, `textarea`, `select`,
//!   `datalist`, `svg`, `math`, `title`, `head`, `canvas`, `audio`, `video`, `picture`.
//!   Other removed elements (`form`, `button`, `font`, …) are unwrapped and keep their text.
//! * Headings: remote `h1`–`h6` become `<p><strong>…</strong></p>` (Mastodon does the same).
//!   In our Markdown, `h1` becomes `h2` and `h5`/`h6` become `h4`, whether they come from
//!   Markdown syntax or raw HTML in the source.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use html5ever::buffer_queue::BufferQueue;
use html5ever::serialize::{HtmlSerializer, SerializeOpts, Serializer};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{Tag as HtmlTag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::{LocalName, QualName, TokenizerResult, ns};
use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{Event, Options, Parser, Tag as MdTag, TagEnd};

/// The `rel` value every surviving link carries.
const LINK_REL: &str = "nofollow noopener noreferrer";

/// URL schemes allowed in `href`.
const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Elements Mastodon 4.2+ keeps in incoming HTML.
const BASE_TAGS: [&str; 16] =
    ["p", "span", "br", "a", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote"];

/// The extra headings a practice (our Markdown) may keep.
const PRACTICE_HEADINGS: [&str; 3] = ["h2", "h3", "h4"];

const ALL_HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

/// Block-level elements that are not allowed but are replaced by a space rather than simply
/// unwrapped, so that `<div>a</div><div>b</div>` reads "a b" and not "ab".
const SPACED_BLOCKS: [&str; 26] = [
    "address",
    "article",
    "aside",
    "caption",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "hr",
    "main",
    "nav",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
];

/// Elements removed together with everything inside them.
const DROPPED_WITH_CONTENT: [&str; 23] = [
    "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "noembed",
    "noframes", "textarea", "select", "datalist", "svg", "math", "title", "head", "canvas", "audio", "video",
    "picture",
];

/// Class prefixes kept: microformats.
const CLASS_PREFIXES: [&str; 5] = ["h-", "p-", "u-", "dt-", "e-"];

/// Class names kept verbatim.
const CLASS_NAMES: [&str; 4] = ["mention", "hashtag", "ellipsis", "invisible"];

/// Elements that mark a paragraph break in [`html_to_text`].
const TEXT_PARAGRAPH_BLOCKS: [&str; 20] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dl",
    "table",
    "hr",
    "figure",
    "section",
    "article",
    "header",
    "footer",
    "aside",
];

/// Elements that mark a line break in [`html_to_text`].
const TEXT_LINE_BLOCKS: [&str; 12] =
    ["li", "div", "tr", "dt", "dd", "caption", "figcaption", "address", "details", "summary", "main", "nav"];

/// Elements whose content is separated by a space in [`html_to_text`].
const TEXT_CELLS: [&str; 2] = ["td", "th"];

/// Final policy for remote HTML and plain-text updates.
static REMOTE_POLICY: LazyLock<Builder<'static>> = LazyLock::new(|| policy(&[]));

/// Final policy for our Markdown: the remote one plus `h2`–`h4`.
static PRACTICE_POLICY: LazyLock<Builder<'static>> = LazyLock::new(|| policy(&PRACTICE_HEADINGS));

/// First pass of the two-pass pipeline: the remote policy plus all headings and the spaced
/// blocks (without any attribute), so that the rewrite step sees them in a sanitised,
/// well-formed document.
static STAGING_POLICY: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let extra: Vec<&'static str> = ALL_HEADINGS.iter().chain(SPACED_BLOCKS.iter()).copied().collect();
    policy(&extra)
});

/// Policy used by [`html_to_text`] before extracting text: only the structural elements
/// that matter for line breaks, no attributes at all.
static TEXT_POLICY: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(
            TEXT_PARAGRAPH_BLOCKS.iter().chain(&TEXT_LINE_BLOCKS).chain(&TEXT_CELLS).chain(&["br"]).copied().collect(),
        )
        .clean_content_tags(DROPPED_WITH_CONTENT.into_iter().collect())
        .tag_attributes(HashMap::new())
        .tag_attribute_values(HashMap::new())
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::new())
        .url_relative(UrlRelative::Deny)
        .link_rel(None)
        .strip_comments(true)
        .id_prefix(None);
    builder
});

fn policy(extra_tags: &[&'static str]) -> Builder<'static> {
    let mut builder = Builder::empty();
    builder
        .tags(BASE_TAGS.iter().chain(extra_tags).copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.into_iter().collect())
        .tag_attributes(HashMap::from([
            ("a", HashSet::from(["href", "class"])),
            ("span", HashSet::from(["class"])),
            ("ol", HashSet::from(["start", "reversed"])),
            ("li", HashSet::from(["value"])),
        ]))
        .tag_attribute_values(HashMap::new())
        .generic_attributes(HashSet::new())
        .url_schemes(URL_SCHEMES.into_iter().collect())
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(filter_attribute);
    builder
}

/// Second line of the policy, applied by ammonia to attributes it already allowed.
fn filter_attribute<'u>(_element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value.split_ascii_whitespace().filter(|class| is_allowed_class(class)).collect();
            if kept.is_empty() { None } else { Some(Cow::Owned(kept.join(" "))) }
        }
        "start" | "value" => value.trim().parse::<i32>().ok().map(|n| Cow::Owned(n.to_string())),
        _ => Some(Cow::Borrowed(value)),
    }
}

fn is_allowed_class(class: &str) -> bool {
    CLASS_NAMES.contains(&class) || CLASS_PREFIXES.iter().any(|prefix| class.starts_with(prefix))
}

/// Remote HTML (content/summary of objects from other servers) → the Mastodon-allowed subset above. Headings h1–h6 become <p><strong>…</strong></p>. Scripts, styles (element and attribute), iframes, images, forms, event-handler attributes, and their contents where dangerous (script/style text must vanish, not become text) are removed.
/// A link from another server, as it may reach a reader: an absolute
/// `http` or `https` URL (normalised), or nothing (`javascript:`, `data:`,
/// relative or unparsable links are dropped).
pub fn http_url(link: &str) -> Option<String> {
    let parsed = url::Url::parse(link.trim()).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()).then(|| parsed.to_string())
}

pub fn sanitize_remote_html(html: &str) -> String {
    sanitize_with_rewrite(html, remote_heading, &REMOTE_POLICY)
}

/// Markdown written by our members (shared practices) → safe HTML. Same policy as remote HTML but additionally allows h2, h3, h4 (a practice is a long document; h1 in source becomes h2), and keeps raw HTML in the Markdown source only if it survives the sanitiser (i.e. sanitise after rendering).
///
/// Markdown extensions: strikethrough (`~~x~~` → `<del>`) only. Tables, task lists and
/// footnotes are off, because their HTML would not survive the policy and the source text
/// reads better than the flattened result. `h5`/`h6` become `h4`. Images become links (see
/// the module documentation).
pub fn render_markdown(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH);
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut rendered, images_as_links(parser));
    sanitize_with_rewrite(&rendered, practice_heading, &PRACTICE_POLICY)
}

/// A member's plain-text update → HTML: paragraphs split on blank lines, single newlines become <br>, text escaped, bare http(s) URLs turned into links (rel="nofollow noopener noreferrer", target none). No Markdown.
///
/// Lines are trimmed, `\r\n` and `\r` count as newlines, and a URL is only linked when it
/// starts with `http://` or `https://` (trailing punctuation and unbalanced brackets are left
/// out of the link, as `linkify` decides).
pub fn plain_text_to_html(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]).url_must_have_scheme(true);

    let mut writer = HtmlWriter::new();
    let mut in_paragraph = false;
    for line in normalized.split('\n').map(str::trim) {
        if line.is_empty() {
            if in_paragraph {
                writer.end("p");
                in_paragraph = false;
            }
            continue;
        }
        if in_paragraph {
            writer.void("br");
        } else {
            writer.start("p", &[]);
            in_paragraph = true;
        }
        for span in finder.spans(line) {
            let piece = span.as_str();
            if span.kind() == Some(&LinkKind::Url) && is_http_url(piece) {
                writer.start("a", &[("href", piece)]);
                writer.text(piece);
                writer.end("a");
            } else {
                writer.text(piece);
            }
        }
    }
    if in_paragraph {
        writer.end("p");
    }
    // The final gate: adds `rel`, re-checks the scheme, and guarantees the policy.
    REMOTE_POLICY.clean(&writer.finish()).to_string()
}

/// HTML → plain text for summaries, search and previews: tags dropped, block elements (p, br, li, headings, blockquote, pre) become line breaks, entities decoded, whitespace collapsed within lines, trimmed. Must not be fooled by `<script>` content (drop it).
///
/// Paragraph-like blocks (`p`, headings, `blockquote`, `pre`, lists, tables, `hr`) are
/// separated by one blank line, `li`/`div`/`tr` by a line break, `br` is always a line break,
/// and table cells by a space; runs of blank lines collapse into one. So
/// `html_to_text(&plain_text_to_html(t))` gives back `t` with whitespace normalised. Content of
/// the elements listed in the module documentation (scripts, styles, SVG, …) is dropped.
pub fn html_to_text(html: &str) -> String {
    // ammonia parses with the full HTML5 algorithm (so `<script>`/`<style>` text is recognised
    // as such and dropped) and serialises a tree made only of text and a few attribute-less
    // structural elements; tokenising that output is then unambiguous.
    let structural = TEXT_POLICY.clean(html).to_string();
    let sink = tokenize(&structural, TextSink::default());
    sink.state.into_inner().finish()
}

/// Cuts plain text to at most `max_chars` characters on a word boundary, adding "…" when cut (the result including the ellipsis is <= max_chars).
///
/// Characters are Unicode scalar values (`char`s). Text that fits is returned unchanged
/// (or trimmed, if only its surrounding whitespace made it too long). A cut happens at the
/// last whitespace that fits, dropping trailing whitespace and `,;:` before the ellipsis;
/// a single word longer than the budget is cut inside the word. `max_chars == 0` gives "".
pub fn truncate_text(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let trimmed = text.trim();
    if trimmed.chars().count() <= max_chars {
        return trimmed.to_owned();
    }
    let Some(budget) = max_chars.checked_sub(1) else {
        return String::new();
    };
    // `trimmed` has more than `max_chars` chars, so the char at index `budget` exists.
    let end = trimmed.char_indices().nth(budget).map_or(trimmed.len(), |(index, _)| index);
    let head = &trimmed[..end];
    let at_boundary = trimmed[end..].starts_with(char::is_whitespace);
    let cut = if at_boundary { head } else { head.rfind(char::is_whitespace).map_or(head, |index| &head[..index]) };
    let mut cut = cut.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':'));
    if cut.is_empty() {
        cut = head.trim_end();
    }
    let mut out = String::with_capacity(cut.len() + '…'.len_utf8());
    out.push_str(cut);
    out.push('…');
    out
}

// ---------------------------------------------------------------------------------------------
// Sanitise → rewrite → sanitise

/// What to do with a heading of a given level.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Heading {
    /// Keep it as it is (allowed by the final policy).
    Keep,
    /// Rename it to another heading element.
    Rename(&'static str),
    /// Replace it by `<p><strong>…</strong></p>`.
    StrongParagraph,
}

fn remote_heading(_level: u8) -> Heading {
    Heading::StrongParagraph
}

fn practice_heading(level: u8) -> Heading {
    match level {
        1 => Heading::Rename("h2"),
        2..=4 => Heading::Keep,
        _ => Heading::Rename("h4"),
    }
}

fn heading_level(name: &str) -> Option<u8> {
    ALL_HEADINGS.iter().position(|heading| *heading == name).and_then(|index| u8::try_from(index + 1).ok())
}

/// Sanitises `html` with the staging policy; if the result contains headings to rewrite or
/// spaced blocks, rewrites them on the token stream of that (already safe, well-formed)
/// output and sanitises again with `final_policy`.
fn sanitize_with_rewrite(html: &str, map: fn(u8) -> Heading, final_policy: &Builder<'static>) -> String {
    let staged = STAGING_POLICY.clean(html).to_string();
    // Elements of the staging policy that are not headings carry no attribute, and ammonia
    // escapes `<` in text and attribute values, so `<name>` occurs only as that start tag.
    let needs_rewrite = ALL_HEADINGS
        .iter()
        .enumerate()
        .filter(|(index, _)| u8::try_from(index + 1).map_or(true, |level| map(level) != Heading::Keep))
        .map(|(_, name)| name)
        .chain(SPACED_BLOCKS.iter())
        .any(|name| staged.contains(&format!("<{name}>")));
    if !needs_rewrite {
        // Without those elements the staged output already satisfies the final policy.
        return staged.trim().to_owned();
    }
    let sink = tokenize(&staged, RewriteSink { writer: RefCell::new(HtmlWriter::new()), map });
    let rewritten = sink.writer.into_inner().finish();
    final_policy.clean(&rewritten).to_string().trim().to_owned()
}

/// Re-serialises sanitised HTML, renaming headings and replacing spaced blocks by spaces.
struct RewriteSink {
    writer: RefCell<HtmlWriter>,
    map: fn(u8) -> Heading,
}

impl RewriteSink {
    fn tag(&self, tag: &HtmlTag) {
        let mut writer = self.writer.borrow_mut();
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        if let Some(level) = heading_level(name) {
            match ((self.map)(level), start) {
                (Heading::Keep, true) => writer.start(name, &[]),
                (Heading::Keep, false) => writer.end(name),
                (Heading::Rename(to), true) => writer.start(to, &[]),
                (Heading::Rename(to), false) => writer.end(to),
                (Heading::StrongParagraph, true) => {
                    writer.start("p", &[]);
                    writer.start("strong", &[]);
                }
                (Heading::StrongParagraph, false) => {
                    writer.end("strong");
                    writer.end("p");
                }
            }
        } else if SPACED_BLOCKS.contains(&name) {
            writer.text(" ");
        } else if start {
            let attrs: Vec<(&str, &str)> = tag.attrs.iter().map(|attr| (&*attr.name.local, &*attr.value)).collect();
            if is_void(name) { writer.void(name) } else { writer.start(name, &attrs) }
        } else if !is_void(name) {
            writer.end(name);
        }
    }
}

impl TokenSink for RewriteSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => self.tag(&tag),
            Token::CharacterTokens(text) => self.writer.borrow_mut().text(&text),
            // Sanitised input has no comments or doctypes; NULs and parse errors are dropped.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "br" | "hr" | "img" | "wbr" | "area" | "base" | "col" | "embed" | "input" | "link" | "meta" | "source"
    )
}

/// Runs the html5ever tokenizer over `html` (which must be ammonia output) and returns the sink.
fn tokenize<S: TokenSink<Handle = ()>>(html: &str, sink: S) -> S {
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    // Our sinks never ask to pause for a script or an encoding change, so this ends at once.
    while !matches!(tokenizer.feed(&queue), TokenizerResult::Done) {}
    tokenizer.end();
    tokenizer.sink
}

/// A small façade over html5ever's serializer: it does all the escaping.
struct HtmlWriter {
    serializer: HtmlSerializer<Vec<u8>>,
    /// Names of open elements, so that stray end tags are ignored rather than unbalancing
    /// the serializer.
    open: Vec<String>,
}

impl HtmlWriter {
    fn new() -> Self {
        let opts = SerializeOpts { scripting_enabled: false, create_missing_parent: true, ..SerializeOpts::default() };
        Self { serializer: HtmlSerializer::new(Vec::new(), opts), open: Vec::new() }
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.open_element(name, attrs);
        self.open.push(name.to_owned());
    }

    /// A void element (`<br>`): written as a start tag only.
    fn void(&mut self, name: &str) {
        self.open_element(name, &[]);
        // Pops the serializer's own stack entry; writes nothing for void elements.
        infallible(self.serializer.end_elem(html_name(name)));
    }

    fn end(&mut self, name: &str) {
        if self.open.last().is_some_and(|open| open == name) {
            self.open.pop();
            infallible(self.serializer.end_elem(html_name(name)));
        }
    }

    fn text(&mut self, text: &str) {
        infallible(self.serializer.write_text(text));
    }

    fn open_element(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let names: Vec<QualName> =
            attrs.iter().map(|(attr, _)| QualName::new(None, ns!(), LocalName::from(*attr))).collect();
        let refs = names.iter().zip(attrs).map(|(qual, (_, value))| (qual, *value));
        infallible(self.serializer.start_elem(html_name(name), refs));
    }

    fn finish(mut self) -> String {
        while let Some(name) = self.open.pop() {
            infallible(self.serializer.end_elem(html_name(&name)));
        }
        // The serializer only ever writes `&str` data and ASCII markup.
        String::from_utf8(self.serializer.writer)
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
    }
}

fn html_name(name: &str) -> QualName {
    QualName::new(None, ns!(html), LocalName::from(name))
}

/// Writing into a `Vec<u8>` cannot fail.
fn infallible(result: std::io::Result<()>) {
    debug_assert!(result.is_ok(), "writing HTML into memory failed: {result:?}");
}

fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Turns Markdown images into links to the image (alt text as link text, the URL when there is
/// no alt text); inside a link, an image becomes just its alt text.
fn images_as_links<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut events = events.peekable();
    let mut pending: Vec<Event<'a>> = Vec::new();
    let mut link_depth = 0usize;
    // Images whose start was dropped (because they were inside a link): their ends are dropped too.
    let mut image_kinds: Vec<bool> = Vec::new();
    std::iter::from_fn(move || {
        loop {
            if let Some(event) = pending.pop() {
                return Some(event);
            }
            match events.next()? {
                Event::Start(MdTag::Link { link_type, dest_url, title, id }) => {
                    link_depth += 1;
                    return Some(Event::Start(MdTag::Link { link_type, dest_url, title, id }));
                }
                Event::End(TagEnd::Link) => {
                    link_depth = link_depth.saturating_sub(1);
                    return Some(Event::End(TagEnd::Link));
                }
                Event::Start(MdTag::Image { link_type, dest_url, title, id }) => {
                    if link_depth > 0 {
                        image_kinds.push(false);
                        continue;
                    }
                    if matches!(events.peek(), Some(Event::End(TagEnd::Image))) {
                        events.next();
                        pending.push(Event::End(TagEnd::Link));
                        pending.push(Event::Text(dest_url.clone()));
                    } else {
                        image_kinds.push(true);
                        link_depth += 1;
                    }
                    return Some(Event::Start(MdTag::Link { link_type, dest_url, title, id }));
                }
                Event::End(TagEnd::Image) => {
                    if image_kinds.pop() == Some(true) {
                        link_depth = link_depth.saturating_sub(1);
                        return Some(Event::End(TagEnd::Link));
                    }
                }
                other => return Some(other),
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// HTML → text

#[derive(Default)]
struct TextSink {
    state: RefCell<TextState>,
}

#[derive(Default)]
struct TextState {
    lines: Vec<String>,
    current: String,
    pre_depth: usize,
}

impl TextState {
    fn hard_break(&mut self) {
        let line = std::mem::take(&mut self.current);
        self.lines.push(line);
    }

    fn line_break(&mut self) {
        if self.current.trim().is_empty() {
            self.current.clear();
        } else {
            self.hard_break();
        }
    }

    fn paragraph_break(&mut self) {
        self.line_break();
        if self.lines.last().is_some_and(|line| !line.trim().is_empty()) {
            self.lines.push(String::new());
        }
    }

    fn text(&mut self, text: &str) {
        if self.pre_depth > 0 {
            let mut parts = text.split('\n');
            if let Some(first) = parts.next() {
                self.current.push_str(first);
            }
            for part in parts {
                self.hard_break();
                self.current.push_str(part);
            }
        } else {
            self.current.extend(text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }));
        }
    }

    fn tag(&mut self, name: &str, start: bool) {
        if name == "br" {
            if start {
                self.hard_break();
            }
        } else if TEXT_PARAGRAPH_BLOCKS.contains(&name) {
            self.paragraph_break();
            if name == "pre" {
                self.pre_depth = if start { self.pre_depth + 1 } else { self.pre_depth.saturating_sub(1) };
            }
        } else if TEXT_LINE_BLOCKS.contains(&name) {
            self.line_break();
        } else if TEXT_CELLS.contains(&name) {
            self.current.push(' ');
        }
    }

    fn finish(mut self) -> String {
        self.hard_break();
        let mut out = String::new();
        let mut blank_pending = false;
        for line in &self.lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.is_empty() {
                blank_pending = !out.is_empty();
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
                if blank_pending {
                    out.push('\n');
                }
            }
            blank_pending = false;
            out.push_str(&words.join(" "));
        }
        out
    }
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => state.tag(&tag.name, tag.kind == TagKind::StartTag),
            Token::CharacterTokens(text) => state.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::http_url;

    #[test]
    fn only_absolute_http_links_reach_readers() {
        assert_eq!(http_url("https://peer.example/@ana").as_deref(), Some("https://peer.example/@ana"));
        assert_eq!(http_url(" http://peer.example ").as_deref(), Some("http://peer.example/"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "/relative",
            "mailto:a@b.c",
            "",
            "vbscript:x",
            "https://",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }

    use super::*;

    const REL: &str = r#"rel="nofollow noopener noreferrer""#;

    /// Strings that must never appear in sanitised output.
    const FORBIDDEN: [&str; 9] =
        ["<script", "onerror", "onclick", "javascript:", "style=", "<iframe", "<img", "data:", "<style"];

    fn assert_clean(output: &str) {
        let lower = output.to_ascii_lowercase();
        for needle in FORBIDDEN {
            assert!(!lower.contains(needle), "output contains {needle:?}: {output}");
        }
        assert!(!lower.contains("<svg") && !lower.contains("<math"), "foreign content survived: {output}");
    }

    /// Every piece of hostile input used below, for the cross-function checks.
    const HOSTILE: [&str; 30] = [
        "<script>alert(1)</script>",
        "<style>body{}</style>",
        "<img src=x onerror=alert(1)>",
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href="  JaVaScRiPt:alert(1)">x</a>"#,
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        r#"<a href="data:text/html,<script>alert(1)</script>">x</a>"#,
        r#"<a href="vbscript:msgbox(1)">x</a>"#,
        r#"<p onclick="x" style="color:red" class="hashtag evil">t</p>"#,
        r#"<iframe src="https://evil.example">inner</iframe>"#,
        "<svg><script>alert(1)</script></svg>",
        "<svg onload=alert(1)><g/></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        r#"<math href="javascript:alert(1)">CLICK</math>"#,
        "<math><mi xlink:href=\"data:x,<script>alert(1)</script>\">y</mi></math>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
        "<form action=\"javascript:alert(1)\"><input type=submit formaction=javascript:alert(1)><button>Go</button></form>",
        "<object data=\"data:text/html,x\"></object><embed src=\"javascript:alert(1)\">",
        "<textarea><script>alert(1)</script></textarea>",
        "<template><script>alert(1)</script></template>",
        "<div style=\"background:url(javascript:alert(1))\">d</div>",
        "<a href=\"https://ok.example\" onmouseover=\"alert(1)\" target=\"_blank\">ok</a>",
        "<<script>script>alert(1)<</script>/script>",
        "<scr<script>ipt>alert(1)</script>",
        "<!--<script>alert(1)</script>-->",
        "<svg><style><img src=x onerror=alert(1)></style></svg>",
        "<xmp><script>alert(1)</script></xmp>",
        "<h1><h1 onclick=alert(1)>nested</h1></h1>",
        "<base href=\"javascript:/\"><a href=\"x\">rel</a><link rel=stylesheet href=x><meta http-equiv=refresh content=0>",
    ];

    /// The two corpus entries whose "alert(1)" is visible text in a browser too: `<xmp>` shows
    /// its content literally, and `<scr<script>ipt>` is an unknown element followed by text.
    fn shows_alert_as_text(input: &str) -> bool {
        input.starts_with("<xmp>") || input.starts_with("<scr<script>")
    }

    // -- sanitize_remote_html: simple cases, exact ------------------------------------------

    #[test]
    fn plain_paragraphs_pass_through() {
        assert_eq!(sanitize_remote_html("<p>Hello <em>world</em></p>"), "<p>Hello <em>world</em></p>");
        assert_eq!(
            sanitize_remote_html("<p>a<br>b</p><ul><li>x</li></ul><blockquote>q</blockquote>"),
            "<p>a<br>b</p><ul><li>x</li></ul><blockquote>q</blockquote>"
        );
        assert_eq!(
            sanitize_remote_html("<pre><code>let x = 1 &lt; 2;</code></pre><del>d</del><b>b</b><i>i</i><u>u</u>"),
            "<pre><code>let x = 1 &lt; 2;</code></pre><del>d</del><b>b</b><i>i</i><u>u</u>"
        );
    }

    #[test]
    fn links_get_rel_and_keep_href() {
        assert_eq!(
            sanitize_remote_html(r#"<a href="https://example.org/x?a=1&amp;b=2" target="_blank" rel="me">x</a>"#),
            format!(r#"<a href="https://example.org/x?a=1&amp;b=2" {REL}>x</a>"#)
        );
        assert_eq!(
            sanitize_remote_html(r#"<a href="mailto:a@example.org">mail</a>"#),
            format!(r#"<a href="mailto:a@example.org" {REL}>mail</a>"#)
        );
        assert_eq!(
            sanitize_remote_html(r#"<a href="http://example.org">x</a>"#),
            format!(r#"<a href="http://example.org" {REL}>x</a>"#)
        );
    }

    #[test]
    fn mastodon_mention_survives_intact() {
        let mention =
            r#"<span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a></span>"#;
        assert_eq!(
            sanitize_remote_html(mention),
            format!(
                r#"<span class="h-card"><a href="https://m.example/@a" class="u-url mention" {REL}>@<span>a</span></a></span>"#
            )
        );
        let full = format!("<p>{mention} hello</p>");
        assert_eq!(
            sanitize_remote_html(&full),
            format!(
                r#"<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention" {REL}>@<span>a</span></a></span> hello</p>"#
            )
        );
    }

    #[test]
    fn hashtag_link_keeps_classes_and_rel_is_replaced() {
        let tag = r#"<a href="https://m.example/tags/bio" class="mention hashtag" rel="tag">#<span>bio</span></a>"#;
        assert_eq!(
            sanitize_remote_html(tag),
            format!(r#"<a href="https://m.example/tags/bio" class="mention hashtag" {REL}>#<span>bio</span></a>"#)
        );
    }

    #[test]
    fn mastodon_link_formatting_spans_survive() {
        let html = r#"<a href="https://example.org/a/very/long/path"><span class="invisible">https://</span><span class="ellipsis">example.org/a/very</span><span class="invisible">/long/path</span></a>"#;
        assert_eq!(
            sanitize_remote_html(html),
            format!(
                r#"<a href="https://example.org/a/very/long/path" {REL}><span class="invisible">https://</span><span class="ellipsis">example.org/a/very</span><span class="invisible">/long/path</span></a>"#
            )
        );
    }

    #[test]
    fn classes_are_filtered() {
        assert_eq!(
            sanitize_remote_html(r#"<span class="h-card evil p-name dt-published e-content u-photo btn">x</span>"#),
            r#"<span class="h-card p-name dt-published e-content u-photo">x</span>"#
        );
        assert_eq!(sanitize_remote_html(r#"<span class="evil">x</span>"#), "<span>x</span>");
        // Classes on other elements go.
        assert_eq!(sanitize_remote_html(r#"<p class="h-entry">x</p>"#), "<p>x</p>");
        assert_eq!(sanitize_remote_html(r#"<code class="language-rust">x</code>"#), "<code>x</code>");
    }

    #[test]
    fn headings_become_strong_paragraphs() {
        assert_eq!(sanitize_remote_html("<h1>Title</h1><p>x</p>"), "<p><strong>Title</strong></p><p>x</p>");
        assert_eq!(
            sanitize_remote_html("<h3 id=\"a\" class=\"p-name\">T <em>e</em></h3>"),
            "<p><strong>T <em>e</em></strong></p>"
        );
        for level in 1..=6 {
            assert_eq!(sanitize_remote_html(&format!("<h{level}>H</h{level}>")), "<p><strong>H</strong></p>");
        }
    }

    #[test]
    fn nested_headings_are_flattened() {
        // The HTML parser closes the first h1 when the second opens.
        let out = sanitize_remote_html("<h1>a<h1>b</h1></h1>");
        assert_eq!(out, "<p><strong>a</strong></p><p><strong>b</strong></p>");
        let out = sanitize_remote_html("<h1><h2 onclick=alert(1)>x</h2></h1>");
        assert_eq!(out, "<p><strong></strong></p><p><strong>x</strong></p>");
        assert_clean(&out);
    }

    #[test]
    fn headings_inside_other_elements() {
        assert_eq!(
            sanitize_remote_html("<blockquote><h2>q</h2></blockquote>"),
            "<blockquote><p><strong>q</strong></p></blockquote>"
        );
        assert_eq!(sanitize_remote_html("<ul><li><h4>i</h4></li></ul>"), "<ul><li><p><strong>i</strong></p></li></ul>");
    }

    #[test]
    fn unknown_blocks_are_unwrapped_with_space() {
        assert_eq!(sanitize_remote_html("<div>a</div><div>b</div>"), "a  b");
        assert_eq!(sanitize_remote_html("<table><tr><td>a</td><td>b</td></tr></table>"), "a  b");
        assert_eq!(sanitize_remote_html("<p>a</p><hr><p>b</p>"), "<p>a</p> <p>b</p>");
        // Inline unknowns are unwrapped without space.
        assert_eq!(sanitize_remote_html("<p>a<font color=red>b</font>c</p>"), "<p>abc</p>");
    }

    #[test]
    fn list_numbering_attributes() {
        assert_eq!(
            sanitize_remote_html(r#"<ol start="3" reversed type="a"><li value="7">x</li></ol>"#),
            r#"<ol start="3" reversed=""><li value="7">x</li></ol>"#
        );
        assert_eq!(
            sanitize_remote_html(r#"<ol start="javascript:1"><li value="x">y</li></ol>"#),
            "<ol><li>y</li></ol>"
        );
    }

    #[test]
    fn empty_and_text_input() {
        assert_eq!(sanitize_remote_html(""), "");
        assert_eq!(sanitize_remote_html("just text & more"), "just text &amp; more");
        assert_eq!(sanitize_remote_html("1 < 2 > 0"), "1 &lt; 2 &gt; 0");
    }

    // -- sanitize_remote_html: hostile corpus -------------------------------------------------

    #[test]
    fn script_and_style_vanish_with_content() {
        assert_eq!(sanitize_remote_html("<script>alert(1)</script>"), "");
        assert_eq!(sanitize_remote_html("<p>a<script>alert(1)</script>b</p>"), "<p>ab</p>");
        assert_eq!(sanitize_remote_html("<style>body{}</style>"), "");
        assert_eq!(sanitize_remote_html("<p>a</p><style>body{display:none}</style>"), "<p>a</p>");
    }

    #[test]
    fn images_are_removed() {
        assert_eq!(sanitize_remote_html("<img src=x onerror=alert(1)>"), "");
        assert_eq!(sanitize_remote_html(r#"<p>see <img src="https://x.example/a.png" alt="cat"></p>"#), "<p>see </p>");
    }

    #[test]
    fn dangerous_hrefs_are_removed() {
        let expected = format!("<a {REL}>x</a>");
        for href in [
            "javascript:alert(1)",
            "  JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "&#106;avascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://example.org/",
            "//evil.example",
            "\\\\evil.example",
            "/relative/path",
            "relative",
            "#fragment",
        ] {
            let html = format!(r#"<a href="{href}">x</a>"#);
            let out = sanitize_remote_html(&html);
            assert_eq!(out, expected, "href {href:?}");
            assert_clean(&out);
        }
    }

    #[test]
    fn protocol_relative_links_lose_href() {
        assert_eq!(sanitize_remote_html(r#"<a href="//evil.example">x</a>"#), format!("<a {REL}>x</a>"));
    }

    #[test]
    fn attributes_are_stripped() {
        let out = sanitize_remote_html(r#"<p onclick="x" style="color:red" class="hashtag evil">t</p>"#);
        assert_eq!(out, "<p>t</p>");
        let out = sanitize_remote_html(
            r#"<a href="https://ok.example" onmouseover="alert(1)" target="_blank" id="i" title="t" lang="fr">ok</a>"#,
        );
        assert_eq!(out, format!(r#"<a href="https://ok.example" {REL}>ok</a>"#));
    }

    #[test]
    fn iframes_and_embeds_vanish() {
        assert_eq!(sanitize_remote_html(r#"<iframe src="https://evil.example">inner</iframe>"#), "");
        assert_eq!(sanitize_remote_html(r#"<object data="x">fallback</object><embed src="y">"#), "");
    }

    #[test]
    fn forms_are_unwrapped() {
        let out = sanitize_remote_html(
            r#"<form action="javascript:alert(1)"><input type=submit formaction=javascript:alert(1)><button>Go</button><select><option>o</option></select></form>"#,
        );
        assert_eq!(out, "Go");
    }

    #[test]
    fn svg_and_math_vanish() {
        assert_eq!(sanitize_remote_html("<svg><script>alert(1)</script></svg>"), "");
        assert_eq!(sanitize_remote_html("<p>a<svg onload=alert(1)><text>t</text></svg>b</p>"), "<p>ab</p>");
        assert_eq!(sanitize_remote_html("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"), "");
        assert_eq!(sanitize_remote_html(r#"<math href="javascript:alert(1)">CLICK</math>"#), "");
    }

    #[test]
    fn hostile_corpus_is_neutralised() {
        for input in HOSTILE {
            let out = sanitize_remote_html(input);
            assert_clean(&out);
            // "alert(1)" survives only where a browser would show it as text, escaped.
            assert_eq!(out.contains("alert(1)"), shows_alert_as_text(input), "{input} → {out}");
        }
    }

    #[test]
    fn escaped_markup_stays_text() {
        // Text that looks like markup is escaped, not revived.
        assert_eq!(
            sanitize_remote_html("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(sanitize_remote_html("<xmp><b>x</b></xmp>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(sanitize_remote_html("<h1>&lt;script&gt;</h1>"), "<p><strong>&lt;script&gt;</strong></p>");
    }

    #[test]
    fn sanitising_is_idempotent() {
        let inputs = [
            "<h1>T</h1><p>a <a href=\"https://x.example\" rel=\"tag\" class=\"hashtag\">#t</a></p>",
            "<div>a</div><table><tr><td>b</td></tr></table>",
            r#"<span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a></span>"#,
        ];
        for input in inputs.iter().chain(HOSTILE.iter()) {
            let once = sanitize_remote_html(input);
            assert_eq!(sanitize_remote_html(&once), once, "input {input}");
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}x{}", "<span><b>".repeat(20_000), "</b></span>".repeat(20_000));
        let out = sanitize_remote_html(&html);
        assert!(out.contains('x'));
        let text = html_to_text(&format!("{}x{}", "<div><h1>".repeat(5_000), "</h1></div>".repeat(5_000)));
        assert_eq!(text, "x");
    }

    // -- render_markdown -------------------------------------------------------------------------

    #[test]
    fn markdown_basics() {
        assert_eq!(render_markdown("Hello *world*"), "<p>Hello <em>world</em></p>");
        assert_eq!(
            render_markdown("**b** and ~~gone~~ and `c`"),
            "<p><strong>b</strong> and <del>gone</del> and <code>c</code></p>"
        );
        assert_eq!(render_markdown("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
        assert_eq!(render_markdown("3. c\n4. d"), "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>");
        assert_eq!(render_markdown("> q"), "<blockquote>\n<p>q</p>\n</blockquote>");
        assert_eq!(render_markdown("```rust\nfn a() {}\n```"), "<pre><code>fn a() {}\n</code></pre>");
    }

    #[test]
    fn markdown_headings_are_clamped_to_h2_h4() {
        assert_eq!(render_markdown("# Title"), "<h2>Title</h2>");
        assert_eq!(render_markdown("## Section"), "<h2>Section</h2>");
        assert_eq!(render_markdown("### Sub"), "<h3>Sub</h3>");
        assert_eq!(render_markdown("#### Four"), "<h4>Four</h4>");
        assert_eq!(render_markdown("##### Five"), "<h4>Five</h4>");
        assert_eq!(render_markdown("###### Six"), "<h4>Six</h4>");
        assert_eq!(render_markdown("# T\n\ntext"), "<h2>T</h2>\n<p>text</p>");
        // Raw HTML headings follow the same rule.
        assert_eq!(render_markdown("<h1 onclick=\"x\">Raw</h1>"), "<h2>Raw</h2>");
        assert_eq!(render_markdown("<h6>Raw</h6>"), "<h4>Raw</h4>");
    }

    #[test]
    fn markdown_links() {
        assert_eq!(
            render_markdown("[site](https://example.org \"title\")"),
            format!(r#"<p><a href="https://example.org" {REL}>site</a></p>"#)
        );
        assert_eq!(
            render_markdown("<https://example.org>"),
            format!(r#"<p><a href="https://example.org" {REL}>https://example.org</a></p>"#)
        );
        // Relative links are removed, like remote ones.
        assert_eq!(render_markdown("[rel](/practices/1)"), format!("<p><a {REL}>rel</a></p>"));
    }

    #[test]
    fn markdown_javascript_link_is_neutralised() {
        let out = render_markdown("[x](javascript:alert(1))");
        assert_eq!(out, format!("<p><a {REL}>x</a></p>"));
        assert_clean(&out);
        let out = render_markdown("[x](  JaVaScRiPt:alert(1)) [y](<javascript:alert(1)>) [z](data:text/html,hi)");
        assert_clean(&out);
    }

    #[test]
    fn markdown_embedded_script_is_dropped() {
        let out = render_markdown("Hello\n\n<script>alert(1)</script>\n\nworld <script>alert(1)</script> end");
        assert_eq!(out, "<p>Hello</p>\n\n<p>world  end</p>");
        assert_clean(&out);
        assert!(!out.contains("alert"));
    }

    #[test]
    fn markdown_raw_html_survives_only_if_allowed() {
        assert_eq!(
            render_markdown("<p style=\"x\">hi <u>there</u> <img src=x onerror=alert(1)></p>"),
            "<p>hi <u>there</u> </p>"
        );
        assert_eq!(
            render_markdown("a <span class=\"h-card evil\">b</span>"),
            r#"<p>a <span class="h-card">b</span></p>"#
        );
        for input in HOSTILE {
            assert_clean(&render_markdown(input));
        }
    }

    #[test]
    fn markdown_images_become_links() {
        assert_eq!(
            render_markdown("![a cat](https://x.example/cat.png)"),
            format!(r#"<p><a href="https://x.example/cat.png" {REL}>a cat</a></p>"#)
        );
        assert_eq!(
            render_markdown("![](https://x.example/cat.png)"),
            format!(r#"<p><a href="https://x.example/cat.png" {REL}>https://x.example/cat.png</a></p>"#)
        );
        // Inside a link, an image becomes its alt text.
        assert_eq!(
            render_markdown("[![logo](https://x.example/l.png)](https://x.example)"),
            format!(r#"<p><a href="https://x.example" {REL}>logo</a></p>"#)
        );
        let out = render_markdown("![x](javascript:alert(1))");
        assert_eq!(out, format!("<p><a {REL}>x</a></p>"));
    }

    #[test]
    fn markdown_tables_and_tasks_are_not_extensions() {
        assert_eq!(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |"), "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>");
        assert_eq!(render_markdown("- [ ] todo"), "<ul>\n<li>[ ] todo</li>\n</ul>");
    }

    // -- plain_text_to_html ----------------------------------------------------------------------

    #[test]
    fn plain_text_paragraphs_and_breaks() {
        assert_eq!(plain_text_to_html("Hello"), "<p>Hello</p>");
        assert_eq!(plain_text_to_html("Hello\nworld\n\nSecond"), "<p>Hello<br>world</p><p>Second</p>");
        assert_eq!(plain_text_to_html("\r\n\r\n a \r\n b \n \n\n\nc\r"), "<p>a<br>b</p><p>c</p>");
        assert_eq!(plain_text_to_html(""), "");
        assert_eq!(plain_text_to_html("  \n \n"), "");
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            plain_text_to_html("<script>alert(1)</script> & \"q\""),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"q\"</p>"
        );
        assert_eq!(plain_text_to_html("*not markdown* # no"), "<p>*not markdown* # no</p>");
    }

    #[test]
    fn plain_text_links() {
        assert_eq!(
            plain_text_to_html("See https://example.org/a?b=1&c=2."),
            format!(
                r#"<p>See <a href="https://example.org/a?b=1&amp;c=2" {REL}>https://example.org/a?b=1&amp;c=2</a>.</p>"#
            )
        );
        assert_eq!(
            plain_text_to_html("(http://example.org/x)"),
            format!(r#"<p>(<a href="http://example.org/x" {REL}>http://example.org/x</a>)</p>"#)
        );
        // Only http(s), and only with a scheme.
        assert_eq!(plain_text_to_html("ftp://example.org example.org"), "<p>ftp://example.org example.org</p>");
        assert_eq!(plain_text_to_html("javascript:alert(1)"), "<p>javascript:alert(1)</p>");
        let out = plain_text_to_html("https://example.org/\"><script>alert(1)</script>");
        assert!(!out.contains("<script"), "{out}");
    }

    // -- html_to_text ----------------------------------------------------------------------------

    #[test]
    fn text_from_html() {
        assert_eq!(html_to_text("<p>Hello <b>world</b></p>"), "Hello world");
        assert_eq!(html_to_text("<p>a</p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("a<br>b<br><br>c"), "a\nb\n\nc");
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul><p>after</p>"), "one\ntwo\n\nafter");
        assert_eq!(html_to_text("<h1>T</h1>body"), "T\n\nbody");
        assert_eq!(html_to_text("<blockquote>q</blockquote>x"), "q\n\nx");
        assert_eq!(html_to_text("<div>a</div><div>b</div>"), "a\nb");
        assert_eq!(html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"), "a b\nc");
    }

    #[test]
    fn text_decodes_entities_and_collapses_whitespace() {
        assert_eq!(
            html_to_text("<p>  a &amp; b &lt;c&gt; &quot;d&quot; &#233;&eacute;&nbsp;e  </p>"),
            "a & b <c> \"d\" éé e"
        );
        assert_eq!(html_to_text("<p>line\n  wrapped\tin   source</p>"), "line wrapped in source");
        assert_eq!(html_to_text("<pre>fn a() {\n    b();\n}</pre>"), "fn a() {\nb();\n}");
        assert_eq!(html_to_text("   "), "");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn text_drops_script_and_style() {
        assert_eq!(html_to_text("<script>alert(1)</script>hi"), "hi");
        assert_eq!(html_to_text("<p>a<style>p{color:red}</style>b</p>"), "ab");
        assert_eq!(html_to_text("<svg><script>alert(1)</script></svg>x"), "x");
        assert_eq!(html_to_text("<noscript>n</noscript><template>t</template><iframe>i</iframe>x"), "x");
        assert_eq!(html_to_text("<!-- c -->x"), "x");
        for input in HOSTILE {
            let text = html_to_text(input);
            assert_eq!(text.contains("alert(1)"), shows_alert_as_text(input), "{input} → {text:?}");
        }
        assert_eq!(html_to_text("<script>alert(1)</script><img src=x onerror=alert(1)>"), "");
    }

    #[test]
    fn text_of_mastodon_content() {
        let html = r#"<p><span class="h-card"><a href="https://m.example/@a" class="u-url mention">@<span>a</span></a></span> look <a href="https://example.org/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.org/a/</span><span class="invisible">long/path</span></a></p><p><a href="https://m.example/tags/bio" class="mention hashtag" rel="tag">#<span>bio</span></a></p>"#;
        assert_eq!(html_to_text(html), "@a look https://example.org/a/long/path\n\n#bio");
    }

    #[test]
    fn text_round_trips_plain_text() {
        let text = "First line\nsecond https://example.org/x\n\nNew paragraph & <stuff>";
        assert_eq!(html_to_text(&plain_text_to_html(text)), text);
    }

    // -- truncate_text ---------------------------------------------------------------------------

    #[test]
    fn truncate_fits() {
        assert_eq!(truncate_text("hello", 5), "hello");
        assert_eq!(truncate_text("hello", 50), "hello");
        assert_eq!(truncate_text("", 0), "");
        assert_eq!(truncate_text("  hello  ", 5), "hello");
    }

    #[test]
    fn truncate_on_word_boundary() {
        assert_eq!(truncate_text("hello brave new world", 12), "hello brave…");
        assert_eq!(truncate_text("hello brave new world", 11), "hello…");
        assert_eq!(truncate_text("hello brave new world", 13), "hello brave…");
        assert_eq!(truncate_text("one, two, three", 10), "one, two…");
        assert_eq!(truncate_text("one, two, three", 9), "one…");
        assert_eq!(truncate_text("line one\nline two", 10), "line one…");
    }

    #[test]
    fn truncate_long_word_and_tiny_budgets() {
        assert_eq!(truncate_text("supercalifragilistic", 6), "super…");
        assert_eq!(truncate_text("hello", 1), "…");
        assert_eq!(truncate_text("hello", 0), "");
        assert_eq!(truncate_text("ab cd", 2), "a…");
    }

    #[test]
    fn truncate_counts_chars_not_bytes() {
        assert_eq!(truncate_text("éééé ééé", 6), "éééé…");
        assert_eq!(truncate_text("日本語のテキスト", 4), "日本語…");
        for max in 0..30 {
            let out = truncate_text("Les pratiques partagées du réseau, en détail.", max);
            assert!(out.chars().count() <= max, "{max}: {out}");
        }
    }
}
