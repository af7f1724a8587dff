"""factory-boy factories and model-building helpers shared by every test module, one module per app;
import them from here."""
from .accounts import ROLE_ADMIN_REGIONS, UserFactory, user_with_role
from .certification import (
    ISSUED_ON, AssessmentCentreFactory, make_application, make_session, photo_bytes,
)
from .courses import TrainingSessionFactory
from .organisation import (
    InstitutionFactory, PersonFactory, PostFactory, RegionFactory, make_id_number, make_scope_world,
)

__all__ = [
    "ISSUED_ON", "ROLE_ADMIN_REGIONS", "AssessmentCentreFactory", "InstitutionFactory", "PersonFactory",
    "PostFactory", "RegionFactory", "TrainingSessionFactory", "UserFactory", "make_application",
    "make_id_number", "make_scope_world", "make_session", "photo_bytes", "user_with_role",
]
