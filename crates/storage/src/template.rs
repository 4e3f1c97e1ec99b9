//! Tenant templates, per reseller: stored as the JSON the operator wrote, keyed by name.

use crate::convert::{from_json, to_db_time, to_json};
use crate::schema::tenant_templates as templates;
use crate::{DbConnection, Result};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tenantry_domain::template::TenantTemplate;
use uuid::Uuid;

/// Creates or replaces the reseller's template of this name.
pub fn put(
    conn: &mut DbConnection,
    reseller_id: Uuid,
    template: &TenantTemplate,
    now: DateTime<Utc>,
) -> Result<()> {
    // Delete and insert in the caller's transaction: ON CONFLICT is not portable through the
    // multi-backend connection, and a template is written rarely.
    remove(conn, reseller_id, &template.name)?;
    diesel::insert_into(templates::table)
        .values((
            templates::reseller_id.eq(reseller_id.to_string()),
            templates::name.eq(&template.name),
            templates::definition.eq(to_json(template)),
            templates::updated_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the reseller's template of this name; false when there was none.
pub fn remove(conn: &mut DbConnection, reseller_id: Uuid, name: &str) -> Result<bool> {
    let removed = diesel::delete(
        templates::table
            .filter(templates::reseller_id.eq(reseller_id.to_string()))
            .filter(templates::name.eq(name)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// The reseller's templates, by name.
pub fn list(conn: &mut DbConnection, reseller_id: Uuid) -> Result<Vec<TenantTemplate>> {
    templates::table
        .filter(templates::reseller_id.eq(reseller_id.to_string()))
        .order(templates::name.asc())
        .select(templates::definition)
        .load::<String>(conn)?
        .iter()
        .map(|definition| from_json(definition))
        .collect()
}
