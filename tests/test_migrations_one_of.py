"""The migration that adds certification's one-of rules (issue 12) to a database holding data of before: theory
codes shared by two sessions are made unique, the newest session keeping its code; two valid certificates of one
level for one person stop the migration, naming them, until an administrator has revoked one."""
import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from certification.models import AssessmentSession, Certificate, CertificateStatus
from tests.factories import AssessmentCentreFactory, ISSUED_ON, make_application, make_session

MIGRATION_SUFFIX = "one_theory_code_and_valid_certificate_per_level"


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connection)


def _migration_and_parent(executor: MigrationExecutor):
    [key] = [key for key in executor.loader.disk_migrations if key[0] == "certification" and key[1].endswith(MIGRATION_SUFFIX)]
    [parent] = [parent for parent in executor.loader.graph.node_map[key].parents if parent.key[0] == "certification"]
    return key, parent.key


@pytest.fixture
def before_the_rules(zhejiang_regions):
    """The database as it was before the migration; migrated to the end again afterwards."""
    executor = _executor()
    migration, parent = _migration_and_parent(executor)
    executor.migrate([parent])
    yield migration
    executor = _executor()
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_a_theory_code_shared_by_two_sessions_stays_with_the_newest(before_the_rules):
    centre = AssessmentCentreFactory()
    older, newer = make_session(centre), make_session(centre)
    AssessmentSession.objects.filter(pk=newer.pk).update(
        theory_starts_at=newer.theory_starts_at + datetime.timedelta(days=30)
    )
    AssessmentSession.objects.filter(pk__in=[older.pk, newer.pk]).update(theory_code="ABC234")
    on_paper = make_session(centre)  # no code: any number of sessions on paper

    _executor().migrate([before_the_rules])

    codes = dict(AssessmentSession.objects.values_list("pk", "theory_code"))
    assert codes[newer.pk] == "ABC234"
    assert len(codes[older.pk]) == 6 and codes[older.pk] != "ABC234"
    assert codes[on_paper.pk] == ""


@pytest.mark.django_db(transaction=True)
def test_two_valid_certificates_of_a_level_stop_the_migration_until_one_is_revoked(before_the_rules):
    centre = AssessmentCentreFactory()
    application = make_application(make_session(centre), name="张晓明")
    again = make_application(make_session(centre), person=application.person)
    # The certificate as it was then: later migrations add columns the database does not have yet.
    executor = _executor()
    then = executor.loader.project_state(_migration_and_parent(executor)[1]).apps.get_model("certification", "Certificate")
    for number, candidate in (("S000133000001264000001", application), ("S000133000001264000002", again)):
        then.objects.create(
            number=number, application_id=candidate.pk, person_id=candidate.person_id, level=4, holder_name="张晓明",
            issuer=centre.name, issued_on=ISSUED_ON,
        )

    with pytest.raises(RuntimeError) as refused:
        _executor().migrate([before_the_rules])
    assert "S000133000001264000001 and S000133000001264000002" in str(refused.value)
    assert "Revoke one of each group" in str(refused.value)

    Certificate.objects.filter(number="S000133000001264000002").update(
        status=CertificateStatus.REVOKED, revoked_at=timezone.now(), revocation_reason="重复核发",
    )
    _executor().migrate([before_the_rules])
    assert Certificate.objects.filter(status=CertificateStatus.VALID).count() == 1
