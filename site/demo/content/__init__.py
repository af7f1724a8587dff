"""The demo training content loaded by ``manage.py load_demo_courses``: one complete course for each tier,
written for this platform, with its lessons, exam and question bank (one module each), the lesson videos
and images in media/, and the face-to-face session for the director course.

media/ is made by make_videos.sh from the slide texts in slides/; rerun it after changing a slide.
"""
from pathlib import Path

from . import carer, child_director, child_supervisor, institution_head

MEDIA_DIR = Path(__file__).resolve().parent / "media"

COURSES = [institution_head.COURSE, child_supervisor.COURSE, child_director.COURSE, carer.COURSE]

# Lesson videos by file name (media/NAME.mp4, with NAME.png as poster and NAME.vtt as captions): their titles.
VIDEOS = {
    "institution-head-safety": "机构安全管理：负责人的四项日常功课",
    "supervisor-case-management": "个案管理四个环节",
    "director-home-visit": "入户走访怎么做",
    "carer-daily-care": "照料中的三个安全习惯",
}

# Course cover images by file name (media/NAME.png): their titles.
COVERS = {
    "institution-head-cover": "课程封面：机构负责人履职与机构安全管理",
    "child-supervisor-cover": "课程封面：儿童督导员工作实务",
    "child-director-cover": "课程封面：儿童主任履职基础",
    "carer-cover": "课程封面：孤残儿童日常照料与康复支持",
}

CATALOGUE = {
    "title": "培训课程",
    "slug": "courses",
    "introduction": (
        "儿童福利工作队伍的年度培训课程。每门课程由若干课和一次结业测试组成，学完全部课程并通过测试后，"
        "学时自动记入本人的学习记录。"
    ),
}

# A one-day session organised by 杭州市西湖区 for its child directors, a fortnight after the command runs.
SESSION = {
    "organiser_region": "330106",
    "course_slug": child_director.COURSE["slug"],
    "title": "西湖区%(year)s年度儿童主任集中培训班",
    "description": (
        "上午：未成年人保护法与强制报告制度、入户走访与“一人一档”；下午：儿童安全与急救实操"
        "（心肺复苏、海姆立克法），困境儿童保障政策答疑。请携带身份证，在会场扫码或输入签到码签到。"
    ),
    "venue": "西湖区民政局三楼培训室",
    "days_from_now": 14,
    "starts": (9, 0),
    "ends": (16, 30),
    "credit_hours": "6",
    "minimum_capacity": 60,
}
