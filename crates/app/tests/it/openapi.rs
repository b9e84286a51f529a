//! The OpenAPI document at `/api/openapi.json` describes every route of the router, and only those.
//!
//! The router's paths come from `server::route_paths()`; which methods each path answers is found
//! by asking the running platform: a method a path does not have answers 405. Requests go with the
//! token, no body and ids that name nothing, so none of them changes anything.

use crate::support::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// `/api/projects/{id}` with an id that names nothing.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "00000000-0000-4000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_document_is_open_and_is_openapi_3_1() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(format!("{}/api/openapi.json", app.base_url))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "no token is needed");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    for schema in [
        "ApiError",
        "Project",
        "Session",
        "ServerEvent",
        "ClientEvent",
    ] {
        assert!(
            document["components"]["schemas"][schema].is_object(),
            "the document lacks the schema {schema}"
        );
    }
    // The open routes say so; the others name the token schemes.
    assert_eq!(
        document["paths"]["/api/health"]["get"]["security"],
        serde_json::json!([{}])
    );
    assert!(
        document["security"]
            .as_array()
            .is_some_and(|schemes| !schemes.is_empty())
    );
}

#[tokio::test]
async fn every_route_of_the_router_is_in_the_document_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (status, document) = app.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("the document has paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item is an object")
                .keys()
                .filter(|key| {
                    METHODS
                        .iter()
                        .any(|method| method.as_str().eq_ignore_ascii_case(key))
                })
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();

    let mut routed = BTreeSet::new();
    for path in server::route_paths() {
        for method in METHODS {
            let (status, body) = app.request(method.clone(), &concrete(path), None).await;
            assert_ne!(
                body["code"], "no_such_route",
                "{method} {path} fell through to the catch-all"
            );
            if status != StatusCode::METHOD_NOT_ALLOWED {
                routed.insert((method.to_string(), path.to_owned()));
            }
        }
    }
    assert!(routed.len() > 30, "too few routes found: {routed:?}");

    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document (add a #[utoipa::path] to the handler and list it in crates/server/src/openapi.rs): {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "the OpenAPI document describes routes the router does not have: {unrouted:?}"
    );
}
