//! Extractors that answer bad input with a clear problem: 415 for a body that is not JSON,
//! 400 for malformed JSON, 422 naming the field for JSON of the wrong shape, 413 when too large,
//! 400 for a query string and 404 for a path that do not parse.
//!
//! actix runs a handler's extractors concurrently and answers with the first error, so each of
//! these refuses only once the request's authentication (if any) has finished: bad credentials
//! then win over bad input whichever comes first, and a refusal is audited and metered as the
//! caller's.

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let parsed = read(json, body).await;
            if parsed.is_err() {
                crate::auth::authenticated(&req).await;
            }
            parsed
        })
    }
}

/// Declares an extractor wrapping actix's `$inner`, refused only after authentication.
macro_rules! after_authentication {
    ($name:ident, $inner:ty, $what:literal, $check:path) => {
        #[doc = concat!("`", $what, "`, refused (by its configured error handler) only once the request's authentication has finished.")]
        #[derive(Debug)]
        pub struct $name<T>(pub T);

        impl<T> $name<T> {
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T: DeserializeOwned + 'static> FromRequest for $name<T> {
            type Error = actix_web::Error;
            type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let extracted = <$inner>::from_request(req, payload);
                let req = req.clone();
                Box::pin(async move {
                    // A control character is named even where the value would not parse.
                    let checked = match $check(&req) {
                        Ok(()) => extracted.await,
                        Err(e) => Err(e.into()),
                    };
                    match checked {
                        Ok(inner) => Ok($name(inner.into_inner())),
                        Err(e) => {
                            crate::auth::authenticated(&req).await;
                            Err(e)
                        }
                    }
                })
            }
        }
    };
}

after_authentication!(Query, web::Query<T>, "web::Query", clean_query);
after_authentication!(Path, web::Path<T>, "web::Path", clean_path);

/// A 400 naming the query parameter or path segment `field` that holds control character `c`.
fn control_in(what: &str, field: &str, c: char) -> ApiError {
    let message = tenantry_domain::text::control_character_message(c);
    let field = tenantry_domain::text::printable(field);
    ApiError::bad_request(
        "invalid_parameter",
        format!("the {what} `{field}` {message}"),
    )
    .with_field(field, "control_character", message)
}

/// Refuses a query string whose names or values hold a control character.
fn clean_query(req: &HttpRequest) -> Result<(), ApiError> {
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        for text in [&name, &value] {
            if let Some(c) = tenantry_domain::text::control_character(text) {
                return Err(control_in("query parameter", &name, c));
            }
        }
    }
    Ok(())
}

/// Refuses a path whose parameters hold a control character, sent as is or percent-encoded
/// (`/reseller/tenant/%00`).
fn clean_path(req: &HttpRequest) -> Result<(), ApiError> {
    for (name, value) in req.match_info().iter() {
        let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        if let Some(c) = tenantry_domain::text::control_character(&decoded) {
            return Err(control_in("path parameter", name, c));
        }
    }
    Ok(())
}

async fn read<T: DeserializeOwned>(
    json: bool,
    body: impl std::future::Future<Output = Result<web::Bytes, actix_web::Error>>,
) -> Result<Json<T>, ApiError> {
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON: send the header `Content-Type: application/json`",
        ));
    }
    let bytes = body.await.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body must be at most {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(
                "unreadable_body",
                format!("the body could not be read: {e}"),
            )
        }
    })?;
    parse(&bytes).map(Json)
}

/// Parses a JSON body, telling syntax errors (400) from shape errors (422, with the field path).
///
/// Strict where serde alone is lax: a key sent twice, a string holding a control character
/// (see [`tenantry_domain::text`]) and an array where an object is expected are 422s naming
/// the field, instead of the last key winning, PostgreSQL failing, or an array filling a
/// struct's fields by position.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "malformed_json",
            "the body is empty: send a JSON object",
        ));
    }
    // Syntax first, so broken JSON is a 400 wherever the break is; then the shape, as a 422.
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let syntax = |e: serde_json::Error| {
        ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    };
    let strict::Value(value) = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            shape_error(path, &inner)
        } else {
            syntax(inner)
        }
    })?;
    reader.end().map_err(syntax)?;
    serde_path_to_error::deserialize(strict::Deserializer(value))
        .map_err(|e| shape_error(e.path().to_string(), e.inner()))
}

/// A 422 for JSON of the wrong shape at `path`.
fn shape_error(path: String, error: &serde_json::Error) -> ApiError {
    let message = without_rust_names(&strip_position(&error.to_string()));
    if path == "." && message.starts_with("invalid type") {
        // Nothing to name a field by: the body as a whole is not the object asked for.
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("the body must be a JSON object ({message})"),
        );
    }
    if let Some(key) = strict::duplicate_key(&message) {
        // Raised by the object at `path` about one of its keys: the field is that key.
        let field = if path == "." {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        };
        return ApiError::invalid_field(field, "duplicate_key", "is sent more than once");
    }
    let (code, message) = match message.strip_prefix(strict::CONTROL) {
        Some(rest) => ("control_character", rest.to_owned()),
        None => ("invalid_body", message),
    };
    // A root-level problem (unknown or missing field) names the field in its message.
    let field = if path == "." {
        unknown_or_missing(&message).unwrap_or_default()
    } else {
        path
    };
    ApiError::invalid_field(field, code, message)
}

/// JSON read strictly: [`Value`] refuses duplicate keys and control characters while parsing
/// text, and [`Deserializer`] refuses to fill a struct from anything but an object (serde's
/// derived structs also take an array, field by field in order).
mod strict {
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use serde::forward_to_deserialize_any;
    use serde_json::Map;
    use std::fmt;

    /// Starts the message of a control-character error.
    pub(super) const CONTROL: &str = "\u{1e}";
    /// Surrounds the key of a duplicate-key error.
    const DUPLICATE: &str = "\u{1f}duplicate\u{1f}";

    /// The key a duplicate-key error names.
    pub(super) fn duplicate_key(message: &str) -> Option<&str> {
        message.strip_prefix(DUPLICATE)
    }

    fn check_text<E: de::Error>(text: &str, what: &str) -> Result<(), E> {
        match tenantry_domain::text::control_character(text) {
            Some(c) => Err(E::custom(format!(
                "{CONTROL}{what}{}",
                tenantry_domain::text::control_character_message(c)
            ))),
            None => Ok(()),
        }
    }

    /// A JSON value parsed strictly.
    pub(super) struct Value(pub serde_json::Value);

    impl<'de> de::Deserialize<'de> for Value {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ValueVisitor)
        }
    }

    struct ValueVisitor;

    impl<'de> Visitor<'de> for ValueVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
            Ok(Value(b.into()))
        }

        fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
            Ok(Value(n.into()))
        }

        fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
            Ok(Value(n.into()))
        }

        /// `23.0` is the integer 23, as JSON Schema has it: a client's JSON library may
        /// write whole numbers either way.
        fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
            // 2^63 is the first f64 past i64::MAX; every whole f64 below it fits.
            const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
            if n.fract() == 0.0 && (-TWO_TO_63..TWO_TO_63).contains(&n) {
                return Ok(Value((n as i64).into()));
            }
            Ok(Value(
                serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into),
            ))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
            check_text(s, "")?;
            Ok(Value(s.into()))
        }

        fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
            check_text(&s, "")?;
            Ok(Value(s.into()))
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value(serde_json::Value::Null))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Value(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Value(items.into()))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut object = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                check_text(&key, "a key ")?;
                if object.contains_key(&key) {
                    return Err(de::Error::custom(format!("{DUPLICATE}{key}")));
                }
                let Value(value) = map.next_value()?;
                object.insert(key, value);
            }
            Ok(Value(object.into()))
        }
    }

    /// Deserializes a parsed value into a request type, refusing anything but an object where
    /// a struct is expected.
    pub(super) struct Deserializer(pub serde_json::Value);

    fn unexpected(value: &serde_json::Value) -> de::Unexpected<'_> {
        use serde_json::Value as V;
        match value {
            V::Null => de::Unexpected::Unit,
            V::Bool(b) => de::Unexpected::Bool(*b),
            V::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => de::Unexpected::Unsigned(u),
                (_, Some(i), _) => de::Unexpected::Signed(i),
                (_, _, Some(f)) => de::Unexpected::Float(f),
                _ => de::Unexpected::Other("number"),
            },
            V::String(s) => de::Unexpected::Str(s),
            V::Array(_) => de::Unexpected::Seq,
            V::Object(_) => de::Unexpected::Map,
        }
    }

    impl<'de> de::Deserializer<'de> for Deserializer {
        type Error = serde_json::Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0 {
                serde_json::Value::Array(items) => visitor.visit_seq(Items(items.into_iter())),
                serde_json::Value::Object(object) => visitor.visit_map(Members {
                    members: object.into_iter(),
                    value: None,
                }),
                scalar => de::Deserializer::deserialize_any(scalar, visitor),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0 {
                serde_json::Value::Null => visitor.visit_none(),
                _ => visitor.visit_some(self),
            }
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            match self.0 {
                serde_json::Value::Object(_) => self.deserialize_any(visitor),
                other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
            }
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Self::Error> {
            de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
        }

        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
        }
    }

    struct Items(std::vec::IntoIter<serde_json::Value>);

    impl<'de> SeqAccess<'de> for Items {
        type Error = serde_json::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Self::Error> {
            self.0
                .next()
                .map(|item| seed.deserialize(Deserializer(item)))
                .transpose()
        }

        fn size_hint(&self) -> Option<usize> {
            Some(self.0.len())
        }
    }

    struct Members {
        members: serde_json::map::IntoIter,
        value: Option<serde_json::Value>,
    }

    impl<'de> MapAccess<'de> for Members {
        type Error = serde_json::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Self::Error> {
            let Some((key, value)) = self.members.next() else {
                return Ok(None);
            };
            self.value = Some(value);
            seed.deserialize(key.into_deserializer()).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(
            &mut self,
            seed: V,
        ) -> Result<V::Value, Self::Error> {
            let value = self
                .value
                .take()
                .ok_or_else(|| de::Error::custom("a value was asked for before its key"))?;
            seed.deserialize(Deserializer(value))
        }

        fn size_hint(&self) -> Option<usize> {
            Some(self.members.len())
        }
    }
}

/// serde's messages end with " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// serde names the Rust type it wanted (`expected struct TenantIn`); a client knows it as an
/// object.
fn without_rust_names(message: &str) -> String {
    match message.find("expected struct ") {
        Some(i) => format!("{}expected a JSON object", &message[..i]),
        None => message.to_owned(),
    }
}

/// `unknown field `foo`, expected …` / `missing field `login`` → the field's name.
fn unknown_or_missing(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_owned)
}

/// Query strings that do not parse answer 400 with the reason.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        ApiError::bad_request("invalid_query", format!("the query string is invalid: {e}")).into()
    })
}

/// `#[serde(default = "tenantry_http::default_true")]`: fields that are true unless sent false
/// (`active`, say).
pub fn default_true() -> bool {
    true
}

/// Path segments that do not decode (invalid percent-encoding, say) name nothing: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e, _| {
        ApiError::not_found(&format!("the path does not name a resource ({e})")).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        login: String,
        languages: Option<Vec<String>>,
    }

    fn problem(bytes: &str) -> crate::Problem {
        parse::<Body>(bytes.as_bytes()).unwrap_err().problem()
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        assert_eq!(problem("{").status, 400);
        assert_eq!(problem("").status, 400);
        assert_eq!(problem(r#"{"login":"a"} trailing"#).status, 400);
        let p = problem(r#"{"login":"a","languages":["swe",3]}"#);
        assert_eq!(
            (p.status, p.errors[0].field.as_str()),
            (422, "languages[1]")
        );
        let p = problem(r#"{"login":"a","tenantId":"x"}"#);
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "tenantId"));
        let p = problem(r#"{}"#);
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "login"));
        assert_eq!(problem("[]").status, 422);
        assert!(parse::<Body>(br#"{"login":"a"}"#).is_ok());
    }
}
