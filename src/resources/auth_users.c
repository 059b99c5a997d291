/* Login, sessions and users (API.md §4). Served by sql/api/03_auth_users.sql; the login is a
 * handler of its own (src/api/login.c: throttling, the KDF off the loop). */
#include "abipraya/core/password.h"
#include "resource.h"

static const struct field login_body[] = {
        {.name = "username", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 100},
        {.name = "password",
         .type = FIELD_PASSWORD,
         .flags = FIELD_REQUIRED,
         .min = 1,
         .max = PASSWORD_MAX_LENGTH},
        {NULL},
};

static const struct field user_body[] = {
        {.name = "username",
         .type = FIELD_STRING,
         .flags = FIELD_REQUIRED | FIELD_CREATE_ONLY,
         .min = 1,
         .max = 100},
        {.name = "password",
         .type = FIELD_PASSWORD,
         .flags = FIELD_REQUIRED,
         .min = PASSWORD_MIN_LENGTH,
         .max = PASSWORD_MAX_LENGTH},
        {.name = "role",
         .type = FIELD_ENUM,
         .flags = FIELD_REQUIRED,
         .values = role_names,
         .column = "app.users.role"},
        {.name = "full_name", .type = FIELD_STRING, .flags = FIELD_REQUIRED, .min = 1, .max = 200},
        {.name = "house_ids", .type = FIELD_UUID_LIST, .max = 100},
        /* a partner user's partner (contract §16.3): set exactly when role is partner */
        {.name = "partner_id", .type = FIELD_UUID},
        {.name = "active", .type = FIELD_BOOL},
        {NULL},
};

static const struct api_route routes[] = {
        {.pattern = "POST /api/v1/auth/login", .body = login_body, .handler = api_login_handler},
        {.pattern = "POST /api/v1/auth/logout",
         .op = "auth.logout",
         .roles = ROLES_ALL | ROLE_PARTNER,
         .flags = ROUTE_BODY_OPTIONAL},
        {.pattern = "GET /api/v1/me", .op = "me.get", .hot = 9, .roles = ROLES_ALL | ROLE_PARTNER},

        {.pattern = "POST /api/v1/users",
         .op = "users.create",
         .roles = ROLES_ADMIN,
         .body = user_body,
         .flags = ROUTE_KDF},
        {.pattern = "GET /api/v1/users",
         .op = "users.list",
         .roles = ROLES_ADMIN,
         .flags = ROUTE_LIST},
        {.pattern = "GET /api/v1/users/{id}", .op = "users.get", .roles = ROLES_ADMIN},
        {.pattern = "PATCH /api/v1/users/{id}",
         .op = "users.update",
         .roles = ROLES_ADMIN,
         .body = user_body,
         .flags = ROUTE_KDF},
};

const struct resource resource_auth_users = {.name = "auth_users", RESOURCE_ROUTES(routes)};
