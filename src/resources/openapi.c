/* The API's own description: docs/openapi.yaml as embedded at build time. Last in the
 * registry, where it has always been. */
#include "resource.h"

static const struct api_route routes[] = {
        {.pattern = "GET /api/v1/openapi.yaml", .handler = api_openapi_handler},
};

const struct resource resource_openapi = {.name = "openapi", RESOURCE_ROUTES(routes)};
