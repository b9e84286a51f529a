//! The web UI, built by `npm run build` into `web/dist` and embedded in the binary.
//! Any GET that is not an API route gets a file of the UI, or `index.html` so client-side
//! routes work on reload.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

// rust-embed resolves a relative folder against this crate's manifest directory; it does not
// expand `$VARIABLES` (that needs a feature), and `allow_missing` would hide such a wrong path.
#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Agentyard</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#8882;padding:0 .3em}</style></head>
<body><h1>The web UI is not built</h1><p>The API is up, but this binary was built without the UI.
Build it with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then build the binary again
(<code>bash scripts/start.sh</code> does both).</p></body></html>"#;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = (!path.is_empty()).then(|| Assets::get(path)).flatten() {
        // Vite puts a content hash in every asset name, so they never change.
        let cache = if path.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        return (
            [(CONTENT_TYPE, content_type(path)), (CACHE_CONTROL, cache)],
            file.data,
        )
            .into_response();
    }
    match Assets::get("index.html") {
        Some(index) => (
            [
                (CONTENT_TYPE, "text/html; charset=utf-8"),
                (CACHE_CONTROL, "no-cache"),
            ],
            index.data,
        )
            .into_response(),
        None => (StatusCode::OK, Html(NOT_BUILT)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_built_ui_is_what_the_binary_serves() {
        let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist/index.html");
        // Without a built UI there is nothing to find; scripts/test.sh builds it before cargo test.
        if let Ok(on_disk) = std::fs::read(&dist) {
            let embedded = Assets::get("index.html").expect("web/dist/index.html is embedded");
            assert_eq!(embedded.data.as_ref(), on_disk.as_slice());
        }
    }
}
