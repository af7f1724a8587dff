"""The CMS side of the demo (manage.py load_demo_pages). Makes a HomePage the root of the default Wagtail
site (replacing Wagtail's "Welcome" placeholder) and adds announcements and the help page. Pages that
exist already, matched by slug, are left as they are, so editors' changes survive a second run."""
from django.db import transaction
from wagtail.models import Page, Site

from academy.home.models import AnnouncementPage, HomePage, StandardPage

SITE_NAME = "儿童福利人才培训认证平台"
DEMO_NOTE = "本页为演示内容，可在内容管理后台（/cms/）修改或删除。"

HOME = {
    "title": SITE_NAME,
    "slug": "home",
    "introduction": (
        "浙江省儿童福利工作队伍的学习与认证平台。儿童主任、儿童督导员、儿童福利机构和未成年人救助保护机构负责人、"
        "孤残儿童护理员在这里参加年度培训、记录学时、报名职业技能等级认定；各级民政部门在这里组织培训、"
        "掌握本辖区的培训覆盖率。"
    ),
    "body": [
        {"type": "heading", "value": {"text": "年度培训全覆盖", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>依据《浙江省儿童福利事业发展“十四五”规划》专栏6，每年对四类人员开展全覆盖培训：</p>"
            "<ul><li>儿童福利机构和未成年人救助保护机构负责人，由省级培训；</li>"
            "<li>乡镇（街道）儿童督导员，由设区市培训；</li>"
            "<li>村（社区）儿童主任，由县（市、区）培训。</li></ul>"
            "<p>线上课程和线下培训班都计入年度学时。</p>"
        )},
        {"type": "heading", "value": {"text": "孤残儿童护理员职业技能等级认定", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>护理员可在线报名五级（初级工）至一级（高级技师）的等级认定，考核通过后获得可扫码查验的"
            "职业技能等级证书。</p>"
        )},
        {"type": "callout", "value": {
            "tone": "tip", "title": "第一次使用？",
            "body": "<p>用本人手机号和短信验证码登录，设置密码后即可开始学习。详见“使用帮助”。</p>",
        }},
    ],
}

ANNOUNCEMENTS = [
    {
        "title": "2026 年度儿童主任全覆盖培训通知",
        "slug": "2026-child-director-training",
        "is_pinned": True,
        "summary": "全省村（社区）儿童主任 2026 年度培训于 3 月开始，11 月 30 日前完成线上学习和县级集中培训。",
        "body": [
            {"type": "paragraph", "value": (
                "<p>各县（市、区）民政局：</p>"
                "<p>为落实儿童主任常态化培训全覆盖要求，现将 2026 年度村（社区）儿童主任培训安排通知如下。</p>"
            )},
            {"type": "heading", "value": {"text": "一、培训对象", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<p>2026 年内在岗的全体村（社区）儿童主任，包括年内新任职人员。年中离任的，按离任前的学习记录统计。</p>"
            )},
            {"type": "heading", "value": {"text": "二、培训内容", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<ul><li>《中华人民共和国民法典》监护相关条款、《中华人民共和国未成年人保护法》；</li>"
                "<li>困境儿童、农村留守儿童、事实无人抚养儿童保障政策；</li>"
                "<li>儿童主任工作职责，入户走访、信息更新与强制报告；</li>"
                "<li>儿童心理健康与安全防护、个案工作方法；</li>"
                "<li>儿童福利信息系统操作。</li></ul>"
            )},
            {"type": "heading", "value": {"text": "三、方式与学时", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<p>线上课程与县级集中培训相结合。每人年度不少于 24 学时，其中县级集中培训不少于 1 天；"
                "新任儿童主任应在到岗后 3 个月内完成岗前课程。</p>"
            )},
            {"type": "heading", "value": {"text": "四、时间安排", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<p>3 月 1 日起开放线上课程；各县（市、区）于 10 月底前完成集中培训；11 月 30 日前完成全部学时。"
                "各级管理员可在平台查看本辖区培训覆盖率，对未完成人员及时督促。</p>"
            )},
            {"type": "callout", "value": {"tone": "info", "title": "", "body": f"<p>{DEMO_NOTE}</p>"}},
        ],
    },
    {
        "title": "孤残儿童护理员职业技能等级认定报名通知",
        "slug": "carer-skill-level-registration",
        "is_pinned": False,
        "summary": "2026 年第四季度孤残儿童护理员职业技能等级认定开始报名，五级至一级均可申报。",
        "body": [
            {"type": "paragraph", "value": (
                "<p>为提升孤残儿童护理员队伍专业化水平，现组织 2026 年第四季度职业技能等级认定，有关事项通知如下。</p>"
            )},
            {"type": "heading", "value": {"text": "一、申报条件", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<ul><li>五级/初级工：从事本职业或相关职业工作满 1 年，培训不少于 180 学时；</li>"
                "<li>四级/中级工：取得五级证书后工作满 4 年，或从事本职业满 6 年，培训不少于 160 学时；</li>"
                "<li>三级/高级工：取得四级证书后工作满 5 年，培训不少于 140 学时；</li>"
                "<li>二级/技师：取得三级证书后工作满 4 年，培训不少于 120 学时；</li>"
                "<li>一级/高级技师：取得二级证书后工作满 4 年，培训不少于 100 学时。</li></ul>"
            )},
            {"type": "heading", "value": {"text": "二、考核方式", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<p>理论知识考试（闭卷）和操作技能考核，均为百分制，60 分及以上为合格；申报二级、一级的还须通过"
                "综合评审。单项不合格的，可在规定期限内补考该项。</p>"
            )},
            {"type": "heading", "value": {"text": "三、报名方式", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<p>登录平台，在“技能等级认定”中在线报名，核对个人信息和培训学时；所在机构审核后，报名生效。"
                "报名时间：12 月 1 日至 12 月 20 日。考核安排另行通知。</p>"
            )},
            {"type": "paragraph", "value": (
                "<p>考核合格的，颁发职业技能等级证书，证书可通过二维码或证书编号在平台公开查验。</p>"
            )},
            {"type": "callout", "value": {"tone": "info", "title": "", "body": f"<p>{DEMO_NOTE}</p>"}},
        ],
    },
    {
        "title": "2026 年度机构负责人培训班开班通知",
        "slug": "2026-institution-head-training",
        "is_pinned": False,
        "summary": "全省儿童福利机构和未成年人救助保护机构负责人培训班 9 月在杭州举办，请按时报到。",
        "body": [
            {"type": "paragraph", "value": (
                "<p>省民政厅定于 9 月举办全省儿童福利机构和未成年人救助保护机构负责人培训班，为期 3 天。</p>"
            )},
            {"type": "heading", "value": {"text": "培训内容", "size": "h3"}},
            {"type": "paragraph", "value": (
                "<ul><li>儿童福利机构转型发展与区域性养育中心建设；</li>"
                "<li>未成年人救助保护机构实体化运行；</li>"
                "<li>机构安全管理、儿童养育康复和专业人员队伍建设；</li>"
                "<li>收养登记与司法保护典型案例。</li></ul>"
            )},
            {"type": "paragraph", "value": (
                "<p>参训人员报到后在平台签到，培训结束后学时自动计入年度培训记录。</p>"
            )},
            {"type": "callout", "value": {"tone": "info", "title": "", "body": f"<p>{DEMO_NOTE}</p>"}},
        ],
    },
]

HELP = {
    "title": "使用帮助",
    "slug": "help",
    "introduction": "登录、学习、报名和管理的常见问题。",
    "body": [
        {"type": "heading", "value": {"text": "如何登录", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>账号由所在地民政部门根据人员名册建立，无需注册。第一次使用时，在登录页选择“短信验证码登录”，"
            "输入名册上的手机号，收到验证码后登录并设置密码。以后用手机号和密码登录即可。</p>"
        )},
        {"type": "heading", "value": {"text": "忘记密码", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>再次用短信验证码登录，然后在“我的账号”中设置新密码。手机号变更的，请联系所在县（市、区）民政局更新名册。</p>"
        )},
        {"type": "heading", "value": {"text": "学习与学时", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>“我的学习”列出本年度需要完成的课程和进度。参加线下培训班时，在现场扫码或在“签到”中签到，"
            "学时自动记入“学习记录”。</p>"
        )},
        {"type": "heading", "value": {"text": "个人信息保护", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>身份证号码加密保存，页面上只显示前 6 位和后 4 位；管理员只能看到本辖区的人员。</p>"
        )},
        {"type": "heading", "value": {"text": "管理员", "size": "h2"}},
        {"type": "paragraph", "value": (
            "<p>省、市、县管理员在“人员”“机构”“区划”中查看和维护本辖区数据，在“名册导入”中下载模板、"
            "上传人员名册（xlsx 或 csv）。导入前会逐行检查，有错误时不会写入任何数据。</p>"
        )},
        {"type": "callout", "value": {"tone": "info", "title": "", "body": f"<p>{DEMO_NOTE}</p>"}},
    ],
}


@transaction.atomic
def pages_load(*, stdout) -> None:
    """The home page as the default site's root, the announcements and the help page; progress to ``stdout``."""
    home = home_page_as_site_root()
    created = []
    for spec in ANNOUNCEMENTS:
        if _child_page_create(home, AnnouncementPage, spec):
            created.append(spec["title"])
    if _child_page_create(home, StandardPage, HELP):
        created.append(HELP["title"])
    stdout.write(
        f"Pages: {home.title} is the site root; {len(created)} pages created"
        + (f" ({'、'.join(created)})" if created else "")
    )


def home_page_as_site_root() -> HomePage:
    """The HomePage, created under the tree root if missing and made the default site's root page. Wagtail's
    placeholder "Welcome" page is deleted once nothing points to it."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    placeholders = [page for page in root.get_children().specific() if type(page) is Page]
    if home is None:
        # The placeholder holds the slug "home" under the root; free it before creating the home page.
        for page in placeholders:
            Page.objects.filter(pk=page.pk).update(slug=f"{page.slug}-{page.pk}")
        home = root.add_child(instance=HomePage(
            title=HOME["title"], slug=HOME["slug"], introduction=HOME["introduction"], body=HOME["body"],
        ))
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=SITE_NAME)
    elif site.root_page_id != home.pk or not site.site_name:
        site.root_page = home
        site.site_name = site.site_name or SITE_NAME
        site.save()
    for page in placeholders:
        if not Site.objects.filter(root_page=page).exists():
            Page.objects.get(pk=page.pk).delete()
    return home


def _child_page_create(parent: Page, model, spec: dict) -> bool:
    if parent.get_children().filter(slug=spec["slug"]).exists():
        return False
    page = parent.add_child(instance=model(**spec))
    page.save_revision().publish()
    return True
