//! The portal's stylesheet and script, compiled into the binary and served under a name that
//! carries a hash of their content (`/portal/assets/portal.3f2a9c1e.css`), so browsers may
//! keep them for a year and a new build is fetched at once. No CDN, no font service: the
//! portal works offline.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use std::sync::LazyLock;

struct Asset {
    name: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn asset(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let hash = tenantry_auth::token::sha256_hex(body);
    Asset {
        name: format!("{stem}.{}.{ext}", &hash[..12]),
        content_type,
        body,
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "portal",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/portal.css"),
    )
});
static JS: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "portal",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/portal.js"),
    )
});

/// The stylesheet's path.
pub fn css() -> String {
    format!("/portal/assets/{}", CSS.name)
}

/// The script's path (the copy button; every page works without it).
pub fn js() -> String {
    format!("/portal/assets/{}", JS.name)
}

/// `GET /portal/assets/{name}`: an asset by its hashed name; any other name is not found.
pub async fn serve(name: web::Path<String>) -> HttpResponse {
    match [&*CSS, &*JS].into_iter().find(|a| a.name == *name) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body("no such asset"),
    }
}
