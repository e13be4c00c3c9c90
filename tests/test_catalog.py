"""``flask catalog import|export``: round trips, whole-file validation in the user's language, the counter."""

import csv
import io

import yaml
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Product, User
from app.services import catalog as catalog_service
from app.services import solutions
from tests.conftest import make_config

NEW_ROW = ("HH-BP-U70,臂式血压计 U70（测试）,device,home_health,retail,standard,499,1,家用;高血压,,pharmacy,,,血压计,,"
           "U70 血压计整机|warranty|5|年|U70 血压计整机保修 5 年")
HEADER = ("sku,name,kind,category,channel,tier,price_cny,delivery_days,needs,fits_categories,counter_types,"
          "requires_any,excludes,slot,max_qty,promises")


def products(app) -> dict[str, dict]:
    with app.app_context():
        return {p.sku: catalog_service.product_row(p) for p in db.session.scalars(select(Product))}


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Product))


def export(runner, tmp_path, fmt: str):
    path = tmp_path / f"catalog.{fmt}"
    result = runner.invoke(args=["catalog", "export", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_the_demo_has_a_retail_counter_catalog_with_promises_that_say_what_they_cover(app):
    """Can a guide at a KA counter or a pharmacy sell home health products, each promise naming its object?"""
    rows = products(app)
    retail = [r for r in rows.values() if r["channel"] == "retail"]
    assert len(retail) >= 25
    assert all(99 <= r["price_cny"] <= 8_000 for r in retail)
    assert {r["tier"] for r in retail} == {"economy", "standard", "premium"}
    assert {"ka_supermarket_counter", "pharmacy"} <= {c for r in retail for c in r.get("counter_types", [])}
    strips = rows["HH-BG-STRIP50"]
    assert strips["kind"] == "consumable" and strips["requires_any"] == ["HH-BG-G10", "HH-BG-G30"]
    assert any(p["text"] == "U30 血压计整机保修 5 年" and p["covers"] == "U30 血压计整机" and p["value"] == 5
               for p in rows["HH-BP-U30"]["promises"])
    assert rows["MD-US-H3"]["slot"] == "超声主机" and rows["MD-US-H3"]["max_qty"] == 6
    assert rows["MD-US-PRB-C5"]["kind"] == "accessory" and rows["MD-US-PRB-C5"]["requires_any"]
    with app.app_context():
        guide = db.session.scalar(select(User).where(User.email == "guide@demo.battlemap"))
        assert guide.counter_type == "ka_supermarket_counter"


def test_export_then_import_yaml_changes_nothing(app, runner, tmp_path):
    """Does a YAML export read back unchanged, in the shape of products.yaml?"""
    before = products(app)
    path = export(runner, tmp_path, "yaml")
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert {r["sku"] for r in rows} == set(before)
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"已读取 {len(before)} 个产品：新增 0，更新 0，未变 {len(before)}。" in result.output
    assert products(app) == before


def test_export_then_import_csv_changes_nothing_and_edits_apply(app, runner, tmp_path):
    """Does a CSV round trip keep every field (lists, promises), and does an edited cell update one product?"""
    before = products(app)
    path = export(runner, tmp_path, "csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert f"Read {len(before)} products: 0 created, 0 updated, {len(before)} unchanged." in result.output
    assert products(app) == before

    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["sku"] == "HH-BP-U30":
            row["price_cny"] = "219"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER.split(","), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue() + NEW_ROW + "\n", encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 1，更新 1" in result.output
    after = products(app)
    assert after["HH-BP-U30"]["price_cny"] == 219
    assert after["HH-BP-U70"]["promises"] == [{"covers": "U70 血压计整机", "kind": "warranty", "value": 5,
                                               "unit": "年", "text": "U70 血压计整机保修 5 年"}]
    assert after["HH-BP-U70"]["counter_types"] == ["pharmacy"] and after["HH-BP-U70"]["slot"] == "血压计"


BAD_CSV = "\n".join([
    HEADER,
    "HH-X-1,好产品,device,home_health,retail,standard,100,1,家用,,,,,,,",
    "HH-X-2,坏产品,gadget,home_health,retail,standard,100,1,家用,,,,,,,",
    "HH-X-3,探头,accessory,home_health,retail,gold,-5,1,家用,,,HH-NOPE,,,,",
    "HH-X-1,重复,device,home_health,retail,economy,100,1,家用,,moon_counter,,,,,x|warranty|3||保 3 年",
]) + "\n"


def test_a_broken_csv_names_every_line_and_the_valid_values_and_imports_nothing(app, runner, tmp_path):
    """One bad line and nothing is written; each problem names its line, its field and what is allowed."""
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    before = count(app)
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code != 0
    out = result.output
    assert "第 3 行 kind：应为 device、accessory、consumable、software、service 之一" in out
    assert "第 4 行 tier：应为 economy、standard、premium 之一" in out
    assert "第 4 行 price_cny：应为不小于 0 的整数" in out
    assert "第 4 行 requires_any：引用了不存在的 SKU：HH-NOPE" in out
    assert "第 5 行 sku：SKU HH-X-1 在文件中重复（第 2 行已有）" in out
    assert ("第 5 行 counter_types：未知的专柜类型 moon_counter；可选：device_store、ka_supermarket_counter、pharmacy"
            in out)
    assert "第 5 行 promises[0].unit：应为 年、月、天、小时、次、% 之一" in out
    assert "未导入任何内容" in out
    assert count(app) == before
    assert "HH-X-1" not in products(app), "the good line is not written either"


def test_errors_speak_english_with_lang_en(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    out = runner.invoke(args=["catalog", "import", "--lang", "en", str(path)]).output
    assert "Line 3, kind: must be one of device, accessory, consumable, software, service" in out
    assert "Line 4, requires_any: names SKUs that do not exist: HH-NOPE" in out
    assert "nothing was imported" in out
    assert "第" not in out


def test_a_broken_yaml_names_the_line_each_product_starts_on(app, runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "# 一行注释\n"
        "- {sku: HH-Y-1, name: 甲, kind: device, category: home_health, channel: retail, tier: economy,\n"
        "   price_cny: 100, delivery_days: 1, excludes: [HH-Y-9]}\n"
        "- sku: HH-Y-2\n"
        "  name: 乙\n"
        "  kind: device\n"
        "  category: home_health\n"
        "  tier: economy\n"
        "  price_cny: 100\n"
        "  promises: [{covers: 乙整机, kind: forever, text: 乙整机保修}]\n",
        encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code != 0
    assert "第 2 行 excludes：引用了不存在的 SKU：HH-Y-9" in result.output
    assert "第 4 行 delivery_days：必填" in result.output
    assert "第 4 行 promises[0].kind：应为 warranty、response、onsite、uptime、training、delivery、other 之一" \
        in result.output


def test_an_unknown_column_lists_the_columns(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("sku,colour\nA,red\n", encoding="utf-8")
    out = runner.invoke(args=["catalog", "import", str(path)]).output
    assert "第 1 行 colour：未知的字段；可用字段：sku、name、kind" in out


def test_a_requires_any_may_name_a_product_of_the_same_file(app, runner, tmp_path):
    """A new host and its new accessory arrive together: the reference is to the file, not only the database."""
    path = tmp_path / "pair.csv"
    path.write_text("\n".join([
        HEADER,
        "HH-Z-ACC,配件,accessory,home_health,retail,economy,99,1,家用,,,HH-Z-HOST,,,,",
        "HH-Z-HOST,主机,device,home_health,retail,economy,199,1,家用,,,,,,,",
    ]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert products(app)["HH-Z-ACC"]["requires_any"] == ["HH-Z-HOST"]


def test_an_import_reaches_another_process_through_the_counter(app, runner, tmp_path):
    """Does a second app on the same database (another process) compare with the imported product at once?"""
    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    with other.app_context():
        assert "HH-BP-U70" not in {p.sku for p in solutions.catalog().catalog.products}  # its cache is warm now
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "\n" + NEW_ROW + "\n", encoding="utf-8")
    with app.app_context():
        version = catalog_service.versions.current(catalog_service.CATALOG)
    assert runner.invoke(args=["catalog", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert catalog_service.versions.current(catalog_service.CATALOG) == version + 1
    with other.app_context():
        assert "HH-BP-U70" in {p.sku for p in solutions.catalog().catalog.products}
        db.session.remove()
        db.engine.dispose()


def test_an_unchanged_import_does_not_bump_the_counter(app, runner, tmp_path):
    path = export(runner, tmp_path, "yaml")
    with app.app_context():
        version = catalog_service.versions.current(catalog_service.CATALOG)
    assert runner.invoke(args=["catalog", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert catalog_service.versions.current(catalog_service.CATALOG) == version


def test_export_to_stdout_is_yaml_and_csv_by_format(runner):
    assert runner.invoke(args=["catalog", "export"]).output.startswith("- sku: ")
    assert runner.invoke(args=["catalog", "export", "--format", "csv"]).output.splitlines()[0] == HEADER


def test_a_long_file_shows_progress(app, runner, tmp_path):
    lines = [HEADER] + [f"HH-P-{i:03},产品 {i},device,home_health,retail,economy,{100 + i},1,家用,,,,,,,"
                        for i in range(250)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "正在导入产品" in result.output and "新增 250" in result.output
