"""Writes a district workbook as communes keep them, for the import benchmark:
    python3 bench/district_workbook.py OUT.xlsx HOUSEHOLDS [FIRST_COMMUNE]

Two sheets, each under title rows with a two-row merged header, a row
numbering the columns and a signature block: "Danh sách hộ" (code, head,
village, commune code, address, phone) and "Thành viên" (household code,
name, sex, birth date, CCCD, relation, ethnicity, flags). Households go
2,000 to a commune with 10 villages, communes numbered from FIRST_COMMUNE
(default 990001, the province demo's first commune, so the units exist after
`giamngheo province-demo`); codes start with "BK" so they never collide with
the demo's own households. Deterministic: the same arguments write the same
file."""
import random
import sys

from openpyxl import Workbook

# Family names the demo does not draw, so the sheet never collides with its people.
FAMILY = ["Khổng", "Quách", "Mạc", "Triệu", "Lương", "Kiều", "Thân", "Tôn", "Văn", "Lạc", "Giáp", "Âu"]
MIDDLE_M = ["Văn", "Đức", "Hữu", "Minh", "Quang"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Sơn", "Tuấn"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Thảo", "Yến"]


def name(rng, female, family=None):
    family = family or rng.choice(FAMILY)
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    return f"{family} {middle} {given}"


def titled(ws, title, groups, labels):
    ws.append(["UBND TỈNH TỔNG HỢP"])
    ws.append([title])
    ws.append([])
    ws.append(groups)
    ws.append(labels)
    ws.append([f"({i + 1})" for i in range(len(labels))])


def main():
    out, households = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 990001
    rng = random.Random(2026)
    wb = Workbook(write_only=True)
    hs = wb.create_sheet("Danh sách hộ")
    ms = wb.create_sheet("Thành viên")
    titled(hs, "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO NĂM 2026",
           ["Mã hộ", "Họ và tên chủ hộ", "Địa chỉ", "", "", "Số điện thoại"],
           ["", "", "Thôn", "Mã xã", "Địa chỉ", ""])
    titled(ms, "DANH SÁCH THÀNH VIÊN HỘ",
           ["Mã hộ", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD", "Quan hệ với chủ hộ",
            "Dân tộc", "Đối tượng", "", ""],
           ["", "", "", "", "", "", "", "Khuyết tật", "Người có công", "BTXH"])
    members = 0
    people = set()  # (name, birth date) of the commune being written: its people are distinct
    for i in range(households):
        commune = first + i // 2000
        if i % 2000 == 0:
            people.clear()
        # Every commune of `province-demo` has at least 8 villages; one in
        # seven is a ward, whose villages are "Tổ dân phố".
        village = 1 + (i // 250) % 8
        kind = "Tổ dân phố" if (commune - 990000) % 7 == 0 else "Thôn"
        code = f"BK{commune}-{i:07d}"
        female_head = rng.random() < 0.3
        head = name(rng, female_head)
        family = head.split()[0]
        hs.append([code, head, f"{kind} {village}", str(commune), f"{kind} {village}, xã {commune}",
                   f"09{rng.randrange(10**8):08d}"])
        size = rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5, 6])
        for k in range(size):
            female = female_head if k == 0 else rng.random() < 0.5
            while True:
                year = rng.randrange(1940, 2005) if k < 2 else rng.randrange(1990, 2025)
                born = f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{year}"
                full = head if k == 0 else name(rng, female, family)
                if (full, born) not in people:
                    people.add((full, born))
                    break
            relation = "Chủ hộ" if k == 0 else ("Vợ/chồng" if k == 1 else "Con")
            ms.append([code, full, "Nữ" if female else "Nam",
                       born, "", relation, "Kinh", "x" if rng.random() < 0.04 else "",
                       "x" if rng.random() < 0.02 else "", "x" if rng.random() < 0.03 else ""])
            members += 1
    for ws in (hs, ms):
        ws.append([])
        ws.append(["", "", "", "NGƯỜI LẬP BIỂU", "", "CHỦ TỊCH UBND"])
    wb.save(out)
    print(f"{out}: {households} households, {members} members", file=sys.stderr)


if __name__ == "__main__":
    main()
