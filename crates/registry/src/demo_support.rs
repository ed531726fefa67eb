//! The demo's support work: its agency officers' agencies, and the lists an
//! agency would send — the Social Policy Bank's loans and the social
//! insurance office's health-insurance cards of 2026 — written as the
//! workbooks those offices keep (titles, a header, some rows keyed by CCCD,
//! some by household code, some by name and birth date, one person the
//! registry does not know), for an agency officer to import.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use report::{Cell, Column, Kind, Report, Section};

/// (username, agency code) of the demo's agency officers.
pub const DEMO_AGENCIES: [(&str, &str); 2] =
    [("nhcsxh", "policy_bank"), ("bhxh", "social_insurance")];

/// The communes whose poor and near-poor the demo's lists cover.
const LIST_COMMUNES: [&str; 2] = ["90001", "90002"];
/// The year of the demo's lists.
const LIST_YEAR: i64 = 2026;

#[derive(sqlx::FromRow)]
struct ListPerson {
    household_code: String,
    full_name: String,
    birth_date: Option<String>,
    id_number: Option<String>,
    relation: String,
    status: String,
}

fn invalid(e: impl ToString) -> RegistryError {
    RegistryError::Invalid(vec![e.to_string()])
}

fn dmy(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(vntext::format_date)
        .unwrap_or_default()
}

impl Registry {
    /// Gives the demo's agency officers their agencies.
    pub(crate) async fn assign_demo_agencies(
        &self,
        actor: &Actor,
        policies: &support::Catalogue,
    ) -> Result<(), RegistryError> {
        for (username, agency) in DEMO_AGENCIES {
            self.assign_agency(actor, username, agency, policies)
                .await?;
        }
        Ok(())
    }

    /// The support work of Xã Nghi Xuân in 2026, as its officer would have
    /// it: causes, wishes and types of its poor households, some support
    /// delivered, the expected-escape list with a cadre per household and
    /// follow-up notes, two steering committee members and their visits.
    pub(crate) async fn seed_demo_support(
        &self,
        policies: &support::Catalogue,
    ) -> Result<(), RegistryError> {
        let commune = "90001";
        let Some(unit) = self.unit_by_code(commune).await? else {
            return Ok(());
        };
        let officer = Actor {
            name: "xa.nghixuan".into(),
            role: crate::gate::Role::Officer,
            unit_id: Some(unit.id),
            agency: None,
        };
        let year = crate::values::ReviewYear::new(LIST_YEAR).map_err(invalid)?;
        let mut poor: Vec<(crate::values::HouseholdId, String, i64)> = Vec::new();
        for merged in self.communes_within(&officer, commune).await? {
            let mut found: Vec<(crate::values::HouseholdId, String, i64)> = sqlx::query_as(
                "SELECT h.id, h.code, (SELECT COUNT(*) FROM members m WHERE m.household_id = h.id AND m.removed_on IS NULL AND m.no_working_capacity = 1) \
                 FROM households h JOIN assessments a ON a.household_id = h.id AND a.official = 1 AND a.year = $2 \
                 WHERE h.commune_id = $1 AND h.removed_on IS NULL AND a.status = 'poor' ORDER BY h.code",
            )
            .bind(merged)
            .bind(LIST_YEAR - 1)
            .fetch_all(&self.db.pool)
            .await?;
            poor.append(&mut found);
        }
        let causes = [
            vec!["no_capital", "no_skills"],
            vec!["grave_illness"],
            vec!["no_land", "no_job"],
            vec!["no_labour"],
        ];
        let wishes = [
            vec!["credit", "training"],
            vec!["health", "allowance"],
            vec!["means", "know_how"],
            vec!["housing"],
        ];
        let cadres = [
            ("Nguyễn Thị Hoa", "Trưởng thôn"),
            ("Lê Văn Nam", "Hội Nông dân"),
            ("Trần Thị Mai", "Hội Liên hiệp Phụ nữ"),
            ("Phạm Văn Đức", "Hội Cựu chiến binh"),
        ];
        for (i, (id, code, unable)) in poor.iter().enumerate().take(60) {
            let kind = if i == 7 {
                3
            } else if *unable > 0 {
                1
            } else {
                2
            };
            self.record_profile(
                &officer,
                *id,
                LIST_YEAR,
                policies,
                &crate::profiles::NewProfile {
                    causes: causes[i % causes.len()]
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                    wishes: wishes[i % wishes.len()]
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                    poverty_type: Some(kind),
                    reason: if kind == 3 {
                        "Có sức lao động nhưng không chịu làm ăn, đã được thôn vận động nhiều lần"
                            .into()
                    } else {
                        String::new()
                    },
                },
            )
            .await?;
            if kind == 2 && i % 2 == 0 {
                let (cadre, role) = cadres[(i / 2) % cadres.len()];
                let plan = self
                    .plan_escape(
                        &officer,
                        year,
                        &crate::escape::NewEscapePlan {
                            household_code: code.clone(),
                            cadre_name: cadre.into(),
                            cadre_role: role.into(),
                            policies: vec![
                                "preferential_credit".into(),
                                "production_support".into(),
                            ],
                            due_on: format!("30/{:02}/{LIST_YEAR}", 6 + i % 4),
                        },
                        policies,
                    )
                    .await?;
                if i % 4 == 0 {
                    self.note_escape(
                        &officer,
                        plan,
                        "Đã thăm hộ, hộ đăng ký vay vốn chăn nuôi bò",
                    )
                    .await?;
                }
            }
            if i % 3 == 0 {
                self.record_delivery(
                    &officer,
                    *id,
                    policies,
                    &crate::deliveries::NewDelivery {
                        policy: "production_support".into(),
                        delivered_on: format!("{:02}/04/{LIST_YEAR}", 1 + i % 28),
                        amount: "3.000.000".into(),
                        details: [(
                            "programme".to_string(),
                            "Hỗ trợ giống lúa, phân bón".to_string(),
                        )]
                        .into(),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
        let model = self
            .add_model(
                &officer,
                &crate::models::NewModel {
                    commune_code: commune.into(),
                    name: "Nuôi bò sinh sản theo tổ hợp tác".into(),
                    sector: "Chăn nuôi".into(),
                    started_on: format!("01/03/{}", LIST_YEAR - 1),
                    funding: "240.000.000".into(),
                    funding_source: "Chương trình MTQG giảm nghèo bền vững".into(),
                },
            )
            .await?;
        for (_, code, _) in poor.iter().skip(1).step_by(3).take(8) {
            self.join_model(&officer, model, code, &format!("15/03/{}", LIST_YEAR - 1))
                .await?;
        }
        for (name, position, visits) in [
            (
                "Đặng Văn Lợi",
                "Phó Chủ tịch UBND xã, Phó Trưởng ban",
                vec![(
                    "15/03/2026",
                    "Thôn 2 còn 3 hộ chưa tiếp cận vốn vay; đề nghị Hội Nông dân hướng dẫn hồ sơ",
                )],
            ),
            (
                "Hồ Thị Thu",
                "Chủ tịch Hội Liên hiệp Phụ nữ xã",
                vec![
                    (
                        "20/04/2026",
                        "Kiểm tra sử dụng vốn vay tại 5 hộ: đúng mục đích",
                    ),
                    (
                        "10/08/2026",
                        "2 hộ dự kiến thoát nghèo chưa có việc làm ổn định",
                    ),
                ],
            ),
        ] {
            let member = self
                .assign_steering_member(&officer, commune, year, name, position)
                .await?;
            for (day, findings) in visits {
                self.record_visit(&officer, member, day, findings).await?;
            }
        }
        Ok(())
    }

    /// The demo's loan list and card list: (file name, xlsx bytes).
    pub async fn demo_agency_lists(&self) -> Result<Vec<(String, Vec<u8>)>, RegistryError> {
        let mut people: Vec<ListPerson> = Vec::new();
        for code in LIST_COMMUNES {
            if self.unit_by_code(code).await?.is_none() {
                continue;
            }
            // The commune and the communes merged into it.
            for merged in self.communes_within(&Actor::command_line(), code).await? {
                let mut found: Vec<ListPerson> = sqlx::query_as(
                    "SELECT h.code AS household_code, m.full_name, m.birth_date, m.id_number, m.relation, a.status \
                     FROM households h JOIN members m ON m.household_id = h.id AND m.removed_on IS NULL \
                     JOIN assessments a ON a.household_id = h.id AND a.official = 1 AND a.year = $2 \
                     WHERE h.commune_id = $1 AND h.removed_on IS NULL AND a.status IN ('poor', 'near_poor') \
                     ORDER BY h.code, m.id",
                )
                .bind(merged)
                .bind(LIST_YEAR)
                .fetch_all(&self.db.pool)
                .await?;
                people.append(&mut found);
            }
        }
        let heads: Vec<&ListPerson> = people
            .iter()
            .filter(|p| p.relation == "Chủ hộ" || p.relation.eq_ignore_ascii_case("chu ho"))
            .collect();
        let mut loans = Vec::new();
        let programmes = [
            ("Cho vay hộ nghèo", "Chăn nuôi bò", 50_000_000, 60),
            ("Cho vay hộ cận nghèo", "Trồng rau màu", 40_000_000, 36),
            (
                "Cho vay giải quyết việc làm",
                "Mở tiệm sửa xe",
                60_000_000,
                48,
            ),
        ];
        let entrusted = [
            "Hội Nông dân",
            "Hội Liên hiệp Phụ nữ",
            "Hội Cựu chiến binh",
            "Đoàn Thanh niên",
        ];
        for (i, head) in heads.iter().step_by(3).take(24).enumerate() {
            let (programme, purpose, amount, term) = programmes[i % programmes.len()];
            // Most rows carry the CCCD; some only the household code; some
            // neither (name and birth date), as the bank's sheets do.
            let (id, code) = match i % 6 {
                4 => (String::new(), head.household_code.clone()),
                5 => (String::new(), String::new()),
                _ => (head.id_number.clone().unwrap_or_default(), String::new()),
            };
            let overdue = if i % 7 == 3 { 5_000_000 } else { 0 };
            loans.push(vec![
                Cell::Number(i as i64 + 1),
                Cell::text(&head.full_name),
                Cell::text(head.birth_date.as_deref().map(dmy).unwrap_or_default()),
                Cell::text(id),
                Cell::text(code),
                Cell::text(programme),
                Cell::text(purpose),
                Cell::Number(amount),
                Cell::text(format!("{:02}/{:02}/{LIST_YEAR}", 5 + i % 20, 3 + i % 6)),
                Cell::Number(term),
                Cell::Number(amount - 5_000_000 * (i as i64 % 3)),
                Cell::Number(overdue),
                Cell::text(entrusted[i % entrusted.len()]),
            ]);
        }
        // Someone the registry does not know.
        loans.push(vec![
            Cell::Number(loans.len() as i64 + 1),
            Cell::text("Trần Văn Không Có"),
            Cell::text("01/01/1980"),
            Cell::text(""),
            Cell::text(""),
            Cell::text("Cho vay hộ nghèo"),
            Cell::text("Chăn nuôi"),
            Cell::Number(30_000_000),
            Cell::text(format!("12/04/{LIST_YEAR}")),
            Cell::Number(36),
            Cell::Number(30_000_000),
            Cell::Number(0),
            Cell::text("Hội Nông dân"),
        ]);
        let loan_columns = [
            ("STT", Kind::Count),
            ("Họ và tên người vay", Kind::Text),
            ("Ngày sinh", Kind::Text),
            ("Số CCCD", Kind::Text),
            ("Mã hộ", Kind::Text),
            ("Chương trình cho vay", Kind::Text),
            ("Mục đích sử dụng vốn", Kind::Text),
            ("Số tiền vay", Kind::Vnd),
            ("Ngày giải ngân", Kind::Text),
            ("Thời hạn (tháng)", Kind::Count),
            ("Dư nợ", Kind::Vnd),
            ("Nợ quá hạn", Kind::Vnd),
            ("Tổ chức hội nhận ủy thác", Kind::Text),
        ];
        let mut cards = Vec::new();
        for (i, p) in people.iter().step_by(2).take(80).enumerate() {
            let (id, code) = match i % 8 {
                6 => (String::new(), p.household_code.clone()),
                7 => (String::new(), String::new()),
                _ => (p.id_number.clone().unwrap_or_default(), String::new()),
            };
            let paid_by = if p.status == "poor" {
                "Ngân sách nhà nước đóng 100%"
            } else {
                "Ngân sách hỗ trợ 70%, hộ đóng 30%"
            };
            cards.push(vec![
                Cell::Number(i as i64 + 1),
                Cell::text(&p.full_name),
                Cell::text(p.birth_date.as_deref().map(dmy).unwrap_or_default()),
                Cell::text(id),
                Cell::text(code),
                Cell::text(format!("HN2424{:09}", 100_000 + i)),
                Cell::text(format!("01/01/{LIST_YEAR}")),
                Cell::text(format!("31/12/{LIST_YEAR}")),
                Cell::text(paid_by),
            ]);
        }
        let card_columns = [
            ("STT", Kind::Count),
            ("Họ và tên", Kind::Text),
            ("Ngày sinh", Kind::Text),
            ("Số CCCD", Kind::Text),
            ("Mã hộ", Kind::Text),
            ("Mã thẻ BHYT", Kind::Text),
            ("Giá trị sử dụng từ ngày", Kind::Text),
            ("Giá trị sử dụng đến ngày", Kind::Text),
            ("Nguồn đóng", Kind::Text),
        ];
        let workbook =
            |title: &str, sheet: &str, columns: &[(&str, Kind)], rows: Vec<Vec<Cell>>| {
                let report = Report {
                    title: title.to_string(),
                    subtitle: format!("Xã Nghi Xuân, xã Tiên Điền — năm {LIST_YEAR}"),
                    sheet: sheet.to_string(),
                    columns: columns.iter().map(|(h, k)| Column::new(*h, *k)).collect(),
                    sections: vec![Section {
                        heading: None,
                        rows,
                        subtotal: None,
                    }],
                    ..Report::default()
                };
                report::xlsx(std::slice::from_ref(&report)).map_err(invalid)
            };
        Ok(vec![
            (
                format!("nhcsxh-cho-vay-{LIST_YEAR}.xlsx"),
                workbook(
                    "DANH SÁCH HỘ VAY VỐN NGÂN HÀNG CHÍNH SÁCH XÃ HỘI",
                    "Cho vay",
                    &loan_columns,
                    loans,
                )?,
            ),
            (
                format!("bhxh-the-bhyt-{LIST_YEAR}.xlsx"),
                workbook(
                    "DANH SÁCH CẤP THẺ BẢO HIỂM Y TẾ",
                    "Thẻ BHYT",
                    &card_columns,
                    cards,
                )?,
            ),
        ])
    }
}
