//! Diesel table definitions, written for both backends (see `migrations/sqlite` and
//! `migrations/postgres`; `tests/schema_parity.rs` checks they agree with this file).

diesel::table! {
    units (id) {
        id -> BigInt,
        key -> Text,
        name -> Text,
        is_ministry -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        position -> Text,
        unit_id -> BigInt,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        must_change_password -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        client_ip -> Text,
        user_agent -> Text,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_clients (id) {
        id -> BigInt,
        client_id -> Text,
        name -> Text,
        secret_hash -> Text,
        unit_id -> BigInt,
        scopes -> Text,
        active -> Bool,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        detail -> Text,
        client_ip -> Nullable<Text>,
    }
}

diesel::joinable!(users -> units (unit_id));
diesel::joinable!(api_clients -> units (unit_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    users,
    sessions,
    refresh_tokens,
    api_clients,
    login_throttle,
    audit_log,
    requests,
    request_events,
    attachments,
    request_sla_targets,
    notifications,
    confrontations,
    confrontation_items,
);

diesel::table! {
    farmers (id) {
        id -> BigInt,
        curp -> Text,
        rfc -> Nullable<Text>,
        given_names -> Text,
        first_surname -> Text,
        second_surname -> Nullable<Text>,
        search_name -> Text,
        birth_date -> Date,
        sex -> Text,
        birth_state -> Text,
        state -> Nullable<Text>,
        municipality -> Nullable<Text>,
        producer_folio -> Nullable<Text>,
        status -> Text,
        last_proof_of_life_at -> Nullable<Timestamp>,
        sat_opinion -> Nullable<Text>,
        sat_folio -> Nullable<Text>,
        sat_issued_on -> Nullable<Date>,
        sat_valid_until -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    farmer_history (id) {
        id -> BigInt,
        farmer_id -> BigInt,
        field -> Text,
        before_value -> Nullable<Text>,
        after_value -> Nullable<Text>,
        source -> Text,
        source_ref -> Nullable<Text>,
        comment -> Nullable<Text>,
        actor -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(farmer_history -> farmers (farmer_id));
diesel::allow_tables_to_appear_in_same_query!(farmers, farmer_history);

diesel::table! {
    registry_imports (id) {
        id -> BigInt,
        file_name -> Text,
        file_size -> BigInt,
        format -> Text,
        status -> Text,
        percent -> Integer,
        rows_read -> BigInt,
        inserted -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        rejected -> BigInt,
        failure -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    registry_import_rejections (id) {
        id -> BigInt,
        import_id -> BigInt,
        row_number -> BigInt,
        curp -> Nullable<Text>,
        reason -> Text,
        message -> Text,
    }
}

diesel::joinable!(registry_import_rejections -> registry_imports (import_id));
diesel::allow_tables_to_appear_in_same_query!(registry_imports, registry_import_rejections);

diesel::table! {
    non_working_days (id) {
        id -> BigInt,
        day -> Date,
        name -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    requests (id) {
        id -> BigInt,
        request_type -> Text,
        state -> Text,
        ticket_number -> Text,
        folio -> Nullable<Text>,
        unit_id -> BigInt,
        requested_by -> BigInt,
        subject -> Text,
        signer_name -> Text,
        signer_position -> Text,
        version -> Integer,
        submitted_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    request_events (id) {
        id -> BigInt,
        request_id -> BigInt,
        event -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_id -> BigInt,
        at -> Timestamp,
        comment -> Nullable<Text>,
        items -> Nullable<Text>,
        folio -> Nullable<Text>,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        request_id -> BigInt,
        event_id -> BigInt,
        kind -> Text,
        version -> Integer,
        file_name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
        layout_totals -> Nullable<Text>,
    }
}

diesel::table! {
    request_sla_targets (request_id, clock) {
        request_id -> BigInt,
        clock -> Text,
        business_days -> Integer,
        at_risk_days -> Integer,
    }
}

diesel::table! {
    sla_policies (request_type, clock) {
        request_type -> Text,
        clock -> Text,
        business_days -> Integer,
        at_risk_days -> Integer,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sequences (name) {
        name -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        request_id -> Nullable<BigInt>,
        event_id -> Nullable<BigInt>,
        message -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        emailed_at -> Nullable<Timestamp>,
        email_attempts -> Integer,
        certificate_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(requests -> units (unit_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(request_events -> users (actor_id));
diesel::joinable!(attachments -> requests (request_id));
diesel::joinable!(attachments -> request_events (event_id));
diesel::joinable!(request_sla_targets -> requests (request_id));
diesel::joinable!(notifications -> requests (request_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(notifications -> request_events (event_id));

diesel::table! {
    confrontations (id) {
        id -> BigInt,
        request_id -> BigInt,
        authority -> Text,
        state -> Text,
        waiting_reason -> Nullable<Text>,
        layout_attachment_id -> BigInt,
        to_process -> BigInt,
        processed -> BigInt,
        to_update -> BigInt,
        no_update -> BigInt,
        cannot_update -> BigInt,
        deceased -> BigInt,
        found -> BigInt,
        applied -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        applied_at -> Nullable<Timestamp>,
        reverted_at -> Nullable<Timestamp>,
        version -> Integer,
        provider -> Nullable<Text>,
        exported_at -> Nullable<Timestamp>,
        answers_file_name -> Nullable<Text>,
        answers_sha256 -> Nullable<Text>,
        queries -> BigInt,
    }
}

diesel::table! {
    confrontation_items (id) {
        id -> BigInt,
        confrontation_id -> BigInt,
        row_number -> Integer,
        curp -> Text,
        farmer_id -> Nullable<BigInt>,
        state -> Text,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        attempts -> Integer,
        classification -> Nullable<Text>,
        reason -> Nullable<Text>,
        deceased -> Bool,
        found -> Bool,
        authority_status -> Nullable<Text>,
        changes -> Nullable<Text>,
        processed_at -> Nullable<Timestamp>,
        processed_by -> Nullable<Text>,
        applied_at -> Nullable<Timestamp>,
        reverted_at -> Nullable<Timestamp>,
        apply_conflict -> Nullable<Text>,
        rfc -> Nullable<Text>,
        rfc_warnings -> Nullable<Text>,
        opinion_folio -> Nullable<Text>,
        opinion_issued_on -> Nullable<Date>,
        opinion_valid_until -> Nullable<Date>,
        queries -> Integer,
    }
}

diesel::table! {
    renapo_certificates (id) {
        id -> BigInt,
        request_id -> Nullable<BigInt>,
        file_name -> Text,
        sha256 -> Text,
        pem -> Text,
        details -> Text,
        fingerprint -> Text,
        not_after -> Timestamp,
        state -> Text,
        uploaded_by -> BigInt,
        uploaded_at -> Timestamp,
        deployed_by -> Nullable<BigInt>,
        deployed_at -> Nullable<Timestamp>,
        retired_at -> Nullable<Timestamp>,
        verified_at -> Nullable<Timestamp>,
        verified_ok -> Nullable<Bool>,
        verification_detail -> Nullable<Text>,
        alerts_sent -> Text,
        version -> Integer,
    }
}

diesel::joinable!(confrontations -> requests (request_id));
diesel::joinable!(confrontation_items -> confrontations (confrontation_id));

diesel::table! {
    authority_pace (authority) {
        authority -> Text,
        next_slot_us -> BigInt,
    }
}

diesel::table! {
    consultation_windows (caller) {
        caller -> Text,
        window_started_at -> Timestamp,
        consultations -> Integer,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}
