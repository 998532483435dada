//! The plain text members write: the `#hashtags` and `@user@domain`
//! handles in it, and the links they become in its HTML.

/// `#words` of a text, by their display names (lower case), without duplicates.
pub fn hashtags_in(text: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || ",.;:!?()[]\"'".contains(c)) {
        if let Some(tag) = word.strip_prefix('#') {
            let tag: String = tag.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if let Some(tag) = crate::tags::display_name(&tag)
                && !tags.contains(&tag)
            {
                tags.push(tag);
            }
        }
    }
    tags
}

/// The handles written in a text: `@user@domain`, and `@user` for an
/// account of this instance (as Mastodon apps complete a local account).
pub fn handles_in(text: &str) -> Vec<String> {
    let mut handles = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || ",;!?()[]\"'".contains(c)) {
        let word = word.trim_end_matches(['.', ':']);
        let Some(rest) = word.strip_prefix('@') else { continue };
        let handle = match rest.split_once('@') {
            Some((user, domain)) => !user.is_empty() && domain.contains(['.', ':']),
            None => !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        };
        if handle && !handles.contains(&word.to_string()) {
            handles.push(word.to_string());
        }
    }
    handles
}

/// A mention to link: the actor's id and the handle as written.
#[derive(Debug, Clone, Copy)]
pub struct MentionLink<'a> {
    pub href: &'a str,
    pub name: &'a str,
}

/// Links `#tags` (to `tag_url` of each) and mentions in HTML made from
/// plain text, as Mastodon marks them up.
pub fn link_tags_and_mentions(
    html: &str,
    tags: &[String],
    tag_url: impl Fn(&str) -> String,
    mentions: &[MentionLink<'_>],
) -> String {
    let mut out = html.to_string();
    for mention in mentions {
        let user = mention.name.trim_start_matches('@').split('@').next().unwrap_or_default();
        let escaped_href = html_escape::encode_double_quoted_attribute(mention.href);
        let link = format!(
            "<span class=\"h-card\"><a href=\"{escaped_href}\" class=\"u-url mention\">@<span>{}</span></a></span>",
            html_escape::encode_text(user)
        );
        out = out.replace(&html_escape::encode_text(mention.name).into_owned(), &link);
    }
    for tag in tags {
        let link = format!(
            "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
            html_escape::encode_double_quoted_attribute(&tag_url(tag)),
            html_escape::encode_text(tag)
        );
        // Whole words only, case-insensitively as written.
        out = replace_hashtag(&out, tag, &link);
    }
    out
}

fn replace_hashtag(html: &str, tag: &str, link: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find('#') {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let word: String = after[1..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let preceded_ok = before.chars().last().is_none_or(|c| c.is_whitespace() || c == '>' || c == '(');
        if preceded_ok && crate::tags::display_name(&word).as_deref() == Some(tag) {
            out.push_str(link);
            rest = &after[1 + word.len()..];
        } else {
            out.push('#');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_are_found_once_by_their_display_name() {
        assert_eq!(hashtags_in("Vive la #Coop, #coop et #économie_sociale!"), vec!["coop", "économie_sociale"]);
        assert!(hashtags_in("un # seul et mot#collé").is_empty());
    }

    #[test]
    fn handles_are_remote_with_a_domain_or_local_without() {
        assert_eq!(handles_in("Merci @ana@social.example. et @bob_2!"), vec!["@ana@social.example", "@bob_2"]);
        assert!(handles_in("écrire à ana@social.example, @ seul, @é, @x@localhost").is_empty());
    }

    #[test]
    fn tags_and_mentions_become_links_whole_words_only() {
        let html = "<p>#coop #cooperative @ana@social.example</p>";
        let mention = MentionLink { href: "https://social.example/users/ana", name: "@ana@social.example" };
        let linked =
            link_tags_and_mentions(html, &["coop".to_string()], |t| format!("https://hub.test/tags/{t}"), &[mention]);
        assert!(linked.contains("<a href=\"https://hub.test/tags/coop\" class=\"mention hashtag\" rel=\"tag\">#<span>coop</span></a> #cooperative"), "{linked}");
        assert!(
            linked.contains("href=\"https://social.example/users/ana\" class=\"u-url mention\">@<span>ana</span>"),
            "{linked}"
        );
    }
}
