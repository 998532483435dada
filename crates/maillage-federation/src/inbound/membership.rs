//! `Add` and `Remove`: a hub's enterprise joins or leaves its `members`
//! collection. The wire check; whether we list it (the hub is one we
//! follow, the collection is its `members`, the enterprise lives on its
//! server) is `maillage_app::received`.

use super::activity::Membership;
use crate::error::FederationError;

/// The wire check: it names the actor and the collection.
pub(super) fn verify(change: &Membership) -> Result<(), FederationError> {
    let kind = if change.joins { "Add" } else { "Remove" };
    if change.member.is_none() {
        return Err(FederationError::invalid(format!("the {kind} has no `object`")));
    }
    if change.collection.is_none() {
        return Err(FederationError::invalid(format!("the {kind} has no `target`")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_add_must_name_what_and_where() {
        let change = |member: Option<&str>, collection: Option<&str>| Membership {
            joins: true,
            member: member.map(str::to_string),
            collection: collection.map(str::to_string),
        };
        let refusal = |c| match verify(&c) {
            Err(FederationError::Invalid(message)) => message,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(refusal(change(None, Some("https://a.example/m"))), "the Add has no `object`");
        assert_eq!(refusal(change(Some("https://a.example/e"), None)), "the Add has no `target`");
        verify(&change(Some("https://a.example/e"), Some("https://a.example/m"))).unwrap();
    }
}
