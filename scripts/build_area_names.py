"""Rebuild fixtures/area_names.json: district names in six languages, dong names romanised.

Run by hand only when the area fixtures change; needs ``pip install korean-romanizer``
(not a runtime dependency). District names in zh/ja/mn/vi were written by the project
(Chinese and Japanese use the districts' Hanja names; Mongolian and Vietnamese transliterate).
Dong names get the Revised Romanization from korean-romanizer for en/mn/vi (vi as "Phường
Yeoksam 1", without the "-dong" that would say ward twice), and zh/ja fall back to it too,
because no authoritative Hanja list of the 425 dongs was available.
"""

import json
import re
import sys
from pathlib import Path

from korean_romanizer.romanizer import Romanizer

ROOT = Path(__file__).resolve().parent.parent

DISTRICTS = {
    # code: (en, zh, ja, mn, vi-stem)
    "11110": ("Jongno-gu", "钟路区", "鍾路区", "Жунно дүүрэг", "Jongno"),
    "11140": ("Jung-gu", "中区", "中区", "Жун дүүрэг", "Jung"),
    "11170": ("Yongsan-gu", "龙山区", "龍山区", "Ёнсан дүүрэг", "Yongsan"),
    "11200": ("Seongdong-gu", "城东区", "城東区", "Сондон дүүрэг", "Seongdong"),
    "11215": ("Gwangjin-gu", "广津区", "広津区", "Гуанжин дүүрэг", "Gwangjin"),
    "11230": ("Dongdaemun-gu", "东大门区", "東大門区", "Дундэмүн дүүрэг", "Dongdaemun"),
    "11260": ("Jungnang-gu", "中浪区", "中浪区", "Жуннан дүүрэг", "Jungnang"),
    "11290": ("Seongbuk-gu", "城北区", "城北区", "Сонбүг дүүрэг", "Seongbuk"),
    "11305": ("Gangbuk-gu", "江北区", "江北区", "Ганбүг дүүрэг", "Gangbuk"),
    "11320": ("Dobong-gu", "道峰区", "道峰区", "Добон дүүрэг", "Dobong"),
    "11350": ("Nowon-gu", "芦原区", "蘆原区", "Новон дүүрэг", "Nowon"),
    "11380": ("Eunpyeong-gu", "恩平区", "恩平区", "Үнпён дүүрэг", "Eunpyeong"),
    "11410": ("Seodaemun-gu", "西大门区", "西大門区", "Сөдэмүн дүүрэг", "Seodaemun"),
    "11440": ("Mapo-gu", "麻浦区", "麻浦区", "Мапо дүүрэг", "Mapo"),
    "11470": ("Yangcheon-gu", "阳川区", "陽川区", "Янчон дүүрэг", "Yangcheon"),
    "11500": ("Gangseo-gu", "江西区", "江西区", "Гансо дүүрэг", "Gangseo"),
    "11530": ("Guro-gu", "九老区", "九老区", "Гуро дүүрэг", "Guro"),
    "11545": ("Geumcheon-gu", "衿川区", "衿川区", "Гүмчон дүүрэг", "Geumcheon"),
    "11560": ("Yeongdeungpo-gu", "永登浦区", "永登浦区", "Ёндүнпо дүүрэг", "Yeongdeungpo"),
    "11590": ("Dongjak-gu", "铜雀区", "銅雀区", "Донжаг дүүрэг", "Dongjak"),
    "11620": ("Gwanak-gu", "冠岳区", "冠岳区", "Гуанаг дүүрэг", "Gwanak"),
    "11650": ("Seocho-gu", "瑞草区", "瑞草区", "Сочо дүүрэг", "Seocho"),
    "11680": ("Gangnam-gu", "江南区", "江南区", "Ганнам дүүрэг", "Gangnam"),
    "11710": ("Songpa-gu", "松坡区", "松坡区", "Сонпа дүүрэг", "Songpa"),
    "11740": ("Gangdong-gu", "江东区", "江東区", "Гандон дүүрэг", "Gangdong"),
}


def romanise_dong(korean: str) -> str:
    """'역삼1동' -> 'Yeoksam 1-dong', '상일제1동' -> 'Sangil 1-dong', '사직동' -> 'Sajik-dong'."""
    stem = korean[:-1] if korean.endswith("동") else korean
    match = re.match(r"^(.*?)(제)?([0-9][0-9.·,]*가?)$", stem)
    if match:
        base, _, number = match.groups()
        number = number.replace("가", "ga")
        return f"{Romanizer(base).romanize().capitalize()} {number}-dong"
    return f"{Romanizer(stem).romanize().capitalize()}-dong"


def main() -> int:
    dongs = json.loads((ROOT / "fixtures/seoul_dong.geojson").read_text(encoding="utf-8"))
    districts = json.loads((ROOT / "fixtures/seoul_gu.geojson").read_text(encoding="utf-8"))
    out = {"districts": {}, "dongs": {}}
    for feature in districts["features"]:
        props = feature["properties"]
        en, zh, ja, mn, vi = DISTRICTS[props["SIG_CD"]]
        out["districts"][props["SIG_CD"]] = {
            "ko": props["SIG_KOR_NM"], "en": en, "zh": zh, "ja": ja, "mn": mn,
            "vi": f"Quận {vi}",
        }
    for feature in dongs["features"]:
        props = feature["properties"]
        korean = props["adm_nm"].split()[-1]
        latin = romanise_dong(korean)
        out["dongs"][props["adm_cd2"]] = {
            "ko": korean, "en": latin, "zh": latin, "ja": latin, "mn": latin,
            # "Phường" already says ward: "Phường Yeoksam 1", not "Phường Yeoksam 1-dong".
            "vi": f"Phường {latin.removesuffix('-dong')}",
        }
    out["districts"] = dict(sorted(out["districts"].items()))
    out["dongs"] = dict(sorted(out["dongs"].items()))
    target = ROOT / "fixtures/area_names.json"
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(out['districts'])} districts and {len(out['dongs'])} dongs to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
