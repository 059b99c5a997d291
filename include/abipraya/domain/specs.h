/* What each operation accepts (API.md §4–§12): one table per request body or query. */
#ifndef ABIPRAYA_DOMAIN_SPECS_H
#define ABIPRAYA_DOMAIN_SPECS_H

#include <stddef.h>

#include "abipraya/domain/field.h"

extern const struct field spec_login[];
extern const struct field spec_user[];
extern const struct field spec_house[];
extern const struct field spec_room[];
extern const struct field spec_bed_create[];
extern const struct field spec_bed_update[];
extern const struct field spec_bed_board_query[];
extern const struct field spec_resident[];
extern const struct field spec_residents_query[];
extern const struct field spec_checkin[];
extern const struct field spec_transfer[];
extern const struct field spec_checkout[];
extern const struct field spec_stays_query[];
extern const struct field spec_movement[];
extern const struct field spec_movement_return[];
extern const struct field spec_movements_query[];
extern const struct field spec_exit_plan[];
extern const struct field spec_goal_create[];
extern const struct field spec_goal_update[];
extern const struct field spec_worklist_query[];
extern const struct field spec_census_query[];
extern const struct field spec_exits_query[];
extern const struct field spec_audit_query[];
extern const struct field spec_events_query[];

extern const char *const destinations[];

#endif
