#include "abipraya/domain/field.h"

#include <string.h>

bool field_enum_has(const char *const *values, const char *value)
{
	for (; *values; values++)
		if (strcmp(*values, value) == 0)
			return true;
	return false;
}
