/* Users and login (API.md §4). */
#include "abipraya/core/password.h"
#include "abipraya/domain/role.h"
#include "abipraya/domain/specs.h"

const struct field spec_login[] = {
        {"username", FIELD_STRING, FIELD_REQUIRED, 1, 100},
        {"password", FIELD_PASSWORD, FIELD_REQUIRED, 1, PASSWORD_MAX_LENGTH},
        {NULL},
};

const struct field spec_user[] = {
        {"username", FIELD_STRING, FIELD_REQUIRED | FIELD_CREATE_ONLY, 1, 100},
        {"password", FIELD_PASSWORD, FIELD_REQUIRED, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH},
        {"role", FIELD_ENUM, FIELD_REQUIRED, 0, 0, role_names},
        {"full_name", FIELD_STRING, FIELD_REQUIRED, 1, 200},
        {"house_ids", FIELD_UUID_LIST, 0, 0, 100},
        {"active", FIELD_BOOL, 0},
        {NULL},
};
