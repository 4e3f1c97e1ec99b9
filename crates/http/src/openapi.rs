//! What both surfaces' OpenAPI documents say alike, so they describe the server exactly:
//! every error is `application/problem+json` with the statuses and codes it can really have
//! (the extractors, the authentication, the rate limits and the idempotency layer answer them
//! for every operation), and `Idempotency-Key` on every POST with the rule the server applies.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, SchemaType};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, Schema, Type,
};

/// The media type of every error.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The errors any operation can answer, by status, with the codes each carries.
const EVERY_OPERATION: [(&str, &str); 5] = [
    (
        "400",
        "Bad request: `invalid_parameter` (a path or query value holds a control character), \
         `invalid_query`, `invalid_limit`, `invalid_cursor` or another parameter's own code.",
    ),
    (
        "401",
        "`unauthorized`: credentials missing, malformed or wrong; `WWW-Authenticate` names the \
         schemes.",
    ),
    (
        "403",
        "The credential may not do this: `missing_scope` (a key without the operation's scope), \
         `missing_permission`, `tenant_deactivated`, `connection_inactive`.",
    ),
    (
        "429",
        "`rate_limited` (the principal's requests per minute; see `RateLimit-*`) or \
         `too_many_failed_authentications` (this address or account failed to authenticate too \
         often); `Retry-After` says when to retry.",
    ),
    (
        "503",
        "`database_unavailable`: the database could not be reached; retry shortly.",
    ),
];

/// The errors an operation with a JSON body can also answer.
const WITH_BODY: [(&str, &str); 4] = [
    (
        "400",
        "Bad request: `malformed_json` (the body is empty or not JSON), `invalid_parameter`, \
         `invalid_idempotency_key` or another parameter's own code.",
    ),
    (
        "413",
        "`body_too_large`: the body exceeds 256 KiB.",
    ),
    (
        "415",
        "`unsupported_media_type`: send `Content-Type: application/json`.",
    ),
    (
        "422",
        "`validation_failed`: `errors` names each invalid field as sent (`rows[1].sku`), including \
         a key sent twice, a control character in a string and an array where an object belongs; \
         `idempotency_key_reused`: this Idempotency-Key came with another request.",
    ),
];

/// What a text value may hold: no C0 control character but tab, line feed and carriage return
/// (see `tenantry_domain::text`), as an ECMA-262 pattern.
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$";

/// The component any JSON value of a client's own refers to (see [`schema::json_object`]).
pub const JSON_VALUE: &str = "JsonValue";

/// Applies the conventions to every operation of `openapi`.
pub fn document_conventions(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(JSON_VALUE.to_owned(), schema::json_value());
    constrain_each(components.schemas.values_mut());
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_parameters = path.contains('{');
        for (is_post, operation) in [
            (false, item.get.as_mut()),
            (true, item.post.as_mut()),
            (false, item.put.as_mut()),
            (false, item.patch.as_mut()),
            (false, item.delete.as_mut()),
        ]
        .into_iter()
        .filter_map(|(post, op)| Some((post, op?)))
        {
            document_parameters(operation);
            let has_body = operation.request_body.is_some();
            let mut errors: Vec<(&str, &str)> = EVERY_OPERATION.to_vec();
            if has_body {
                errors.extend(WITH_BODY);
            }
            if has_path_parameters {
                errors.push(("404", "`not_found`: nothing of yours has this id."));
            }
            if is_post {
                errors.push((
                    "409",
                    "A conflict with what exists (the problem's `code` says which), or \
                     `idempotency_in_progress`: a request with this Idempotency-Key still runs.",
                ));
                document_idempotency_key(operation);
                if !has_body {
                    errors.push((
                        "422",
                        "`idempotency_key_reused`: this Idempotency-Key came with another request.",
                    ));
                }
            }
            document_errors(operation, &errors);
        }
    }
}

/// States the rules the extractors apply to parameters: no control characters in text, `limit`
/// within the pagination bounds, `cursor` never empty.
fn document_parameters(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        let Some(RefOr::T(schema)) = parameter.schema.as_mut() else {
            continue;
        };
        constrain_text(schema);
        let Schema::Object(object) = schema else {
            continue;
        };
        match parameter.name.as_str() {
            "limit" => {
                object.minimum = Some(1.into());
                object.maximum = Some((crate::pagination::MAX_LIMIT as usize).into());
            }
            "cursor" => object.min_length = Some(1),
            _ => {}
        }
    }
}

/// Adds [`TEXT_PATTERN`] to every free-text string in `schema` (one without a format, a
/// pattern or a list of values), through objects, arrays and alternatives.
fn constrain_text(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(Type::String) => true,
                SchemaType::Array(types) => types.contains(&Type::String),
                _ => false,
            };
            if is_string
                && object.format.is_none()
                && object.pattern.is_none()
                && object.enum_values.is_none()
            {
                object.pattern = Some(TEXT_PATTERN.to_owned());
            }
            constrain_each(object.properties.values_mut());
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                constrain_each([items.as_mut()]);
            }
        }
        Schema::OneOf(one_of) => constrain_each(&mut one_of.items),
        Schema::AllOf(all_of) => constrain_each(&mut all_of.items),
        Schema::AnyOf(any_of) => constrain_each(&mut any_of.items),
        _ => {}
    }
}

/// [`constrain_text`] on each inline schema (a reference is constrained where it is defined).
fn constrain_each<'a>(schemas: impl IntoIterator<Item = &'a mut RefOr<Schema>>) {
    for schema in schemas {
        if let RefOr::T(schema) = schema {
            constrain_text(schema);
        }
    }
}

/// Adds the missing error statuses and serves every error as problem+json.
fn document_errors(operation: &mut Operation, errors: &[(&str, &str)]) {
    let problem = || {
        ContentBuilder::new()
            .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
            .build()
    };
    let responses = &mut operation.responses.responses;
    for (status, description) in errors {
        responses.entry((*status).to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(PROBLEM_JSON, problem())
                    .build(),
            )
        });
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if status.as_str() < "400" {
            continue;
        }
        let described = errors.iter().find(|(s, _)| s == status);
        if let Some((_, description)) = described {
            if response.description.is_empty() {
                response.description = (*description).to_owned();
            }
        }
        if let Some(content) = response.content.shift_remove("application/json") {
            response.content.insert(PROBLEM_JSON.to_owned(), content);
        } else if response.content.is_empty() {
            response.content.insert(PROBLEM_JSON.to_owned(), problem());
        }
    }
}

/// Documents the `Idempotency-Key` header of a POST.
fn document_idempotency_key(operation: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name(crate::IDEMPOTENCY_KEY_HEADER)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: a retry with the same key and request within 24 hours \
             answers the first response again (marked `Idempotent-Replayed: true`) and does \
             nothing new; the same key with another request is 422 \
             `idempotency_key_reused`; a retry while the first still runs is 409 \
             `idempotency_in_progress`. 1–255 visible ASCII characters; a UUID is a good key.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(parameter);
}

/// Schemas of request fields whose rules serde's types cannot show, for `#[schema(schema_with
/// = …)]`: each states exactly what the domain checks.
pub mod schema {
    use tenantry_domain::audit::Outcome;
    use tenantry_domain::order::OrderStatus;
    use tenantry_domain::permission::Role;
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr, Schema};

    /// A lowercase ISO 639 code (`tenantry_domain::tenant::is_language_code`).
    pub const LANGUAGE_CODE: &str = "^[a-z]{2,3}$";

    /// `kind`, or `[kind, "null"]` for a field a partial update may send as `null`.
    fn type_or_null(kind: Type, nullable: bool) -> SchemaType {
        if nullable {
            SchemaType::from_iter([kind, Type::Null])
        } else {
            SchemaType::Type(kind)
        }
    }

    fn list(items: ObjectBuilder, max_items: Option<usize>, nullable: bool) -> RefOr<Schema> {
        list_of(items, None, max_items, nullable)
    }

    fn list_of(
        items: ObjectBuilder,
        min_items: Option<usize>,
        max_items: Option<usize>,
        nullable: bool,
    ) -> RefOr<Schema> {
        let kind = type_or_null(Type::Array, nullable);
        ArrayBuilder::new()
            .schema_type(kind)
            .items(items)
            .min_items(min_items)
            .max_items(max_items)
            .into()
    }

    fn pattern(pattern: &str) -> ObjectBuilder {
        pattern_or_null(pattern, false)
    }

    /// A string matching `pattern`, or also `null` for a partial update.
    fn pattern_or_null(pattern: &str, nullable: bool) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(type_or_null(Type::String, nullable))
            .pattern(Some(pattern))
    }

    fn one_of(values: &[&str]) -> ObjectBuilder {
        one_of_or_null(values, false)
    }

    /// One of `values`, or also `null` for a partial update.
    fn one_of_or_null(values: &[&str], nullable: bool) -> ObjectBuilder {
        let null = nullable.then_some(serde_json::Value::Null);
        ObjectBuilder::new()
            .schema_type(type_or_null(Type::String, nullable))
            .enum_values(Some(values.iter().map(|v| (*v).into()).chain(null)))
    }

    /// A non-negative decimal amount (how many decimals its currency allows is checked too).
    const AMOUNT: &str = "^[0-9]{1,15}(\\.[0-9]{1,3})?$";

    /// A reseller's portal `frameAncestors`: at most 10 https origins.
    pub fn origins_or_null() -> RefOr<Schema> {
        list(
            pattern("^https://[^/?#\\s]+$"),
            Some(tenantry_domain::reseller::MAX_FRAME_ANCESTORS),
            true,
        )
    }

    /// A tenant's `languages`: at most 50 codes.
    pub fn languages() -> RefOr<Schema> {
        list(pattern(LANGUAGE_CODE), Some(50), false)
    }

    /// `languages` in a partial update.
    pub fn languages_or_null() -> RefOr<Schema> {
        list(pattern(LANGUAGE_CODE), Some(50), true)
    }

    fn role_names() -> Vec<&'static str> {
        Role::ALL.iter().map(|r| r.as_str()).collect()
    }

    /// A tenant user's role.
    pub fn role() -> RefOr<Schema> {
        one_of(&role_names()).into()
    }

    /// A role in a partial update (`null` keeps it).
    pub fn role_or_null() -> RefOr<Schema> {
        one_of_or_null(&role_names(), true).into()
    }

    /// An ISO 4217 currency this server knows.
    pub fn currency() -> RefOr<Schema> {
        let codes: Vec<&str> = tenantry_domain::money::CURRENCIES
            .iter()
            .map(|(code, _)| *code)
            .collect();
        one_of(&codes).into()
    }

    /// A non-negative decimal amount; how many decimals its currency allows is checked too.
    pub fn amount() -> RefOr<Schema> {
        pattern(AMOUNT).into()
    }

    /// An amount in a partial update.
    pub fn amount_or_null() -> RefOr<Schema> {
        pattern_or_null(AMOUNT, true).into()
    }

    /// A VAT rate in percent, 0 to 100 with at most two decimals.
    pub fn vat_rate() -> RefOr<Schema> {
        pattern("^(0{0,12}100(\\.0{1,2})?|0{0,13}[0-9]{1,2}(\\.[0-9]{1,2})?)$").into()
    }

    fn order_status_names() -> Vec<&'static str> {
        OrderStatus::ALL.iter().map(|s| s.as_str()).collect()
    }

    /// An order status that may be `null` (the default, or no change).
    pub fn order_status_or_null() -> RefOr<Schema> {
        one_of_or_null(&order_status_names(), true).into()
    }

    /// An order's buyer; every field optional free text.
    pub fn customer() -> RefOr<Schema> {
        party(&["name", "email", "phone"], false)
    }

    /// A buyer in a partial update.
    pub fn customer_or_null() -> RefOr<Schema> {
        party(&["name", "email", "phone"], true)
    }

    /// A postal address; every field optional free text.
    pub fn address() -> RefOr<Schema> {
        party(ADDRESS, false)
    }

    /// An address that may be `null`.
    pub fn address_or_null() -> RefOr<Schema> {
        party(ADDRESS, true)
    }

    const ADDRESS: &[&str] = &["name", "street", "postalCode", "city", "country"];

    fn party(fields: &[&str], nullable: bool) -> RefOr<Schema> {
        let kind = type_or_null(Type::Object, nullable);
        let mut object = ObjectBuilder::new()
            .schema_type(kind)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for field in fields {
            object = object.property(
                *field,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(super::TEXT_PATTERN)),
            );
        }
        object.into()
    }

    /// A JSON object of the client's own (a connection's `configuration`, an order's
    /// `metadata`): any JSON, with no control character in a key or a string.
    pub fn json_object() -> RefOr<Schema> {
        free_object(false)
    }

    /// Such an object in a partial update.
    pub fn json_object_or_null() -> RefOr<Schema> {
        free_object(true)
    }

    fn free_object(nullable: bool) -> RefOr<Schema> {
        let kind = type_or_null(Type::Object, nullable);
        let mut object = ObjectBuilder::new()
            .schema_type(kind)
            .additional_properties(Some(RefOr::Ref(Ref::from_schema_name(super::JSON_VALUE))))
            .build();
        object.property_names = Some(Box::new(pattern(super::TEXT_PATTERN).build().into()));
        RefOr::T(Schema::Object(object))
    }

    /// The recursive [`super::JSON_VALUE`] component.
    pub(super) fn json_value() -> RefOr<Schema> {
        let value = || RefOr::Ref(Ref::from_schema_name(super::JSON_VALUE));
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(value()))
            .build();
        object.property_names = Some(Box::new(pattern(super::TEXT_PATTERN).build().into()));
        OneOfBuilder::new()
            .item(pattern(super::TEXT_PATTERN))
            .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([
                Type::Number,
                Type::Boolean,
                Type::Null,
            ])))
            .item(ArrayBuilder::new().items(value()))
            .item(Schema::Object(object))
            .into()
    }

    /// Key scopes (`GET /reseller/key/scope`): at least one when sent.
    pub fn scopes_or_null() -> RefOr<Schema> {
        let names: Vec<&str> = tenantry_domain::scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        list_of(one_of(&names), Some(1), None, true)
    }

    /// Event types (`tenant.created`, …).
    pub fn event_types() -> RefOr<Schema> {
        list(one_of(&event_type_names()), None, false)
    }

    /// Event types in a partial update.
    pub fn event_types_or_null() -> RefOr<Schema> {
        list(one_of(&event_type_names()), None, true)
    }

    /// A comma-separated list of event types (the events feed's `type` filter).
    pub fn event_type_filter() -> RefOr<Schema> {
        let names = event_type_names()
            .iter()
            .map(|n| n.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|");
        // What `str::trim` removes, less the control characters refused before it.
        let space =
            "[\\t\\n\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*";
        let one = format!("{space}({names})?{space}");
        pattern(&format!("^{one}(,{one})*$")).into()
    }

    /// An audit event's outcome.
    pub fn outcome() -> RefOr<Schema> {
        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        one_of(&names).into()
    }

    /// An order status (the order list's filter).
    pub fn order_status() -> RefOr<Schema> {
        one_of(&order_status_names()).into()
    }

    fn event_type_names() -> Vec<&'static str> {
        tenantry_domain::event::EventType::ALL
            .iter()
            .map(|t| t.as_str())
            .collect()
    }

    fn permission_names() -> Vec<&'static str> {
        tenantry_domain::permission::Permission::ALL
            .iter()
            .map(|p| p.as_str())
            .collect()
    }

    /// Tenant user permissions (`GET /reseller/permission`).
    pub fn permissions() -> RefOr<Schema> {
        list(one_of(&permission_names()), None, false)
    }

    /// Permissions in a partial update.
    pub fn permissions_or_null() -> RefOr<Schema> {
        list(one_of(&permission_names()), None, true)
    }
}
