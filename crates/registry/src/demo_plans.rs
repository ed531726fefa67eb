//! The demo's plans (issue 12): Nghi Xuân district's plan No. 35/KH-UBND
//! of 21/03/2019 with the targets DESIGN.md lists, the support its
//! agencies delivered in 2019–2020 and their tasks; and the 2026 plan of
//! Xã Nghi Xuân, a commune of the two-tier government since 1 July 2025.

use crate::deliveries::NewDelivery;
use crate::error::RegistryError;
use crate::gate::{Actor, Role};
use crate::plans::{NewPlan, NewTarget};
use crate::service::Registry;
use crate::tasks::NewTask;
use crate::values::HouseholdId;

/// The demo's district plan: its number, for pages and tests.
pub const DEMO_PLAN_2019: &str = "35/KH-UBND";

/// A target of the demo: title, shape, value, policies, standings,
/// commune, excluding.
type DemoTarget<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a [&'a str],
    &'a [&'a str],
    &'a str,
    bool,
);

impl Registry {
    async fn officer_of(&self, name: &str, code: &str) -> Result<Option<Actor>, RegistryError> {
        Ok(self.unit_by_code(code).await?.map(|u| Actor {
            name: name.into(),
            role: Role::Officer,
            unit_id: Some(u.id),
            agency: None,
        }))
    }

    async fn demo_plan(
        &self,
        officer: &Actor,
        plan: NewPlan,
        targets: &[DemoTarget<'_>],
        policies: &support::Catalogue,
    ) -> Result<Vec<i64>, RegistryError> {
        let id = self.add_plan(officer, &plan).await?;
        let mut ids = Vec::new();
        for (title, shape, value, chosen, standings, commune, excluding) in targets {
            ids.push(
                self.add_target(
                    officer,
                    id,
                    &NewTarget {
                        title: title.to_string(),
                        shape: shape.to_string(),
                        value: value.to_string(),
                        policies: chosen.iter().map(|p| p.to_string()).collect(),
                        standings: standings.iter().map(|s| s.to_string()).collect(),
                        commune: commune.to_string(),
                        excluding: *excluding,
                    },
                    policies,
                )
                .await?,
            );
        }
        Ok(ids)
    }

    /// The demo's plans, targets, tasks and the support behind them.
    pub(crate) async fn seed_demo_plans(
        &self,
        policies: &support::Catalogue,
    ) -> Result<(), RegistryError> {
        let Some(district) = self.officer_of("huyen.nghixuan", "436").await? else {
            return Ok(());
        };
        let targets = self
            .demo_plan(
                &district,
                NewPlan {
                    unit_code: "436".into(),
                    number: DEMO_PLAN_2019.into(),
                    issued_on: "21/03/2019".into(),
                    title: "Kế hoạch thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững năm 2019 và giai đoạn 2019–2020".into(),
                    from_year: "2019".into(),
                    to_year: "2020".into(),
                    legal_bases: "Quyết định số 1722/QĐ-TTg ngày 02/9/2016 của Thủ tướng Chính phủ phê duyệt Chương trình mục tiêu quốc gia giảm nghèo bền vững giai đoạn 2016–2020; Quyết định số 59/2015/QĐ-TTg về chuẩn nghèo tiếp cận đa chiều; kế hoạch giảm nghèo của UBND tỉnh Hà Tĩnh".into(),
                },
                &[
                    ("Giảm tỷ lệ hộ nghèo đa chiều bình quân 0,5 điểm phần trăm mỗi năm", "poor_rate_drop", "0,5", &[], &[], "", false),
                    ("Các xã có tỷ lệ hộ nghèo dưới 2,5 % theo tiêu chí nông thôn mới nâng cao (không tính hộ bảo trợ xã hội, hộ nghèo do tai nạn rủi ro, bệnh hiểm nghèo)", "poor_rate_below", "2,5", &[], &[], "", true),
                    ("Xây dựng thị trấn Xuân An không còn hộ nghèo", "no_poor", "", &[], &[], "18631", false),
                    ("Giải quyết việc làm cho 4.000 lao động", "served", "4.000", &["job_placement", "labour_export"], &[], "", false),
                    ("Đưa 1.200 lao động đi làm việc ở nước ngoài theo hợp đồng", "served", "1.200", &["labour_export"], &[], "", false),
                    ("100 % hộ nghèo, hộ cận nghèo, hộ mới thoát nghèo được tiếp cận tín dụng ưu đãi", "share_served", "100", &["preferential_credit"], &["poor", "near_poor", "escaped"], "", false),
                    ("100 % người nghèo được cấp thẻ bảo hiểm y tế", "share_served", "100", &["health_insurance_card"], &["poor"], "", false),
                ],
                policies,
            )
            .await?;
        self.demo_plan_support(&district, policies).await?;
        for (title, agency, cooperating, due, target, progress) in [
            (
                "Rà soát, cho vay vốn hộ nghèo, cận nghèo, mới thoát nghèo",
                "policy_bank",
                &["fatherland_front"][..],
                "30/06/2019",
                Some(5),
                Some(100),
            ),
            (
                "Mua, cấp thẻ BHYT cho người nghèo năm 2020",
                "social_insurance",
                &["health"][..],
                "31/01/2020",
                Some(6),
                Some(100),
            ),
            (
                "Tổ chức sàn giao dịch việc làm, tư vấn xuất khẩu lao động",
                "labour",
                &["vocational"][..],
                "31/10/2020",
                Some(3),
                Some(60),
            ),
            (
                "Hỗ trợ thị trấn Xuân An xoá hộ nghèo cuối cùng",
                "economy",
                &["labour", "fatherland_front"][..],
                "30/11/2020",
                Some(2),
                None,
            ),
            (
                "Trợ giúp pháp lý miễn phí tại các xã",
                "justice",
                &[][..],
                "31/12/2026",
                None,
                Some(40),
            ),
        ] {
            let task = self
                .add_task(
                    &district,
                    &NewTask {
                        unit_code: "436".into(),
                        title: title.into(),
                        agency: agency.into(),
                        cooperating: cooperating.iter().map(|c| c.to_string()).collect(),
                        due_on: due.into(),
                        target: target.map(|i: usize| targets[i]),
                    },
                    policies,
                )
                .await?;
            if let Some(progress) = progress {
                self.report_task(
                    &district,
                    task,
                    &progress.to_string(),
                    "Báo cáo của cơ quan",
                    None,
                )
                .await?;
            }
        }

        let Some(commune) = self.officer_of("xa.nghixuan", "90001").await? else {
            return Ok(());
        };
        let targets = self
            .demo_plan(
                &commune,
                NewPlan {
                    unit_code: "90001".into(),
                    number: "08/KH-UBND".into(),
                    issued_on: "20/01/2026".into(),
                    title: "Kế hoạch giảm nghèo bền vững xã Nghi Xuân năm 2026".into(),
                    from_year: "2026".into(),
                    to_year: "2026".into(),
                    legal_bases: "Nghị quyết số 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh; Nghị định số 07/2021/NĐ-CP quy định chuẩn nghèo đa chiều; kế hoạch giảm nghèo của UBND tỉnh Hà Tĩnh năm 2026".into(),
                },
                &[
                    ("Giảm tỷ lệ hộ nghèo ít nhất 1 điểm phần trăm", "poor_rate_drop", "1", &[], &[], "", false),
                    ("Tỷ lệ hộ nghèo dưới 3 %", "poor_rate_below", "3", &[], &[], "", false),
                    ("100 % hộ nghèo, hộ cận nghèo có nhu cầu được vay vốn ưu đãi", "share_served", "100", &["preferential_credit"], &["poor", "near_poor"], "", false),
                    ("100 % người nghèo có thẻ bảo hiểm y tế", "share_served", "100", &["health_insurance_card"], &["poor"], "", false),
                    ("Hỗ trợ phát triển sản xuất cho ít nhất 30 hộ", "served", "30", &["production_support"], &[], "", false),
                ],
                policies,
            )
            .await?;
        self.add_task(
            &commune,
            &NewTask {
                unit_code: "90001".into(),
                title: "Lập danh sách người nghèo chưa có thẻ BHYT gửi Bảo hiểm xã hội".into(),
                agency: "social_insurance".into(),
                cooperating: vec!["commune".into()],
                due_on: "31/03/2026".into(),
                target: Some(targets[3]),
            },
            policies,
        )
        .await?;
        Ok(())
    }

    /// What the district's agencies delivered in 2019–2020: credit to most
    /// poor, near-poor households, cards to most poor people, jobs and
    /// labour export for some of their workers.
    async fn demo_plan_support(
        &self,
        district: &Actor,
        policies: &support::Catalogue,
    ) -> Result<(), RegistryError> {
        let communes = self.communes_within(district, "436").await?;
        let list = communes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        for year in [2019i64, 2020] {
            let sql = format!(
                "SELECT h.id, a.status FROM households h JOIN assessments a ON a.household_id = h.id AND a.official = 1 AND a.year = $1 \
                 WHERE a.status IN ('poor', 'near_poor') AND h.commune_id IN ({list}) ORDER BY h.code"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            let households: Vec<(HouseholdId, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(year)
                .fetch_all(&self.db.pool)
                .await?;
            for (i, (id, status)) in households.iter().enumerate() {
                let deliver =
                    |policy: &str, member, day: String, details: &[(&str, &str)]| NewDelivery {
                        policy: policy.into(),
                        member_id: member,
                        delivered_on: day,
                        amount: String::new(),
                        details: details
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    };
                if year == 2019 && i % 4 != 3 {
                    let mut credit = deliver(
                        "preferential_credit",
                        None,
                        format!("{:02}/05/2019", 2 + i % 27),
                        &[
                            (
                                "programme",
                                if status == "poor" {
                                    "Cho vay hộ nghèo"
                                } else {
                                    "Cho vay hộ cận nghèo"
                                },
                            ),
                            ("term_months", "36"),
                            ("outstanding", "0"),
                            ("entrusted_to", "Hội Nông dân"),
                        ],
                    );
                    credit.amount = "30.000.000".into();
                    self.record_delivery(district, *id, policies, &credit)
                        .await?;
                }
                let members: Vec<(crate::values::MemberId, Option<String>)> = sqlx::query_as(
                    "SELECT id, birth_date FROM members WHERE household_id = $1 AND removed_on IS NULL ORDER BY id",
                )
                .bind(*id)
                .fetch_all(&self.db.pool)
                .await?;
                if year == 2020 && status == "poor" && i % 10 != 9 {
                    for (k, (member, _)) in members.iter().enumerate() {
                        let card = format!("HN44242{:08}", 1000 * i + k);
                        self.record_delivery(
                            district,
                            *id,
                            policies,
                            &deliver(
                                "health_insurance_card",
                                Some(*member),
                                "02/01/2020".into(),
                                &[("card_number", &card), ("paid_by", "Ngân sách nhà nước")],
                            ),
                        )
                        .await?;
                    }
                }
                let worker = members.iter().find(|(_, birth)| {
                    birth
                        .as_deref()
                        .and_then(|b| b.get(..4)?.parse::<i64>().ok())
                        .is_some_and(|born| (20..45).contains(&(year - born)))
                });
                if let Some((member, _)) = worker {
                    if i % 3 == 0 {
                        self.record_delivery(
                            district,
                            *id,
                            policies,
                            &deliver(
                                "job_placement",
                                Some(*member),
                                format!("{:02}/06/{year}", 1 + i % 28),
                                &[("employer", "Khu kinh tế Vũng Áng")],
                            ),
                        )
                        .await?;
                    } else if i % 7 == 1 {
                        self.record_delivery(
                            district,
                            *id,
                            policies,
                            &deliver(
                                "labour_export",
                                Some(*member),
                                format!("{:02}/07/{year}", 1 + i % 28),
                                &[("country", "Nhật Bản")],
                            ),
                        )
                        .await?;
                    }
                }
            }
        }
        Ok(())
    }
}
