#include "abipraya/domain/role.h"

#include <stdio.h>
#include <string.h>

const char *const role_names[] = {"admin", "manager", "caseworker", "staff", "partner", NULL};

void role_array_literal(unsigned roles, char *out, size_t len)
{
	size_t used = (size_t)snprintf(out, len, "{");
	for (unsigned i = 0; role_names[i]; i++) {
		if (!(roles & (1u << i)) || used >= len)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used > 1 ? "," : "",
		                         role_names[i]);
	}
	if (used < len)
		snprintf(out + used, len - used, "}");
}
