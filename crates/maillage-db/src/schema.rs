//! The tables, by hand, in types both backends share. Keep in step with
//! `migrations/sqlite` and `migrations/postgres`.

diesel::table! {
    instance_settings (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        text -> Text,
        content -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        all_day -> Bool,
        published_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    announcement_dismissals (announcement_id, user_id) {
        announcement_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    local_actors (id) {
        id -> BigInt,
        kind -> Text,
        username -> Text,
        ap_id -> Text,
        display_name -> Text,
        summary -> Text,
        public_key_pem -> Text,
        private_key_pem -> Text,
        manually_approves_followers -> Bool,
        discoverable -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        profile_json -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
        neq -> Nullable<Text>,
        icon_key -> Nullable<Text>,
        image_key -> Nullable<Text>,
    }
}

diesel::table! {
    remote_actors (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_type -> Text,
        username -> Text,
        domain -> Text,
        display_name -> Nullable<Text>,
        summary -> Nullable<Text>,
        url -> Nullable<Text>,
        icon_url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        manually_approves_followers -> Bool,
        raw_json -> Text,
        fetched_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        profile_json -> Nullable<Text>,
        suspended -> Bool,
        followers_count -> Nullable<BigInt>,
        following_count -> Nullable<BigInt>,
        statuses_count -> Nullable<BigInt>,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        direction -> Text,
        reporter -> Text,
        target_actor -> Nullable<Text>,
        object_ids -> Text,
        comment -> Text,
        activity_ap_id -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        actor_id -> BigInt,
        password_hash -> Text,
        is_admin -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email -> Nullable<Text>,
        approved -> Bool,
        is_moderator -> Bool,
        email_verified_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invites (code_hash) {
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        used_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key_hash) {
        user_id -> BigInt,
        key_hash -> Text,
        post_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> local_actors (actor_id));
diesel::joinable!(oauth_tokens -> users (user_id));

diesel::table! {
    follows (id) {
        id -> BigInt,
        local_actor_id -> BigInt,
        remote_actor_id -> BigInt,
        direction -> Text,
        state -> Text,
        follow_ap_id -> Text,
        follow_json -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    activities (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_id -> BigInt,
        kind -> Text,
        public -> Bool,
        json -> Text,
        created_at -> Timestamp,
        object_ap_id -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox_url -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        domain -> Text,
    }
}

diesel::table! {
    received_activities (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_ap_id -> Text,
        kind -> Text,
        json -> Text,
        received_at -> Timestamp,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    domain_policies (domain) {
        domain -> Text,
        policy -> Text,
        public_comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domain_health (domain) {
        domain -> Text,
        consecutive_failures -> Integer,
        failing_since -> Nullable<Timestamp>,
        unreachable_since -> Nullable<Timestamp>,
        next_probe_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enterprise_editors (enterprise_id, member_id) {
        enterprise_id -> BigInt,
        member_id -> BigInt,
        created_at -> Timestamp,
        role -> Text,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        client_id -> Text,
        client_secret_hash -> Text,
        name -> Text,
        redirect_uris -> Text,
        scopes -> Text,
        website -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        app_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        app_id -> BigInt,
        user_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        actor_id -> BigInt,
        author_id -> Nullable<BigInt>,
        visibility -> Text,
        language -> Text,
        title -> Nullable<Text>,
        summary -> Nullable<Text>,
        source -> Text,
        content_html -> Text,
        tags_json -> Text,
        mentions_json -> Text,
        licence -> Nullable<Text>,
        adapted_from -> Nullable<Text>,
        in_reply_to -> Nullable<Text>,
        published -> Timestamp,
        updated -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        content_warning -> Nullable<Text>,
        translations_json -> Text,
    }
}

diesel::table! {
    post_tags (post_id, tag) {
        post_id -> BigInt,
        tag -> Text,
        published -> Timestamp,
    }
}

diesel::table! {
    remote_objects (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        attributed_to -> Nullable<Text>,
        name -> Nullable<Text>,
        summary -> Nullable<Text>,
        content_html -> Nullable<Text>,
        url -> Nullable<Text>,
        in_reply_to -> Nullable<Text>,
        language -> Nullable<Text>,
        published -> Nullable<Timestamp>,
        updated -> Nullable<Timestamp>,
        raw_json -> Text,
        deleted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        visibility -> Nullable<Text>,
    }
}

diesel::table! {
    remote_object_addressees (remote_object_id, local_actor_id) {
        remote_object_id -> BigInt,
        local_actor_id -> BigInt,
    }
}

diesel::table! {
    post_addressees (post_id, actor_ap_id) {
        post_id -> BigInt,
        actor_ap_id -> Text,
    }
}

diesel::table! {
    local_follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        followed_id -> BigInt,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    remote_object_tags (remote_object_id, tag) {
        remote_object_id -> BigInt,
        tag -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reactions (id) {
        id -> BigInt,
        kind -> Text,
        object_ap_id -> Text,
        actor_ap_id -> Text,
        activity_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reshares (id) {
        id -> BigInt,
        hub_id -> BigInt,
        object_ap_id -> Text,
        announce_ap_id -> Text,
        announce_json -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    featured (id) {
        id -> BigInt,
        hub_id -> BigInt,
        object_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        actor_id -> BigInt,
        kind -> Text,
        from_ap_id -> Text,
        object_ap_id -> Nullable<Text>,
        dismissed -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    directory_listings (enterprise_id, listed_by_id, source) {
        enterprise_id -> BigInt,
        listed_by_id -> BigInt,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    hub_syncs (hub_id) {
        hub_id -> BigInt,
        due_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        failures -> Integer,
        last_synced_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        actor_id -> BigInt,
        object_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    markers (actor_id, timeline) {
        actor_id -> BigInt,
        timeline -> Text,
        last_read_id -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lists (id) {
        id -> BigInt,
        actor_id -> BigInt,
        title -> Text,
        replies_policy -> Text,
        exclusive -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    list_accounts (id) {
        id -> BigInt,
        list_id -> BigInt,
        local_actor_id -> Nullable<BigInt>,
        remote_actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    filters (id) {
        id -> BigInt,
        actor_id -> BigInt,
        title -> Text,
        contexts -> Text,
        action -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    filter_keywords (id) {
        id -> BigInt,
        filter_id -> BigInt,
        keyword -> Text,
        whole_word -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mutes (id) {
        id -> BigInt,
        actor_id -> BigInt,
        target_ap_id -> Text,
        notifications -> Bool,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        actor_id -> BigInt,
        target_ap_id -> Text,
        block_json -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    conversation_marks (actor_id, root_ap_id) {
        actor_id -> BigInt,
        root_ap_id -> Text,
        read_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    post_applications (post_id) {
        post_id -> BigInt,
        app_id -> BigInt,
    }
}

diesel::table! {
    backup_schedule (name) {
        name -> Text,
        due_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        last_taken_at -> Nullable<Timestamp>,
        last_file -> Nullable<Text>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    mail_queue (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    email_links (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        email -> Text,
        user_id -> Nullable<BigInt>,
        enterprise_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        used_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    enterprise_contacts (enterprise_id) {
        enterprise_id -> BigInt,
        email -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    vapid_keys (id) {
        id -> Integer,
        private_key -> Text,
        public_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> BigInt,
        token_id -> BigInt,
        user_id -> BigInt,
        access_token -> Text,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        alerts -> Text,
        policy -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    push_queue (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        notification_id -> BigInt,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(push_queue -> push_subscriptions (subscription_id));
diesel::joinable!(push_queue -> notifications (notification_id));
diesel::joinable!(push_subscriptions -> oauth_tokens (token_id));

diesel::table! {
    media (id) {
        id -> BigInt,
        user_id -> BigInt,
        actor_id -> BigInt,
        kind -> Text,
        original_key -> Text,
        preview_key -> Nullable<Text>,
        media_type -> Text,
        byte_size -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        preview_width -> Nullable<Integer>,
        preview_height -> Nullable<Integer>,
        blurhash -> Nullable<Text>,
        description -> Nullable<Text>,
        focus_x -> Integer,
        focus_y -> Integer,
        file_name -> Nullable<Text>,
        post_id -> Nullable<BigInt>,
        position -> Nullable<Integer>,
        created_at -> Timestamp,
        // practice-cover: `attachment` or `cover`.
        role -> Text,
    }
}

// remote-media: files of other servers and our cached copies.
diesel::table! {
    remote_media (id) {
        id -> BigInt,
        remote_object_id -> Nullable<BigInt>,
        remote_actor_id -> Nullable<BigInt>,
        role -> Text,
        position -> Integer,
        kind -> Text,
        remote_url -> Text,
        claimed_type -> Nullable<Text>,
        description -> Nullable<Text>,
        blurhash -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        focus_x -> Integer,
        focus_y -> Integer,
        original_key -> Text,
        preview_key -> Text,
        state -> Text,
        media_type -> Nullable<Text>,
        has_preview -> Bool,
        preview_width -> Nullable<Integer>,
        preview_height -> Nullable<Integer>,
        byte_size -> BigInt,
        fetched_at -> Nullable<Timestamp>,
        failure -> Nullable<Text>,
        attempts -> Integer,
        leased_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}
diesel::joinable!(remote_media -> remote_objects (remote_object_id));
diesel::joinable!(remote_media -> remote_actors (remote_actor_id));

diesel::joinable!(post_applications -> oauth_apps (app_id));
diesel::joinable!(announcement_dismissals -> announcements (announcement_id));
diesel::joinable!(follows -> local_actors (local_actor_id));
diesel::joinable!(follows -> remote_actors (remote_actor_id));
diesel::joinable!(activities -> local_actors (actor_id));
diesel::joinable!(deliveries -> activities (activity_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(remote_object_tags -> remote_objects (remote_object_id));
diesel::joinable!(remote_object_addressees -> remote_objects (remote_object_id));
diesel::joinable!(post_addressees -> posts (post_id));
diesel::joinable!(list_accounts -> lists (list_id));
diesel::joinable!(filter_keywords -> filters (filter_id));
diesel::joinable!(media -> posts (post_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    announcements,
    announcement_dismissals,
    local_actors,
    remote_actors,
    users,
    follows,
    activities,
    deliveries,
    received_activities,
    enterprise_editors,
    posts,
    post_tags,
    remote_objects,
    remote_object_tags,
    remote_object_addressees,
    post_addressees,
    local_follows,
    reactions,
    reshares,
    featured,
    oauth_apps,
    oauth_tokens,
    oauth_codes,
    notifications,
    invites,
    idempotency_keys,
    domain_policies,
    domain_health,
    reports,
    directory_listings,
    hub_syncs,
    bookmarks,
    markers,
    lists,
    list_accounts,
    filters,
    filter_keywords,
    mutes,
    blocks,
    conversation_marks,
    post_applications,
    backup_schedule,
    mail_queue,
    email_links,
    enterprise_contacts,
    vapid_keys,
    push_subscriptions,
    push_queue,
    media,
    remote_media,
);
