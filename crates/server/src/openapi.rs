//! The OpenAPI 3.1 document of the REST routes, served at `GET /api/openapi.json` without a token.
//!
//! Each handler carries its own `#[utoipa::path]` annotation next to its code; this module only
//! lists them and adds what is common to all (the token scheme, the error body, the tags).
//! A test of the app (`tests/it/openapi.rs`) fails when a route of the router is missing here.

use crate::routes::{
    agents, git, health, images, preview, projects, review, sessions, setup, usage,
};
use crate::{auth, ws};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Agentyard",
        description = "Runs AI coding-agent sessions in hardened containers, streamed to a web UI. \
            Every route but `/api/health`, `/api/openapi.json` and `/login` needs the API token. \
            Errors answer with the `ApiError` body. The WebSocket envelopes, the MCP tools and the \
            configuration are described in docs/api.md of the repository."
    ),
    paths(
        health::health,
        document,
        auth::login,
        ws::upgrade,
        projects::list,
        projects::show,
        projects::create,
        projects::update,
        projects::delete,
        agents::list,
        agents::show,
        agents::create,
        agents::update,
        agents::delete,
        images::list,
        images::create,
        sessions::list,
        sessions::show,
        sessions::create,
        sessions::update,
        sessions::set_status,
        sessions::delete,
        sessions::messages,
        sessions::send,
        sessions::stop,
        sessions::warm,
        usage::show,
        setup::show,
        setup::act,
        preview::show,
        preview::start,
        preview::stop,
        review::show,
        review::diff,
        review::merge,
        review::rebase,
        review::push,
        git::status,
        git::diff,
        git::branches,
        git::log,
        git::stage,
        git::unstage,
        git::commit,
        git::checkout,
    ),
    components(schemas(crate::wire::ErrorBody, crate::wire::ServerEvent, crate::wire::ClientEvent)),
    modifiers(&TokenSchemes),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "platform", description = "Health, this document, login and the WebSocket"),
        (name = "projects", description = "Git projects under PROJECTS_ROOT"),
        (name = "agents", description = "Agent personas and agent images"),
        (name = "sessions", description = "Agent sessions, their messages and turns"),
        (name = "git", description = "Source Control, on a project's checkout or a session's worktree (`?session_id=`)"),
    )
)]
pub struct ApiDoc;

/// The two ways a request carries the API token: the bearer header, or the cookie `/login` sets.
struct TokenSchemes;

impl Modify for TokenSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The API token that `agentyard serve` prints (AGENTYARD_TOKEN)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::LOGIN_COOKIE,
                "Set by opening the login URL, `GET /login?token=…`",
            ))),
        );
    }
}

/// The document, built once per request: it is small and asked for rarely.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "platform",
    security(()),
    responses((status = 200, description = "This OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
