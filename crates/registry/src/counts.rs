//! Counts kept instead of recomputed: official assessments by commune, year
//! and status (`official_counts`), each household's first year on the
//! registry (`households.first_year`), and the households by commune, first
//! year and removal date (`household_spans`: how many were on the registry
//! in a year). They change in the same transaction
//! as what they count, so a dashboard reads a few hundred rows, not every
//! assessment; `Registry::count_drift` recomputes them to prove it.

use crate::error::RegistryError;
use crate::service::Registry;
use crate::values::{HouseholdId, UnitId};
use sqlx::AnyConnection;

async fn add(
    conn: &mut AnyConnection,
    commune_id: UnitId,
    year: i64,
    status: &str,
    n: i64,
) -> Result<(), RegistryError> {
    // The commune's row, then its province's roll-up.
    let province = crate::provinces::roll_ups(&mut *conn, [commune_id])
        .await?
        .get(&commune_id)
        .copied();
    for unit in std::iter::once(commune_id).chain(province) {
        sqlx::query(
            "INSERT INTO official_counts (commune_id, year, status, households) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (commune_id, year, status) DO UPDATE SET households = official_counts.households + excluded.households",
        )
        .bind(unit)
        .bind(year)
        .bind(status)
        .bind(n)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// New official assessments of `year`, by commune and status (households
/// created with that first year, so their spans are already counted).
pub(crate) async fn officials_added(
    conn: &mut AnyConnection,
    year: i64,
    counts: &std::collections::BTreeMap<(UnitId, &str), i64>,
) -> Result<(), RegistryError> {
    // In one order of rows (the map's), as every writer of the counts.
    for ((commune_id, status), n) in counts {
        add(conn, *commune_id, year, status, *n).await?;
    }
    Ok(())
}

/// A household's official status of `year` went from `old` to `new` (None:
/// no official assessment).
pub(crate) async fn official_changed(
    conn: &mut AnyConnection,
    household_id: HouseholdId,
    year: i64,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), RegistryError> {
    if old == new {
        return Ok(());
    }
    let commune_id: UnitId = sqlx::query_scalar("SELECT commune_id FROM households WHERE id = $1")
        .bind(household_id)
        .fetch_one(&mut *conn)
        .await?;
    // Counter rows are updated in one order (by status), so two writes
    // that change them the opposite way cannot deadlock on PostgreSQL.
    let mut changes: Vec<(&str, i64)> = old
        .map(|o| (o, -1))
        .into_iter()
        .chain(new.map(|n| (n, 1)))
        .collect();
    changes.sort_unstable();
    for (status, n) in changes {
        add(conn, commune_id, year, status, n).await?;
    }
    if let Some(_new) = new {
        // Assessed in a year: on the registry since that year at least.
        let before = Span::of(conn, household_id).await?;
        if before.first_year.is_none_or(|f| f > year) {
            sqlx::query("UPDATE households SET first_year = $1 WHERE id = $2")
                .bind(year)
                .bind(household_id)
                .execute(&mut *conn)
                .await?;
            let after = Span {
                first_year: Some(year),
                ..before.clone()
            };
            span_changed(conn, Some(&before), Some(&after)).await?;
        }
    }
    Ok(())
}

/// A household moved from one commune to another: its official
/// assessments count under the new one. Call before updating it.
pub(crate) async fn household_moved(
    conn: &mut AnyConnection,
    household_id: HouseholdId,
    from: UnitId,
    to: UnitId,
) -> Result<(), RegistryError> {
    if from == to {
        return Ok(());
    }
    let before = Span::of(conn, household_id).await?;
    let after = Span {
        commune_id: to,
        ..before.clone()
    };
    span_changed(conn, Some(&before), Some(&after)).await?;
    // The household's tallies move with it: what it counted under `from`
    // it counts under `to`.
    let mut diff = std::collections::BTreeMap::new();
    for mut history in crate::tallies::histories(conn, &[household_id])
        .await?
        .into_values()
    {
        history.commune_id = to;
        crate::tallies::tallies(&history, &mut diff);
        let mut before = std::collections::BTreeMap::new();
        history.commune_id = from;
        crate::tallies::tallies(&history, &mut before);
        for (key, n) in before {
            *diff.entry(key).or_default() -= n;
        }
    }
    crate::tallies::add_tallies(conn, &diff).await?;
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT year, status FROM assessments WHERE household_id = $1 AND official = 1",
    )
    .bind(household_id)
    .fetch_all(&mut *conn)
    .await?;
    for (year, status) in rows {
        add(conn, from, year, &status, -1).await?;
        add(conn, to, year, &status, 1).await?;
    }
    Ok(())
}

/// Where a household counts in `household_spans`: its commune, first year
/// on the registry and removal date ('' while on the registry). A household
/// without a first year is on no year's registry and counts nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub commune_id: UnitId,
    pub first_year: Option<i64>,
    pub removed_on: String,
}

impl Span {
    /// The household's span as its row says now, read on the caller's
    /// connection (inside a write, before changing the row).
    pub(crate) async fn of(
        conn: &mut AnyConnection,
        household_id: HouseholdId,
    ) -> Result<Span, RegistryError> {
        let (commune_id, first_year, removed_on): (UnitId, Option<i64>, Option<String>) =
            sqlx::query_as(
                "SELECT commune_id, first_year, removed_on FROM households WHERE id = $1",
            )
            .bind(household_id)
            .fetch_one(conn)
            .await?;
        Ok(Span {
            commune_id,
            first_year,
            removed_on: removed_on.unwrap_or_default(),
        })
    }
}

/// A household's span went from `old` to `new` (None: no household).
pub(crate) async fn span_changed(
    conn: &mut AnyConnection,
    old: Option<&Span>,
    new: Option<&Span>,
) -> Result<(), RegistryError> {
    if old == new {
        return Ok(());
    }
    // One order of rows, as for official_counts.
    let mut changes: Vec<(&Span, i64)> = old
        .map(|o| (o, -1))
        .into_iter()
        .chain(new.map(|n| (n, 1)))
        .filter(|(span, _)| span.first_year.is_some())
        .collect();
    changes.sort_unstable_by_key(|(span, _)| {
        (span.commune_id, span.first_year, span.removed_on.clone())
    });
    let changes: Vec<(Span, i64)> = changes.into_iter().map(|(s, n)| (s.clone(), n)).collect();
    add_spans(conn, &changes).await
}

/// Adds `n` households to each span (negative: takes them away), in the
/// order given (callers give one order, so two writers never lock rows
/// the other way round).
pub(crate) async fn add_spans(
    conn: &mut AnyConnection,
    spans: &[(Span, i64)],
) -> Result<(), RegistryError> {
    let provinces =
        crate::provinces::roll_ups(&mut *conn, spans.iter().map(|(s, _)| s.commune_id)).await?;
    // A household with no first year yet is in no span. Each commune's
    // row, then its province's roll-up.
    for (span, n) in spans.iter().filter(|(span, _)| span.first_year.is_some()) {
        let province = provinces.get(&span.commune_id).copied();
        for unit in std::iter::once(span.commune_id).chain(province) {
            sqlx::query(
                "INSERT INTO household_spans (commune_id, first_year, removed_on, households) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (commune_id, first_year, removed_on) DO UPDATE SET households = household_spans.households + excluded.households",
            )
            .bind(unit)
            .bind(span.first_year)
            .bind(&span.removed_on)
            .bind(*n)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The kept counts against the assessments: each (commune, year, status,
/// span or tally) whose kept count differs, with (kept, recomputed).
pub type Drift = Vec<((i64, i64, String), (i64, i64))>;

impl Registry {
    /// Recomputes the kept counts from the microdata and lists where they
    /// differ (empty when they agree).
    pub async fn count_drift(&self) -> Result<Drift, RegistryError> {
        let kept: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT commune_id, year, status, households FROM official_counts WHERE households <> 0",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let actual: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT h.commune_id, a.year, a.status, COUNT(*) FROM assessments a JOIN households h ON h.id = a.household_id \
             WHERE a.official = 1 GROUP BY h.commune_id, a.year, a.status",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut all: std::collections::BTreeMap<(i64, i64, String), (i64, i64)> =
            std::collections::BTreeMap::new();
        for (c, y, s, n) in kept {
            all.entry((c, y, s)).or_default().0 = n;
        }
        let mut conn = self.db.pool.acquire().await?;
        let provinces = crate::provinces::roll_ups(
            &mut conn,
            actual.iter().map(|(c, _, _, _)| UnitId::new(*c)),
        )
        .await?;
        for (c, y, s, n) in actual {
            // The commune's row, and its share of its province's roll-up.
            if let Some(p) = provinces.get(&UnitId::new(c)) {
                all.entry((p.get(), y, s.clone())).or_default().1 += n;
            }
            all.entry((c, y, s)).or_default().1 += n;
        }
        let mut drift: Drift = all.into_iter().filter(|(_, (k, a))| k != a).collect();
        let first: Vec<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT h.id, h.first_year, (SELECT MIN(a.year) FROM assessments a WHERE a.household_id = h.id AND a.official = 1) \
             FROM households h",
        )
        .fetch_all(&self.db.pool)
        .await?;
        for (id, first_year, assessed) in first {
            if let Some(assessed) = assessed
                && first_year.is_none_or(|f| f > assessed)
            {
                drift.push((
                    (0, id, "first_year".into()),
                    (first_year.unwrap_or(0), assessed),
                ));
            }
        }
        // Households on the registry by commune, first year and removal.
        let kept: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT commune_id, first_year, removed_on, households FROM household_spans WHERE households <> 0",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let actual: Vec<(i64, i64, String, i64)> = sqlx::query_as(
            "SELECT commune_id, first_year, COALESCE(removed_on, ''), COUNT(*) FROM households \
             WHERE first_year IS NOT NULL GROUP BY commune_id, first_year, COALESCE(removed_on, '')",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut spans: std::collections::BTreeMap<(i64, i64, String), (i64, i64)> =
            std::collections::BTreeMap::new();
        for (c, y, r, n) in kept {
            spans.entry((c, y, format!("span {r}"))).or_default().0 = n;
        }
        let provinces = crate::provinces::roll_ups(
            &mut conn,
            actual.iter().map(|(c, _, _, _)| UnitId::new(*c)),
        )
        .await?;
        for (c, y, r, n) in actual {
            if let Some(p) = provinces.get(&UnitId::new(c)) {
                spans
                    .entry((p.get(), y, format!("span {r}")))
                    .or_default()
                    .1 += n;
            }
            spans.entry((c, y, format!("span {r}"))).or_default().1 += n;
        }
        drift.extend(spans.into_iter().filter(|(_, (k, a))| k != a));
        // The assessments' copy of their head's sort key (what the lists
        // walk in name order): households whose copies differ, with how
        // many do.
        let unsorted: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT a.household_id, COUNT(*) FROM assessments a JOIN households h ON h.id = a.household_id \
             WHERE a.head_sort <> h.head_sort GROUP BY a.household_id",
        )
        .fetch_all(&self.db.pool)
        .await?;
        drift.extend(
            unsorted
                .into_iter()
                .map(|(id, n)| ((0, id, "head_sort".to_string()), (n, 0))),
        );
        drift.extend(self.tally_drift().await?);
        Ok(drift)
    }
}
