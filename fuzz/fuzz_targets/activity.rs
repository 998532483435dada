//! Arbitrary bytes as the body of an activity pushed to an inbox, or as a
//! document fetched from another server: whatever JSON they hold, reading it
//! as an object or as an actor must end in `Ok` or `Err`, never in a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_federation::objects::{parse_actor_document, parse_remote_object};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<Value>(data) else { return };
    let _ = parse_remote_object(&json);
    let _ = parse_actor_document(&json);
    // An activity carries its object embedded (Create, Update, Announce...).
    if let Some(object) = json.get("object") {
        let _ = parse_remote_object(object);
        let _ = parse_actor_document(object);
    }
});
