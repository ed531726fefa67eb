"""Shared by the benchmark scripts: the vn-2022-2025 indicators (all weights 1/12,
k = 3/12, poverty line 1,500,000 rural / 2,000,000 urban)."""
INDICATORS = [
    "employment", "dependents", "nutrition", "health_insurance", "adult_education", "child_schooling",
    "housing_quality", "housing_area", "water", "latrine", "telecom", "information",
]


def output_columns():
    cols = ["group", "households", "weight_sum", "poor", "near_poor", "poor_rate", "near_poor_rate",
            "H", "A", "M0", "vulnerable", "severe", "se_H", "se_A", "se_M0"]
    for prefix in ("censored", "uncensored", "contribution"):
        cols += [f"{prefix}_{c}" for c in INDICATORS]
    return cols
