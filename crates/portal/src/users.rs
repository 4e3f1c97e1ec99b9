//! `/portal/users`: the tenant's users. Everyone signed in sees them; an admin adds one
//! (login, name, email, role, permissions, language, an optional API password), changes a
//! user's role and permissions, and removes one. The last admin cannot be removed or demoted
//! (`service::user`'s rule for a tenant's own people).

use crate::error::PortalError;
use crate::form::PortalForm;
use crate::page::{render, render_status, see_other, Chrome, Section};
use crate::session::Visitor;
use crate::{blocking, field_errors, text};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;
use tenantry_domain::permission::{Permission, Role};
use tenantry_domain::time;
use tenantry_domain::user::{check_login, UserDraft, UserPatch};
use tenantry_http::AppState;
use tenantry_service::{user as service, ServiceError};
use tenantry_storage::user as users;

/// A user as the page lists it.
pub struct Row {
    pub login: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub role_label: &'static str,
    /// What the role grants, and what was granted besides.
    pub effective: Vec<&'static str>,
    pub granted: Vec<String>,
    pub has_password: bool,
    pub is_me: bool,
}

/// A choice of role or permission in a form.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

/// What the add form sent, to show again with its errors.
#[derive(Default, Deserialize)]
pub struct NewUser {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub default_language: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<Row>,
    may_manage: bool,
    notice: Option<&'static str>,
    alert: Option<String>,
    roles: Vec<Choice>,
    permissions: Vec<Choice>,
    form: NewUser,
    form_permissions: Vec<String>,
    errors: HashMap<String, String>,
}

fn roles(visitor: &Visitor) -> Vec<Choice> {
    Role::ALL
        .into_iter()
        .map(|r| Choice {
            value: r.as_str(),
            label: text::role(visitor.texts(), r),
        })
        .collect()
}

fn permissions() -> Vec<Choice> {
    Permission::ALL
        .into_iter()
        .map(|p| Choice {
            value: p.as_str(),
            label: p.description(),
        })
        .collect()
}

/// The page, with `form` (and `errors`) in the add form and an `alert` above the list.
struct Shown {
    notice: Option<&'static str>,
    alert: Option<String>,
    form: NewUser,
    form_permissions: Vec<String>,
    errors: HashMap<String, String>,
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    shown: Shown,
) -> Result<UsersPage, PortalError> {
    let (db, tenant_id, me, t) = (
        state.clone(),
        visitor.tenant.id,
        visitor.user.id,
        visitor.texts(),
    );
    let list = blocking(move || {
        Ok(db
            .db
            .read(|conn| users::list(conn, tenant_id, None, 500))?
            .rows)
    })
    .await?;
    let rows = list
        .into_iter()
        .map(|u| Row {
            effective: u
                .effective_permissions()
                .iter()
                .map(|p| p.as_str())
                .collect(),
            role_label: text::role(t, u.role),
            name: u.full_name.clone(),
            email: u.email.clone(),
            role: u.role,
            granted: u.permissions.clone(),
            has_password: u.password_hash.is_some(),
            is_me: u.id == me,
            login: u.login,
        })
        .collect();
    Ok(UsersPage {
        chrome: Chrome::new(visitor, Section::Users, t.get("users.title").to_owned()),
        users: rows,
        may_manage: visitor.user.role.manages_account(),
        notice: shown.notice,
        alert: shown.alert,
        roles: roles(visitor),
        permissions: permissions(),
        form: shown.form,
        form_permissions: shown.form_permissions,
        errors: shown.errors,
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

/// `GET /portal/users`.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PortalError> {
    let t = visitor.texts();
    let notice = match query.notice.as_deref() {
        Some("created") => Some(t.get("users.created_notice")),
        Some("updated") => Some(t.get("users.updated_notice")),
        Some("deleted") => Some(t.get("users.deleted_notice")),
        _ => None,
    };
    let form = NewUser {
        role: Role::Viewer.as_str().into(),
        default_language: visitor.user.default_language.clone(),
        ..Default::default()
    };
    let shown = Shown {
        notice,
        alert: None,
        form,
        form_permissions: vec![],
        errors: HashMap::new(),
    };
    render(&page(&state, &visitor, shown).await?)
}

fn require_admin(visitor: &Visitor) -> Result<(), PortalError> {
    visitor.require(visitor.user.role.manages_account(), "manage users")
}

fn role_of(value: &str) -> Result<Role, HashMap<String, String>> {
    value
        .parse()
        .map_err(|e: String| HashMap::from([("role".to_owned(), e)]))
}

/// `POST /portal/users`: adds a user, or shows the form again with each field's error.
pub async fn create(
    state: web::Data<AppState>,
    form: PortalForm<NewUser>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&form.visitor)?;
    let granted = form.values("permissions");
    let PortalForm {
        visitor, fields, ..
    } = form;
    let refused = |errors, fields, granted| Shown {
        notice: None,
        alert: None,
        form: fields,
        form_permissions: granted,
        errors,
    };
    let role = match role_of(&fields.role) {
        Ok(role) => role,
        Err(errors) => {
            return shown_with(
                &state,
                &visitor,
                refused(errors, fields, granted),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let password = Some(fields.password.clone()).filter(|p| !p.is_empty());
    let draft = UserDraft {
        login: fields.login.trim().to_owned(),
        full_name: fields.full_name.trim().to_owned(),
        email: fields.email.trim().to_owned(),
        permissions: granted.clone(),
        role,
        default_language: fields.default_language.trim().to_owned(),
        password,
    };
    let draft = match draft.check() {
        Ok(d) => d,
        Err(e) => {
            return shown_with(
                &state,
                &visitor,
                refused(field_errors(e), fields, granted),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let (db, actor, tenant) = (state.clone(), visitor.actor(), visitor.tenant.clone());
    let created = blocking(move || {
        // argon2 runs here, before the transaction, as the Reseller API's user create does.
        let hash = draft.password.as_deref().map(tenantry_auth::password::hash);
        Ok(db
            .db
            .write(|conn| service::create(conn, &actor, &tenant, draft, hash, time::now())))
    })
    .await?;
    match created {
        Ok(_) => Ok(see_other("/portal/users?notice=created")),
        Err(ServiceError::UserExists { login, .. }) => {
            let message = visitor
                .texts()
                .fill("users.login_taken", &[("login", &login)]);
            let errors = HashMap::from([("login".to_owned(), message)]);
            shown_with(
                &state,
                &visitor,
                refused(errors, fields, granted),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn shown_with(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, PortalError> {
    render_status(&page(state, visitor, shown).await?, status)
}

fn login_of(path: web::Path<String>) -> Result<String, PortalError> {
    let login = path.into_inner();
    check_login(&login).map_err(|_| PortalError::NotFound(format!("user {login}")))?;
    Ok(login)
}

/// What the change form sends: the role (the permissions are its checkboxes).
#[derive(Deserialize)]
pub struct Change {
    role: String,
}

/// `POST /portal/users/{login}`: changes the user's role and the permissions granted besides.
pub async fn update(
    state: web::Data<AppState>,
    login: web::Path<String>,
    form: PortalForm<Change>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&form.visitor)?;
    let login = login_of(login)?;
    let granted = form.values("permissions");
    let PortalForm {
        visitor, fields, ..
    } = form;
    let role = role_of(&fields.role).map_err(|e| PortalError::BadForm(format!("{e:?}")))?;
    let patch = UserPatch {
        role: Some(role),
        permissions: Some(granted),
        ..Default::default()
    };
    patch
        .check()
        .map_err(|e| PortalError::BadForm(e.to_string()))?;
    let (db, actor, tenant) = (state.clone(), visitor.actor(), visitor.tenant.clone());
    let changed = blocking(move || {
        Ok(db
            .db
            .write(|conn| service::update(conn, &actor, &tenant, &login, patch, None, time::now())))
    })
    .await?;
    after_change(&state, &visitor, changed.map(|_| ()), "updated").await
}

/// `POST /portal/users/{login}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    login: web::Path<String>,
    PortalForm { visitor, .. }: PortalForm<crate::connections::Nothing>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let login = login_of(login)?;
    let (db, actor, tenant) = (state.clone(), visitor.actor(), visitor.tenant.clone());
    let deleted = blocking(move || {
        Ok(db
            .db
            .write(|conn| service::delete(conn, &actor, &tenant, &login)))
    })
    .await?;
    after_change(&state, &visitor, deleted.map(|_| ()), "deleted").await
}

/// Back to the list after a change, or the list with the use case's refusal above it (409:
/// the last admin).
async fn after_change(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    outcome: Result<(), ServiceError>,
    done: &str,
) -> Result<HttpResponse, PortalError> {
    match outcome {
        Ok(()) => Ok(see_other(&format!("/portal/users?notice={done}"))),
        Err(ServiceError::Conflict {
            code: "last_admin", ..
        }) => {
            let shown = Shown {
                notice: None,
                alert: Some(visitor.texts().get("users.last_admin").to_owned()),
                form: NewUser {
                    role: Role::Viewer.as_str().into(),
                    ..Default::default()
                },
                form_permissions: vec![],
                errors: HashMap::new(),
            };
            shown_with(state, visitor, shown, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

impl Row {
    /// Whether the user was granted `permission` besides the role's.
    pub fn grants(&self, permission: &str) -> bool {
        self.granted.iter().any(|g| g == permission)
    }
}

impl UsersPage {
    /// Whether the add form had `permission` checked.
    fn form_grants(&self, permission: &str) -> bool {
        self.form_permissions.iter().any(|g| g == permission)
    }
}
