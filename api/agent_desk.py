"""The 120 agent's desk: file a caller's report (channel ``phone``), find a caller's reports."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_staff, staff_required
from api.complaints import created_answer, draft_from
from api.context import language, settings
from api.db import get_session
from api.presenters import complaint_public
from api.schemas import (
    ApiErrorSchema,
    CallerComplaintSchema,
    CallerLookupSchema,
    CallerReportsSchema,
    ComplaintCreatedSchema,
    IdempotencyHeaderSchema,
    LanguageArgsSchema,
)
from dispatch.callers import reports_from
from dispatch.events import Actor
from dispatch.intake import submit_complaint
from dispatch.models import Channel

blp = Blueprint("agent_desk", __name__, url_prefix="/api/v1/staff/complaints",
                description="Complaints taken by phone, filed by an agent for the caller; "
                            "a caller's earlier reports.")

# Who answers the 120 line: dispatchers (the call centre), district supervisors, admins.
AGENTS = ("dispatcher", "supervisor", "admin")


@blp.route("")
class CallerComplaints(MethodView):
    @staff_required(*AGENTS)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(CallerComplaintSchema)
    @blp.response(201, ComplaintCreatedSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema,
                      description="forbidden (inspectors), phone_blocked")
    @blp.alt_response(422, schema=ApiErrorSchema, description=(
        "validation_error, outside_service_area, unknown_category, invalid_phone, "
        "invalid_location, idempotency_key_reused, outside_your_district (a supervisor's "
        "caller at a spot of another district: `details.district` names it)"))
    def post(self, headers, data):
        """File a complaint for a caller

        The agent enters what the caller says: category, the spot (picked on the map),
        description, and the caller's phone and language, so the caller gets the same
        texts as a reporter who used the app. The history records the agent who took the
        call. Citizens' per-address limits do not apply (a call centre is one address);
        blocked phones do. Send an `Idempotency-Key` made when the form opens.
        A district supervisor files only for spots in their own district (elsewhere they
        could not see or follow up the complaint): another district's spot answers 422
        `outside_your_district`, and the call goes to the city desk.
        """
        agent = current_staff()
        draft = draft_from(data, channel=Channel.PHONE.value)
        session = get_session()
        result = submit_complaint(session, settings(), draft,
                                  client_ref=headers["idempotency_key"],
                                  actor=Actor("staff", agent.id),
                                  filer_district=None if agent.is_city_wide
                                  else agent.district_code)
        session.commit()
        # The answer is for the agent: in the agent's language, not the caller's.
        return created_answer(result, language())


@blp.route("/search")
class CallerSearch(MethodView):
    @staff_required(*AGENTS)
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.arguments(CallerLookupSchema)
    @blp.response(200, CallerReportsSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (inspectors)")
    @blp.alt_response(422, schema=ApiErrorSchema, description="validation_error, invalid_phone")
    def post(self, _args, data):
        """Find a caller's reports by phone number

        The newest 20 complaints reported from that number (Korean notation or E.164),
        newest first; district supervisors see their district's only. A caller who lost the
        ticket number is answered from here. The number travels in the body, not the URL,
        so it stays out of access logs.
        """
        reader, timezone = language(), settings().timezone
        reports = reports_from(get_session(), current_staff(), data["phone"])
        return {"items": [{**complaint_public(complaint, reader, timezone),
                           "attributes": complaint.attributes or {},
                           "language": complaint.reporter_language} for complaint in reports]}
