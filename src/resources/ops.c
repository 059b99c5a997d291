/* The operator's endpoints (docs/ops.md): liveness, readiness and metrics, each served by a
 * handler of its own, outside the API's authentication. */
#include "resource.h"

static const struct api_route routes[] = {
        {.pattern = "GET /healthz", .handler = api_healthz_handler},
        {.pattern = "GET /readyz", .handler = api_readyz_handler},
        {.pattern = "GET /metrics", .handler = api_metrics_handler},
};

const struct resource resource_ops = {.name = "ops", RESOURCE_ROUTES(routes)};
