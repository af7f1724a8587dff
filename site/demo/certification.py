"""The demo certification (manage.py load_demo_certification): an assessment centre and three level 5 sessions
at every stage, made through the same services as the pages:

- one open for applications (the demo carer, 13800000004, can apply; the demo head, 13800000003, can apply
  for the carers of their home);
- one in scoring today, with an online theory exam opened by a code, where the demo assessor (13800000005)
  still has candidates to score and the demo chief assessor (13800000011) signs off;
- one signed off two months ago, with its certificates issued, to verify at /verify/. Its candidates work where
  the demo assessor and the demo chief assessor work, so its chief is another assessor: nobody scores, signs off
  or amends a candidate of their own institution.

Run after load_demo's accounts (load_demo calls it). Safe to run again: sessions are matched by title.
"""
import datetime
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from academy.accounts.models import User
from academy.accounts.services import account_for_person
from academy.organisation.models import Post, PostKind, Region
from academy.pdf import html_to_pdf
from certification import applications, rules, scoring, staffing
from certification.certificates import certificate_issue, passed_applications
from certification.eligibility import eligibility_check
from certification.models import (
    Application, AssessmentCentre, AuditEntry, Certificate, PartResult, Score, AssessmentSession, CentreKind, Part, Room,
    StaffRole,
)
from courses.models import ExamPage

CENTRE = {
    "name": "浙江省孤残儿童护理员职业技能等级认定中心", "kind": CentreKind.SOCIAL, "organisation_code": "0001",
    "province_code": "33", "site_serial": "330001",
}
OPEN_TITLE = "2027年第1期 孤残儿童护理员五级/初级工认定"
SCORING_TITLE = "2026年第4期 孤残儿童护理员五级/初级工认定"
SIGNED_OFF_TITLE = "2026年第3期 孤残儿童护理员五级/初级工认定"
PROOF_HOURS = Decimal(180)


def delete_demo_certification() -> None:
    """Every session and what hangs on it (for load_demo --reset). Certificate serials stay: a number is never
    given twice, even on a demo database."""
    Certificate.objects.all().delete()
    AuditEntry.objects.all().delete()
    PartResult.objects.all().delete()
    Score.objects.all().delete()
    Application.objects.all().delete()
    AssessmentSession.objects.all().delete()


def certification_load(*, stdout, style) -> None:
    """The centre and the three sessions, made once (matched by title); progress to ``stdout``."""
    _CertificationDemo(stdout, style).load()


class _CertificationDemo:
    """What the sessions share while they are made: the demo accounts, the rule set, the centre, the seed."""

    def __init__(self, stdout, style):
        self.stdout, self.style = stdout, style

    def load(self):
        self.rng = random.Random(2026)
        self.admin = User.objects.filter(username="demo-province-admin").first()
        self.assessor = User.objects.filter(phone="13800000005").first()
        self.chief = User.objects.filter(phone="13800000011").first()
        if not (self.admin and self.assessor and self.chief):
            raise CommandError("Run load_demo first: the demo accounts are missing.")
        with transaction.atomic():
            self.rule_set = rules.rule_set_seed_defaults()
            self.centre, _created = AssessmentCentre.objects.get_or_create(
                organisation_code=CENTRE["organisation_code"], site_serial=CENTRE["site_serial"],
                defaults={**CENTRE, "region": Region.objects.get(code="33"),
                          "verification_note": "也可登录技能人才评价证书全国联网查询系统核验"},
            )
            self._open_session()
            self._signed_off_session()
            self._scoring_session()
        self.stdout.write(self.style.SUCCESS("Demo certification sessions loaded"))

    # --- The three sessions ------------------------------------------------------------------------------

    def _session(self, title, *, theory_day: datetime.date, **fields) -> tuple[AssessmentSession, bool]:
        existing = AssessmentSession.objects.filter(title=title).first()
        if existing:
            return existing, False
        start = timezone.make_aware(datetime.datetime.combine(theory_day, datetime.time(9, 0)))
        session = AssessmentSession.objects.create(
            centre=self.centre, rule_set=self.rule_set, level=5, title=title, venue="杭州市儿童福利院 综合楼",
            theory_starts_at=start, theory_ends_at=start + datetime.timedelta(hours=2),
            skill_date=theory_day, capacity=40, created_by=self.admin, **fields,
        )
        return session, True

    def _open_session(self):
        today = timezone.localdate()
        session, created = self._session(
            OPEN_TITLE, theory_day=today + datetime.timedelta(days=45),
            applications_close_on=today + datetime.timedelta(days=30),
        )
        self.stdout.write(f"Session {session.title}: {'created' if created else 'already there'}")

    def _scoring_session(self):
        today = timezone.localdate()
        exam = ExamPage.objects.live().order_by("pk").first()
        session, created = self._session(
            SCORING_TITLE, theory_day=today, applications_close_on=today - datetime.timedelta(days=14),
            theory_exam=exam, theory_code=applications.theory_code_new() if exam else "",
        )
        if created:
            people = self._candidates(session, count=5, from_assessor_home=False)
            self._staff(session, skill=[self.assessor], chief=self.chief)
            scoring.session_open_scoring(session=session)
            # Two of the three skill assessors have scored; the demo assessor's scores are still to come.
            others = [user for user in self._staff_users(session, StaffRole.SKILL_ASSESSOR) if user != self.assessor]
            for application in people:
                scoring.theory_score_record(application=application, user=self._invigilator(session), value=self._mark())
                for assessor in others:
                    self._score_skill(session, application, assessor)
        self.stdout.write(
            f"Session {session.title}: {'created' if created else 'already there'}"
            + (f" (theory code {session.theory_code})" if session.theory_code else "")
        )

    def _signed_off_session(self):
        today = timezone.localdate()
        theory_day = today - datetime.timedelta(days=60)
        session, created = self._session(
            SIGNED_OFF_TITLE, theory_day=theory_day, applications_close_on=theory_day - datetime.timedelta(days=14),
        )
        if created:
            people = self._candidates(session, count=4, from_assessor_home=True)
            self._staff(session, skill=[], chief=None)
            scoring.session_open_scoring(session=session)
            for application in people:
                scoring.theory_score_record(application=application, user=self._invigilator(session), value=self._mark())
                for assessor in self._staff_users(session, StaffRole.SKILL_ASSESSOR):
                    self._score_skill(session, application, assessor)
            scoring.session_sign_off(session=session, user=self._staff_users(session, StaffRole.CHIEF)[0])
            AssessmentSession.objects.filter(pk=session.pk).update(
                signed_off_at=timezone.make_aware(datetime.datetime.combine(theory_day, datetime.time(17, 0)))
            )
            for application in passed_applications(session):
                certificate_issue(
                    application=application, issued_on=theory_day + datetime.timedelta(days=7), issued_by=self.admin
                )
        self.stdout.write(f"Session {session.title}: {'created' if created else 'already there'}")

    # --- Candidates and staff ------------------------------------------------------------------------------

    def _candidates(self, session, *, count: int, from_assessor_home: bool) -> list[Application]:
        """Carers who qualify for level 5 (with a proof of external hours where the platform's are short), other
        than the demo carer, applied for and approved. The scoring session's come from homes other than those of
        the demo assessor and the demo chief assessor (who score and sign them off); the signed-off session's from
        the demo assessor's own home, so that the other homes' carers are left for the scoring session even in a
        small demo."""
        today = timezone.localdate()
        busy = Application.objects.filter(session__level=5).values("person")
        demo_people = User.objects.filter(phone__startswith="138000000").exclude(person=None).values("person")
        assessor_home = Post.objects.current(today).filter(person=self.assessor.person_id).values("institution")
        staff_homes = Post.objects.current(today).filter(
            person__in=[self.assessor.person_id, self.chief.person_id], institution__isnull=False
        ).values("institution")
        posts = (
            Post.objects.current(today).filter(kind=PostKind.CARER, start_date__lte=today - datetime.timedelta(days=400))
            .exclude(person__in=busy).exclude(person__in=demo_people)
            .select_related("person").order_by("pk")
        )
        posts = posts.filter(institution__in=assessor_home) if from_assessor_home else posts.exclude(
            institution__in=staff_homes
        )
        chosen = []
        proof = html_to_pdf("<p>培训证明：孤残儿童护理员岗位培训 180 学时。</p>")
        for post in posts[:200]:
            person = post.person
            check = eligibility_check(
                person=person, level=5, rule_set=self.rule_set, on=today, external_hours=PROOF_HOURS, has_proof=True
            )
            if not check["eligible"]:
                continue
            application = self._apply(session, person, proof)
            chosen.append(applications.application_decide(application=application, user=self.admin, approve=True))
            if len(chosen) == count:
                break
        return chosen

    def _apply(self, session, person, proof) -> Application:
        """Past sessions were open when their candidates applied: open them again for the moment it takes."""
        closes = session.applications_close_on
        today = timezone.localdate()
        if closes < today:
            AssessmentSession.objects.filter(pk=session.pk).update(applications_close_on=today)
            session.applications_close_on = today
        application = applications.application_create(
            session=session, person=person, applied_by=account_for_person(person=person), external_hours=PROOF_HOURS,
            proof=ContentFile(proof, name="培训证明.pdf"),
        )
        AssessmentSession.objects.filter(pk=session.pk).update(applications_close_on=closes)
        session.applications_close_on = closes
        return application

    def _staff(self, session, *, skill: list, chief):
        """Skill assessors, two invigilators and the chief (one more of the institution staff when ``chief`` is
        None), all from institutions other than the candidates'."""
        today = timezone.localdate()
        homes = set(session.applications.values_list("institution_id", flat=True))
        pool = [user for user in skill]
        posts = (
            Post.objects.current(today).filter(kind=PostKind.INSTITUTION_STAFF)
            .exclude(institution__in=homes).select_related("person").order_by("pk")
        )
        extra = []
        wanted = 3 + 2 + (1 if chief is None else 0)
        for post in posts:
            if len(pool) + len(extra) >= wanted:
                break
            user = account_for_person(person=post.person)
            if user in pool or user in extra or user == chief:
                continue
            user.is_assessor = True
            user.save(update_fields=["is_assessor"])
            extra.append(user)
        skill_assessors = (pool + extra)[:3]
        others = [user for user in extra if user not in skill_assessors]
        invigilators = others[:2]
        chief = chief or others[2]
        room = Room.objects.create(session=session, name="301考场", capacity=40)
        staffing.staff_assign(session=session, user=chief, role=StaffRole.CHIEF)
        for user in skill_assessors:
            staffing.staff_assign(session=session, user=user, role=StaffRole.SKILL_ASSESSOR)
        for user in invigilators:
            staffing.staff_assign(session=session, user=user, role=StaffRole.INVIGILATOR, room=room)
        staffing.rooms_assign(session=session)

    def _staff_users(self, session, role):
        return [assignment.user for assignment in session.staff.filter(role=role).select_related("user")]

    def _invigilator(self, session):
        return self._staff_users(session, StaffRole.INVIGILATOR)[0]

    def _mark(self) -> int:
        return self.rng.choice([52, 64, 71, 78, 83, 88, 92])

    def _score_skill(self, session, application, assessor):
        rubric = rules.level_rules(rule_set=session.rule_set, level=session.level).rubric
        items = {str(item.pk): max(0, item.points - self.rng.choice([0, 0, 1, 2, 3])) for item in rubric}
        scoring.score_record(application=application, part=Part.SKILL, user=assessor, items=items)
