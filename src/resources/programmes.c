/* Programmes (contract §16.4) and their enrolments (§16.5): activities of a house, run by
 * the house itself or by a partner, and the residents in them, with a capacity the database
 * enforces (seats_taken kept by trigger under the programme row's lock, CHECK against
 * capacity); their sessions and each session's attendance sheet (§16.6). Served by
 * sql/api/17_programmes.sql. */
#include "resource.h"

static const char *const programme_kinds[] = {"skills_training",
                                              "personality_development",
                                              "independence_guidance",
                                              "social_activity",
                                              "business_mentoring",
                                              "religious",
                                              "education",
                                              "health",
                                              "other",
                                              NULL};
/* on create only draft or open (the database's rule); PATCH moves along §16.4's arrows */
static const char *const programme_statuses[] = {"draft",    "open",      "running",
                                                 "finished", "cancelled", NULL};
static const char *const stages[] = {"applied",   "waitlisted",    "enrolled", "completed",
                                     "withdrawn", "not_completed", NULL};
/* programme_ended and programme_cancelled are the daemon's own: 422 from a client */
static const char *const withdrawal_reasons[] = {
        "resident_choice", "employment",          "moved_away", "health",
        "non_attendance",  "rule_violation",      "revoked",    "other",
        "programme_ended", "programme_cancelled", NULL};
static const char *const if_full[] = {"reject", "waitlist", NULL};
static const char *const session_statuses[] = {"scheduled", "held", "cancelled", NULL};

/* a time whose house date lies within the programme's run: the database's rule */
static const struct field session_create[] = {
        {.name = "scheduled_at", .type = FIELD_DATETIME, .flags = FIELD_REQUIRED},
        {.name = "duration_minutes",
         .type = FIELD_INT,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max = 1440},
        {.name = "topic", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "location", .type = FIELD_STRING, .max = 200},
        {.name = "facilitator_user_id", .type = FIELD_UUID},
        {.name = "facilitator_name", .type = FIELD_STRING, .max = 200},
        {NULL},
};

static const struct field session_patch[] = {
        {.name = "scheduled_at", .type = FIELD_DATETIME},
        {.name = "duration_minutes", .type = FIELD_INT, .min = 1, .max = 1440},
        {.name = "topic", .type = FIELD_STRING, .min = 1, .max = 200},
        {.name = "location", .type = FIELD_STRING, .max = 200},
        {.name = "facilitator_user_id", .type = FIELD_UUID},
        {.name = "facilitator_name", .type = FIELD_STRING, .max = 200},
        {.name = "status",
         .type = FIELD_ENUM,
         .values = session_statuses,
         .column = "app.programme_sessions.status"},
        {.name = "cancel_reason", .type = FIELD_STRING, .max = 500},
        {NULL},
};

static const char *const attendance_statuses[] = {"present", "late", "excused", "absent", NULL};

/* One record of the sheet. Which enrolments (the roster), hours within the session's
 * duration and no hours for excused/absent are the database's rules (17_programmes.sql). */
static const struct field attendance_record[] = {
        {.name = "enrolment_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        {.name = "status",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = attendance_statuses,
         .column = "app.attendance.status"},
        {.name = "hours", .type = FIELD_HOURS, .max = 24},
        {.name = "note", .type = FIELD_STRING, .max = 500},
        {NULL},
};

/* a sheet names a house's residents in one programme: 2000 is far above any real roster
 * and bounds the work of one request */
static const struct field attendance_body[] = {
        {.name = "records",
         .type = FIELD_LIST,
         .flags = FIELD_REQUIRED,
         .max_items = 2000,
         .fields = attendance_record},
        {NULL},
};

static const struct field sessions_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "programme_id", .type = FIELD_UUID},
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATE},
        {.name = "to", .type = FIELD_DATE},
        {.name = "status", .type = FIELD_ENUM, .values = session_statuses},
        {NULL},
};

static const struct field programme_body[] = {
        {.name = "house_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY},
        {.name = "kind",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = programme_kinds,
         .column = "app.programmes.kind"},
        {.name = "title", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "description", .type = FIELD_TEXT, .max = 10000},
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "starts_on", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "ends_on", .type = FIELD_DATE},
        {.name = "capacity", .type = FIELD_INT, .min = 1, .max = 1000},
        {.name = "planned_sessions", .type = FIELD_INT, .min = 1, .max = 500},
        /* > 0: the database's rule (0 is an hours value, not a requirement) */
        {.name = "hours_required", .type = FIELD_HOURS, .max = 10000},
        {.name = "certificate", .type = FIELD_BOOL},
        {.name = "status",
         .type = FIELD_ENUM,
         .values = programme_statuses,
         .column = "app.programmes.status"},
        {NULL},
};

static const struct field programmes_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "kind", .type = FIELD_ENUM, .values = programme_kinds},
        {.name = "status", .type = FIELD_ENUM, .values = programme_statuses},
        {NULL},
};

static const struct field enrolment_create[] = {
        {.name = "resident_id", .type = FIELD_UUID, .flags = FIELD_REQUIRED},
        /* on create only enrolled or applied (the database's rule) */
        {.name = "stage", .type = FIELD_ENUM, .values = stages, .column = "app.enrolments.stage"},
        {.name = "if_full",
         .type = FIELD_ENUM,
         .values = if_full,
         .column = "app.enrolments.if_full"},
        {.name = "goal_id", .type = FIELD_UUID},
        {.name = "note", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

static const struct field enrolment_patch[] = {
        {.name = "stage", .type = FIELD_ENUM, .values = stages, .column = "app.enrolments.stage"},
        {.name = "withdrawal_reason",
         .type = FIELD_ENUM,
         .values = withdrawal_reasons,
         .column = "app.enrolments.withdrawal_reason"},
        {.name = "goal_id", .type = FIELD_UUID},
        {.name = "note", .type = FIELD_TEXT, .max = 10000},
        {NULL},
};

/* POST /enrolments/{id}/complete (§16.7): which dates, which certificate fields with which
 * programme, and who may override are the database's rules (op_enrolments_complete) */
static const struct field enrolment_complete[] = {
        {.name = "completed_on", .type = FIELD_DATE},
        {.name = "override_reason", .type = FIELD_STRING, .min = 1, .max = 500},
        {.name = "certificate_number", .type = FIELD_STRING, .min = 1, .max = 50},
        {.name = "certificate_issued_on", .type = FIELD_DATE},
        {NULL},
};

static const struct field enrolments_query[] = {
        {.name = "programme_id", .type = FIELD_UUID},
        {.name = "resident_id", .type = FIELD_UUID},
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "stage", .type = FIELD_ENUM, .values = stages},
        {NULL},
};

/* The programme report (§16.9, sql/api/19_programme_report.sql): a partner user's is its own
 * partner's, small cells suppressed. */
static const struct field programme_report_query[] = {
        {.name = "house_id", .type = FIELD_UUID},
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "from", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {.name = "to", .type = FIELD_DATE, .flags = FIELD_REQUIRED},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/programmes",
         .op = "programmes.create",
         .roles = ROLES_MANAGE,
         .body = programme_body},
        {.pattern = "GET /api/v1/programmes",
         .op = "programmes.list",
         .roles = ROLES_ALL | ROLE_PARTNER,
         .query = programmes_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/programmes/{id}",
         .op = "programmes.get",
         .roles = ROLES_ALL | ROLE_PARTNER},
        {.pattern = "PATCH /api/v1/programmes/{id}",
         .op = "programmes.update",
         .roles = ROLES_MANAGE,
         .body = programme_body},
        {.pattern = "GET /api/v1/reports/programme",
         .op = "reports.programme",
         .roles = ROLES_MANAGE | ROLE_PARTNER,
         .query = programme_report_query,
         .flags = ROUTE_CSV,
         .csv_columns =
                 "programme_id,title,kind,house_id,partner_id,status,participants,sessions_held,"
                 "attendance_rate,hours_delivered,completions,certificates,suppressed"},
        {.pattern = "POST /api/v1/programmes/{programme_id}/enrolments",
         .op = "enrolments.create",
         .roles = ROLES_CASEWORK,
         .body = enrolment_create},
        {.pattern = "GET /api/v1/enrolments",
         .op = "enrolments.list",
         .roles = ROLES_ALL,
         .query = enrolments_query,
         .flags = ROUTE_LIST | ROUTE_CSV,
         .csv_columns = "id,programme_id,house_id,resident_id,full_name,stage,waitlist_position,"
                        "withdrawal_reason,goal_id,!note,enrolled_at,completed_on,"
                        "certificate_number,certificate_issued_on,!override_reason,"
                        "attendance.sessions_recorded,attendance.sessions_attended,"
                        "attendance.hours,attendance.attendance_rate,"
                        "attendance.consecutive_absences,version,"
                        "created_at,updated_at",
         .discloses = "enrolment"},
        {.pattern = "POST /api/v1/programmes/{programme_id}/sessions",
         .op = "sessions.create",
         .roles = ROLES_CASEWORK,
         .body = session_create},
        {.pattern = "GET /api/v1/sessions",
         .op = "sessions.list",
         .roles = ROLES_ALL | ROLE_PARTNER,
         .query = sessions_query,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/sessions/{id}",
         .op = "sessions.get",
         .roles = ROLES_ALL | ROLE_PARTNER},
        {.pattern = "PATCH /api/v1/sessions/{id}",
         .op = "sessions.update",
         .roles = ROLES_CASEWORK,
         .body = session_patch},
        {.pattern = "GET /api/v1/sessions/{id}/attendance",
         .op = "attendance.get",
         .roles = ROLES_ALL},
        {.pattern = "PUT /api/v1/sessions/{id}/attendance",
         .op = "attendance.put",
         .roles = ROLES_ALL,
         .body = attendance_body},
        {.pattern = "GET /api/v1/enrolments/{id}", .op = "enrolments.get", .roles = ROLES_ALL},
        {.pattern = "PATCH /api/v1/enrolments/{id}",
         .op = "enrolments.update",
         .roles = ROLES_CASEWORK,
         .body = enrolment_patch},
        {.pattern = "POST /api/v1/enrolments/{id}/complete",
         .op = "enrolments.complete",
         .roles = ROLES_CASEWORK,
         .body = enrolment_complete},
};

const struct resource resource_programmes = {.name = "programmes", RESOURCE_ROUTES(routes)};
