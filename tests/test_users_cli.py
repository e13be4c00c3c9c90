"""`flask users import FILE.csv` (docs/team.md): the whole file is checked first, errors per line in the chosen
language, nothing written when a line fails."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Grid, User

HEADER = "email,name,password,role,region,grid,skill_level,tags\n"
STRONG = "Binjiang-2026-go"


def write(tmp_path, text: str, name: str = "team.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_import_creates_and_updates_users(app, runner, tmp_path, auth):
    """Does a file create new users (tags split by | or ;) and update an existing one by email, counting both?"""
    path = write(tmp_path, HEADER
                 + f"wu.lei@demo.battlemap,吴磊,{STRONG},rep,shanghai,sh-pudong,junior,医疗器械|新人\n"
                 + f"qian.hz@demo.battlemap,钱佳,{STRONG},rep,hangzhou,,senior,零售药房;KA谈判\n"
                 + "REP2@demo.battlemap,张晓雯,,rep,shanghai,sh-pudong,intermediate,医疗器械\n")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code == 0, result.output
    assert "新增 2，更新 1，未变 0" in result.output
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        pudong = db.session.scalar(select(Grid).where(Grid.key == "sh-pudong"))
        assert users["wu.lei@demo.battlemap"].tags == ["医疗器械", "新人"]
        assert users["wu.lei@demo.battlemap"].grid_id == pudong.id
        assert users["qian.hz@demo.battlemap"].tags == ["零售药房", "KA谈判"]
        assert users["qian.hz@demo.battlemap"].region.key == "hangzhou"
        rep2 = users["rep2@demo.battlemap"]
        assert (rep2.skill_level, rep2.grid_id) == ("intermediate", pudong.id)
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "users.imported")).one().detail == {
            "created": 2, "updated": 1, "unchanged": 0}
    assert auth.login("wu.lei@demo.battlemap", STRONG).status_code == 200
    assert auth.login("rep2@demo.battlemap").status_code == 200, "an empty password keeps the old one"
    again = runner.invoke(args=["users", "import", path, "--locale", "en"])
    assert "0 created, 0 updated, 3 unchanged" in again.output


def test_a_broken_line_imports_nothing_and_every_problem_names_its_line(app, runner, tmp_path):
    """One good line and five broken ones: are all problems listed with line numbers in Chinese, nothing
    written?"""
    before = user_count(app)
    path = write(tmp_path, HEADER
                 + f"ok@demo.battlemap,好人,{STRONG},rep,shanghai,,,\n"
                 + f"bad-email,坏邮箱,{STRONG},rep,shanghai,,,\n"
                 + "weak@demo.battlemap,弱密码,password123,rep,shanghai,,,\n"
                 + f"grid@demo.battlemap,错网格,{STRONG},rep,hangzhou,sh-xuhui,,\n"
                 + f"role@demo.battlemap,错角色,{STRONG},boss,mars,,wizard,\n"
                 + f"ok@demo.battlemap,重复,{STRONG},rep,shanghai,,,\n")
    result = runner.invoke(args=["users", "import", path])
    assert result.exit_code != 0
    out = result.output
    assert "第 3 行 email：不是有效的邮箱地址" in out
    assert "第 4 行 password：密码太弱：这是常见密码" in out
    assert "第 5 行 grid：网格 sh-xuhui 不属于大区 hangzhou" in out
    assert "第 6 行 role：应为 rep、guide、manager、admin 之一" in out
    assert "第 6 行 region：未知的大区 mars；可选：hangzhou、shanghai" in out
    assert "第 6 行 skill_level：" in out
    assert "第 7 行 email：邮箱 ok@demo.battlemap 在文件中重复（第 2 行已有）" in out
    assert "第 2 行" not in out.replace("（第 2 行已有）", "")
    assert "共 7 处错误，未导入任何内容。" in out
    assert user_count(app) == before


def test_problems_speak_english_when_asked(runner, tmp_path):
    path = write(tmp_path, HEADER + "new@demo.battlemap,新人,abc,rep,shanghai,,,\n")
    result = runner.invoke(args=["users", "import", path, "--locale", "en"])
    assert result.exit_code != 0
    assert "Line 2, password: the password is too weak: at least 10 characters, not all of one kind" in result.output
    assert "1 problems; nothing was imported." in result.output


def test_file_level_problems(runner, tmp_path):
    """Unknown and missing columns, an empty file: named as problems of the file."""
    result = runner.invoke(args=["users", "import", write(tmp_path, "email,nickname\nx@demo.battlemap,x\n")])
    assert result.exit_code != 0
    assert "文件：未知的列 nickname" in result.output and "文件：缺少列 name、role" in result.output
    empty = runner.invoke(args=["users", "import", write(tmp_path, HEADER, "empty.csv")])
    assert empty.exit_code != 0 and "文件：文件里没有用户" in empty.output


def test_a_new_user_needs_a_password_and_a_region(runner, tmp_path, app):
    path = write(tmp_path, HEADER + "nopass@demo.battlemap,无密码,,rep,shanghai,,,\n"
                 + f"noregion@demo.battlemap,无大区,{STRONG},rep,,,,\n"
                 + f"admin2@demo.battlemap,管理员二,{STRONG},admin,,,,\n")
    result = runner.invoke(args=["users", "import", path])
    assert "第 2 行 password：新用户必须填写密码" in result.output
    assert "第 3 行 region：除管理员外必须填写大区" in result.output
    assert "第 4 行" not in result.output, "an admin needs no region"


def test_a_long_file_shows_a_progress_bar(runner, tmp_path, app):
    """Does a file of 250 users import with a progress bar and the counts? (Existing users without a password
    column value: no password hashing, so the test stays quick.)"""
    with app.app_context():
        password_hash = db.session.scalar(select(User.password_hash).limit(1))
        db.session.add_all([User(email=f"bulk{i}@demo.battlemap", name=f"批量{i}", role="rep",
                                 password_hash=password_hash) for i in range(250)])
        db.session.commit()
    lines = "".join(f"bulk{i}@demo.battlemap,批量{i},,rep,hangzhou,,junior,新人\n" for i in range(250))
    result = runner.invoke(args=["users", "import", write(tmp_path, HEADER + lines)])
    assert result.exit_code == 0, result.output
    assert "正在导入用户" in result.output and "更新 250" in result.output
    with app.app_context():
        assert set(db.session.scalars(select(User.skill_level).where(User.email.like("bulk%")))) == {"junior"}
