"""The demo: every piece of demonstration data and the commands that load it (the roof of the layers: it may
import every app, and no app imports it).

- synthetic.py: villages, institutions, people and posts, deterministic from a seed (also used by bench/);
- people.py: the roster of the demo cities and a demo account for every role (``manage.py load_demo``,
  which loads everything below too);
- pages.py: the CMS home page, announcements and help page (``load_demo_pages``);
- content/ and courses.py: one course per tier with its videos, a face-to-face session, this year's plans
  (``load_demo_courses``);
- certification.py: an assessment centre and three sessions (``load_demo_certification``);
- indicators.py: five years of the plan's recorded indicators (``load_demo_indicators``).
"""
