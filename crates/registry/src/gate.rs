//! The gate: who may do what, and where. Roles and their capabilities, the
//! actor, the actor's scope (the unit, everything under it, every unit
//! merged into those) and the helpers that restrict a query or a unit to it.
//! Every other file asks here; none matches on a role or builds a scope.
//!
//! Outside the scope a thing is "not found", never "forbidden", so its
//! existence does not leak; a missing capability is "forbidden".

use crate::error::RegistryError;
use crate::service::Registry;
use crate::units::Level;
use crate::values::{HouseholdId, RoundId, UnitId};
use std::collections::BTreeSet;

/// The roles of the system, with their identifiers on the command line and in
/// the API. A role is a function, held at a unit of any level: an officer of
/// a commune, of a district (before 1 July 2025) or of a province does the
/// same work over a wider scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    /// Enters and checks the registry: households, surveys, review rounds.
    /// Above a commune, also approves the communes' reviews.
    Officer,
    /// Approves (or sends back) the reviews the communes under its unit
    /// report, and reads; changes no data.
    Approver,
    AgencyOfficer,
    Leader,
    Statistics,
}

/// What a role may do, within its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Names, addresses and household pages (not only aggregates).
    SeeNames,
    /// Identity numbers in full, on request (audited); others see them masked.
    SeeIdNumbers,
    /// Change registry data: households, surveys, review rounds.
    Write,
    /// Approve a commune's reported review, send it back, reopen a closed
    /// one. Held by a role, exercised only from the level above the commune
    /// on the review's date ([`Registry::require_approver`]).
    Approve,
    /// Accounts, the unit table, the score form's tables.
    Administer,
    /// Support: the gap finder's work lists (names of the households they
    /// concern), recording deliveries and importing an agency's list. An
    /// agency officer holds it for its own agency's policies only
    /// ([`Actor::works_on`]).
    Support,
    /// The gap finder's work lists, with the names of the households in
    /// them: the readers of names, and the agency officers for their
    /// agency's policies.
    SeeWorkLists,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Officer,
        Role::Approver,
        Role::AgencyOfficer,
        Role::Leader,
        Role::Statistics,
    ];

    /// The roles in the order an account form offers them: the usual account
    /// first, the administrator last (never by default).
    pub const FORM_ORDER: [Role; 6] = [
        Role::Officer,
        Role::Approver,
        Role::Leader,
        Role::Statistics,
        Role::AgencyOfficer,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Approver => "approver",
            Role::AgencyOfficer => "agency_officer",
            Role::Leader => "leader",
            Role::Statistics => "statistics",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether the role has a capability. The statistics officer sees
    /// aggregates only; the agency officer, until its agency's work is
    /// built, too. Leaders read. Identity numbers in full are for the
    /// officers who enter and check them.
    pub fn may(self, capability: Capability) -> bool {
        use Capability::*;
        use Role::*;
        match capability {
            SeeNames => !matches!(self, Statistics | AgencyOfficer),
            SeeIdNumbers | Write => matches!(self, Admin | Officer),
            Approve => matches!(self, Admin | Officer | Approver),
            Administer => self == Admin,
            Support => matches!(self, Admin | Officer | AgencyOfficer),
            SeeWorkLists => self != Statistics,
        }
    }

    /// Whether an account of this role may belong to a unit of `level`
    /// (None: no unit). Every role but the administrator needs a unit: a
    /// province, a district (history) or a commune; villages hold no
    /// accounts.
    pub fn fits_unit(self, level: Option<Level>) -> Result<(), String> {
        match (self, level) {
            (Role::Admin, _) => Ok(()),
            (_, None) => Err(format!("vai trò {} cần một đơn vị", self.code())),
            (_, Some(Level::Village)) => {
                Err("tài khoản thuộc một xã, một huyện hoặc một tỉnh, không thuộc thôn".into())
            }
            _ => Ok(()),
        }
    }

    /// The answer when the role lacks `capability`.
    pub fn refusal(self, capability: Capability) -> RegistryError {
        RegistryError::Forbidden(match capability {
            Capability::SeeNames => "vai trò này chỉ xem số liệu tổng hợp".into(),
            Capability::SeeIdNumbers => "vai trò này chỉ xem số định danh đã che".into(),
            Capability::Write => format!(
                "vai trò {} chỉ được xem, không được sửa dữ liệu",
                self.code()
            ),
            Capability::Approve => "vai trò này không phê duyệt kết quả rà soát".into(),
            Capability::Administer => "chỉ quản trị viên được làm việc này".into(),
            Capability::Support => "vai trò này không ghi nhận hỗ trợ".into(),
            Capability::SeeWorkLists => "vai trò này chỉ xem số liệu tổng hợp".into(),
        })
    }
}

/// Who acts: a signed-in user, or the command line run by whoever holds the
/// database (an administrator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// The unit the actor belongs to; None for an administrator.
    pub unit_id: Option<UnitId>,
    /// An agency officer's agency (a code of the policy catalogue).
    pub agency: Option<String>,
}

impl Actor {
    /// The command line: an administrator of the whole database.
    pub fn command_line() -> Actor {
        let user = std::env::var("USER").unwrap_or_else(|_| "?".into());
        Actor {
            name: format!("cli:{user}"),
            role: Role::Admin,
            unit_id: None,
            agency: None,
        }
    }

    /// Whether the actor's support work covers `policy`: an officer's and
    /// an administrator's covers every policy, an agency officer's its own
    /// agency's; other roles record no support.
    pub fn works_on(&self, policy: &support::Policy) -> bool {
        self.works_for(&policy.agency)
    }

    /// Whether the actor reports on a task of `agency`: an officer or an
    /// administrator for any agency, an agency officer for its own.
    pub fn works_for(&self, agency: &str) -> bool {
        match self.role {
            Role::Admin | Role::Officer => true,
            Role::AgencyOfficer => self.agency.as_deref() == Some(agency),
            _ => false,
        }
    }

    /// The agency an agency officer's work lists are restricted to.
    pub fn own_agency(&self) -> Option<&str> {
        match self.role {
            Role::AgencyOfficer => Some(self.agency.as_deref().unwrap_or("")),
            _ => None,
        }
    }

    /// Whether the actor's role has a capability.
    pub fn may(&self, capability: Capability) -> bool {
        self.role.may(capability)
    }

    /// Ok when the actor's role has the capability, else the refusal.
    pub fn require(&self, capability: Capability) -> Result<(), RegistryError> {
        if self.may(capability) {
            Ok(())
        } else {
            Err(self.role.refusal(capability))
        }
    }
}

/// The units an actor may see: None means all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    units: Option<std::sync::Arc<BTreeSet<UnitId>>>,
    /// The communes among them: what a household's commune is compared
    /// with (a short list, not every village).
    communes: Option<std::sync::Arc<BTreeSet<UnitId>>>,
}

impl Scope {
    pub fn communes(&self) -> Option<&BTreeSet<UnitId>> {
        self.communes.as_deref()
    }

    pub fn contains(&self, unit_id: UnitId) -> bool {
        self.units.as_ref().is_none_or(|u| u.contains(&unit_id))
    }

    pub fn all(&self) -> bool {
        self.units.is_none()
    }

    pub fn units(&self) -> Option<&BTreeSet<UnitId>> {
        self.units.as_deref()
    }
}

/// A scope the actor may also write in: only [`Registry::write_scope`]
/// makes one, after checking the write capability.
#[derive(Debug, Clone)]
pub struct WriteScope(Scope);

impl WriteScope {
    pub fn contains(&self, unit_id: UnitId) -> bool {
        self.0.contains(unit_id)
    }
}

/// A household the actor may change: only [`Registry::writable_household`]
/// makes one, after the write capability and the scope, so a
/// household-level write cannot skip the gate. Out of scope, the household
/// is "not found".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WritableHousehold {
    pub code: String,
    pub commune_id: UnitId,
    pub area: standard::Area,
}

/// Unit ids as a SQL list ("1,2,3"): only integers from the database are
/// ever formatted into SQL this way.
pub(crate) fn id_list(ids: &BTreeSet<UnitId>) -> String {
    ids.iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `AND <column> IN (…)` for the actor's scope, where the column holds a
/// commune (households, rounds, counts); empty when it sees all, None when
/// it sees nothing.
pub(crate) fn scope_clause(scope: &Scope, column: &str) -> Option<String> {
    match scope.communes() {
        None => Some(String::new()),
        Some(units) if units.is_empty() => None,
        Some(units) => Some(format!(" AND {column} IN ({})", id_list(units))),
    }
}

impl Registry {
    /// What the actor may see.
    pub async fn scope(&self, actor: &Actor) -> Result<Scope, RegistryError> {
        match (actor.role, actor.unit_id) {
            (Role::Admin, _) => Ok(Scope {
                units: None,
                communes: None,
            }),
            (_, Some(unit)) => self.unit_scope(unit).await,
            (_, None) => Ok(Scope {
                units: Some(Default::default()),
                communes: Some(Default::default()),
            }),
        }
    }

    /// The scope of an actor at `unit`: its family as sets, kept with the
    /// family (a province's holds tens of thousands of units, and a page
    /// asks for it several times).
    pub(crate) async fn unit_scope(&self, unit: UnitId) -> Result<Scope, RegistryError> {
        if let Some(scope) = self.cached_scope(unit) {
            return Ok(scope);
        }
        let family = self.unit_family_levels(unit).await?;
        let communes: BTreeSet<UnitId> = family
            .iter()
            .filter(|(_, level)| *level == Level::Commune)
            .map(|(id, _)| *id)
            .collect();
        let units: BTreeSet<UnitId> = family.iter().map(|(id, _)| *id).collect();
        let scope = Scope {
            units: Some(std::sync::Arc::new(units)),
            communes: Some(std::sync::Arc::new(communes)),
        };
        self.keep_scope(unit, &scope);
        Ok(scope)
    }

    /// Every unit of a unit's family in the actor's scope (itself, those
    /// under it and those merged into them), as a SQL list; not found
    /// outside the scope.
    pub(crate) async fn unit_list_within(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<String, RegistryError> {
        let unit = self.unit_in_scope(actor, unit_code).await?;
        let scope = self.unit_scope(unit.id).await?;
        Ok(scope
            .units()
            .map(id_list)
            .unwrap_or_else(|| unit.id.to_string()))
    }

    /// The communes of a unit in the actor's scope, as a SQL list ("1,2,3"),
    /// None when it has none; not found outside the scope.
    pub(crate) async fn commune_list_within(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<Option<String>, RegistryError> {
        let communes: BTreeSet<UnitId> = self
            .communes_within(actor, unit_code)
            .await?
            .into_iter()
            .collect();
        Ok((!communes.is_empty()).then(|| id_list(&communes)))
    }

    /// The communes of a unit in the actor's scope (a commune: itself and
    /// the communes merged into it); not found outside the scope.
    pub(crate) async fn communes_within(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<Vec<UnitId>, RegistryError> {
        let unit = self.unit_in_scope(actor, unit_code).await?;
        Ok(self
            .unit_scope(unit.id)
            .await?
            .communes()
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default())
    }

    /// The actor's scope for writing, refused when its role only reads.
    pub async fn write_scope(&self, actor: &Actor) -> Result<WriteScope, RegistryError> {
        actor.require(Capability::Write)?;
        Ok(WriteScope(self.scope(actor).await?))
    }

    /// The household `id`, for a change by the actor: forbidden without the
    /// write capability, not found when absent or outside the scope.
    pub(crate) async fn writable_household(
        &self,
        actor: &Actor,
        id: HouseholdId,
    ) -> Result<WritableHousehold, RegistryError> {
        actor.require(Capability::Write)?;
        self.household_in_scope(actor, id).await
    }

    /// The household `id` when it is in the actor's scope; else not found.
    /// Only the two makers of a [`WritableHousehold`] call it, after their
    /// capability.
    async fn household_in_scope(
        &self,
        actor: &Actor,
        id: HouseholdId,
    ) -> Result<WritableHousehold, RegistryError> {
        let row: Option<(String, UnitId, Option<String>)> = sqlx::query_as(
            "SELECT h.code, h.commune_id, u.area FROM households h JOIN units u ON u.id = h.commune_id WHERE h.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let not_found = || RegistryError::NotFound(format!("hộ số {id}"));
        let (code, commune_id, area) = row.ok_or_else(not_found)?;
        if !self.scope(actor).await?.contains(commune_id) {
            return Err(not_found());
        }
        Ok(WritableHousehold {
            code,
            commune_id,
            area: if area.as_deref() == Some("urban") {
                standard::Area::Urban
            } else {
                standard::Area::Rural
            },
        })
    }

    /// The actor's scope for support work (deliveries, agency lists),
    /// refused when its role records no support.
    pub(crate) async fn support_scope(&self, actor: &Actor) -> Result<Scope, RegistryError> {
        actor.require(Capability::Support)?;
        self.scope(actor).await
    }

    /// The household `id`, for a delivery of `policy` by the actor: the
    /// support capability, the policy within its work (an agency officer:
    /// its agency's), and the household in its scope (else not found).
    pub(crate) async fn supportable_household(
        &self,
        actor: &Actor,
        id: HouseholdId,
        policy: &support::Policy,
    ) -> Result<WritableHousehold, RegistryError> {
        actor.require(Capability::Support)?;
        if !actor.works_on(policy) {
            return Err(RegistryError::Forbidden(format!(
                "{} không thuộc việc của cơ quan mình",
                policy.name.vi
            )));
        }
        self.household_in_scope(actor, id).await
    }

    /// The unit `code` when it is in the actor's scope; else not found.
    pub(crate) async fn unit_in_scope(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<crate::units::Unit, RegistryError> {
        let unit = self
            .unit_by_code(code)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{code}\"")))?;
        self.require_in_scope(actor, unit.id, || format!("đơn vị \"{code}\""))
            .await?;
        Ok(unit)
    }

    /// Who reads the aggregates of a unit for an actor who may read what
    /// it issued (a plan's progress by commune): a leader of that unit,
    /// who sees figures, never a household.
    pub(crate) fn aggregates_reader(actor: &Actor, unit: UnitId) -> Actor {
        Actor {
            name: actor.name.clone(),
            role: Role::Leader,
            unit_id: Some(unit),
            agency: None,
        }
    }

    /// Whether the actor acts in the name of `unit` itself (its own
    /// officers; the administrator for any): who submits a unit's report,
    /// who decides on the reports sent to it.
    pub fn speaks_for(actor: &Actor, unit: UnitId) -> bool {
        actor.role == Role::Admin || actor.unit_id == Some(unit)
    }

    /// Whether the actor reads what `unit` issued for the units under it
    /// (a plan): within its scope, or its own unit lies under `unit` (a
    /// commune reads its district's plan).
    pub(crate) async fn reads_issued_by(
        &self,
        actor: &Actor,
        unit: UnitId,
    ) -> Result<bool, RegistryError> {
        if self.scope(actor).await?.contains(unit) {
            return Ok(true);
        }
        Ok(match actor.unit_id {
            Some(own) => self.unit_scope(unit).await?.contains(own),
            None => actor.role == Role::Admin,
        })
    }

    /// The unit `code`, for a change by the actor: not found outside the
    /// scope, forbidden without the write capability there.
    pub(crate) async fn writable_unit(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<crate::units::Unit, RegistryError> {
        let unit = self.unit_in_scope(actor, code).await?;
        self.check_write(actor, unit.id).await?;
        Ok(unit)
    }

    /// Refuses unless the actor may change data of `unit_id`.
    pub(crate) async fn check_write(
        &self,
        actor: &Actor,
        unit_id: UnitId,
    ) -> Result<(), RegistryError> {
        if self.write_scope(actor).await?.contains(unit_id) {
            Ok(())
        } else {
            Err(RegistryError::Forbidden(
                "đơn vị này nằm ngoài phạm vi của tài khoản".into(),
            ))
        }
    }

    /// Whether the actor may change data of `unit_id` (a question pages ask
    /// to offer or hide their forms).
    pub async fn may_write(&self, actor: &Actor, unit_id: UnitId) -> Result<bool, RegistryError> {
        if !actor.may(Capability::Write) {
            return Ok(false);
        }
        Ok(self.scope(actor).await?.contains(unit_id))
    }

    /// The unit that approves a round, if the actor may act for it: the
    /// capability, and the approving unit (the level above the commune on
    /// the round's date, [`Registry::approving_unit`]) within the actor's
    /// scope. A commune never approves its own review.
    pub async fn require_approver(
        &self,
        actor: &Actor,
        round: &crate::review::Round,
    ) -> Result<crate::units::Unit, RegistryError> {
        actor.require(Capability::Approve)?;
        let approver = self.round_approver(round).await?.ok_or_else(|| {
            RegistryError::Invalid(vec![
                "xã này không có đơn vị cấp trên để phê duyệt kết quả rà soát".into(),
            ])
        })?;
        if self.scope(actor).await?.contains(approver.id) {
            Ok(approver)
        } else {
            Err(RegistryError::Forbidden(format!(
                "kết quả rà soát của xã do {} phê duyệt",
                approver.name
            )))
        }
    }

    /// Whether the actor may approve or reopen a round (a question the
    /// round's page asks to offer its forms).
    pub async fn may_approve(
        &self,
        actor: &Actor,
        round: &crate::review::Round,
    ) -> Result<bool, RegistryError> {
        match self.require_approver(actor, round).await {
            Ok(_) => Ok(true),
            Err(RegistryError::Forbidden(_) | RegistryError::Invalid(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Not found (named `what`) unless `unit_id` is in the actor's scope.
    pub(crate) async fn require_in_scope(
        &self,
        actor: &Actor,
        unit_id: UnitId,
        what: impl FnOnce() -> String,
    ) -> Result<(), RegistryError> {
        if self.scope(actor).await?.contains(unit_id) {
            Ok(())
        } else {
            Err(RegistryError::NotFound(what()))
        }
    }

    /// Whether the actor may see the names of `unit_id` (its households,
    /// its rounds): the capability and the scope.
    pub async fn sees_names_of(
        &self,
        actor: &Actor,
        unit_id: UnitId,
    ) -> Result<bool, RegistryError> {
        if !actor.may(Capability::SeeNames) {
            return Ok(false);
        }
        Ok(self.scope(actor).await?.contains(unit_id))
    }

    /// Whether the actor may see a household (names and all): the question
    /// pages ask before showing what belongs to it.
    pub async fn household_visible(
        &self,
        actor: &Actor,
        id: HouseholdId,
    ) -> Result<bool, RegistryError> {
        self.visible_by_commune(
            actor,
            "SELECT commune_id FROM households WHERE id = $1",
            id.get(),
        )
        .await
    }

    /// Whether the actor may see a review round (its households' names).
    pub async fn round_visible(&self, actor: &Actor, id: RoundId) -> Result<bool, RegistryError> {
        self.visible_by_commune(
            actor,
            "SELECT commune_id FROM review_rounds WHERE id = $1",
            id.get(),
        )
        .await
    }

    /// Whether the actor sees the names of the commune `commune_of` gives
    /// for `id` (nothing when there is no such row).
    async fn visible_by_commune(
        &self,
        actor: &Actor,
        commune_of: &'static str,
        id: i64,
    ) -> Result<bool, RegistryError> {
        if !actor.may(Capability::SeeNames) {
            return Ok(false);
        }
        let commune: Option<UnitId> = sqlx::query_scalar(commune_of)
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?;
        match commune {
            Some(c) => self.sees_names_of(actor, c).await,
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_of_each_role() {
        use Capability::*;
        let table = [
            (Role::Admin, [true, true, true, true, true, true, true]),
            (Role::Officer, [true, true, true, true, false, true, true]),
            (
                Role::Approver,
                [true, false, false, true, false, false, true],
            ),
            (
                Role::Leader,
                [true, false, false, false, false, false, true],
            ),
            (
                Role::AgencyOfficer,
                [false, false, false, false, false, true, true],
            ),
            (
                Role::Statistics,
                [false, false, false, false, false, false, false],
            ),
        ];
        for (role, expected) in table {
            let got = [
                SeeNames,
                SeeIdNumbers,
                Write,
                Approve,
                Administer,
                Support,
                SeeWorkLists,
            ]
            .map(|c| role.may(c));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn every_role_but_the_administrator_needs_a_unit_above_the_villages() {
        assert!(Role::Admin.fits_unit(None).is_ok());
        assert!(Role::Leader.fits_unit(None).is_err());
        for role in [Role::Officer, Role::Approver, Role::Leader] {
            for level in [Level::Province, Level::District, Level::Commune] {
                assert!(role.fits_unit(Some(level)).is_ok(), "{role:?} {level:?}");
            }
            assert!(role.fits_unit(Some(Level::Village)).is_err(), "{role:?}");
        }
    }
}
