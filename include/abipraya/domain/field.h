/* Declarative input rules: what each operation accepts, as plain data. The api layer's
 * validator applies them to request bodies and query strings; the domain files hold
 * one table per operation. No JSON, HTTP or SQL here. */
#ifndef ABIPRAYA_DOMAIN_FIELD_H
#define ABIPRAYA_DOMAIN_FIELD_H

#include <stdbool.h>

enum field_type {
	FIELD_STRING,   /* single-line text: no control characters; trimmed */
	FIELD_TEXT,     /* multi-line text: LF, CR and tab allowed; trimmed */
	FIELD_PASSWORD, /* no control characters; not trimmed; never echoed */
	FIELD_INT,      /* integer in [min, max] */
	FIELD_BOOL,
	FIELD_TRUE, /* a boolean that must be true */
	FIELD_UUID,
	FIELD_UUID_LIST, /* array of UUIDs, at most max */
	FIELD_DATE,      /* YYYY-MM-DD */
	FIELD_DATETIME,  /* RFC 3339 with offset */
	FIELD_TIME_HM,   /* HH:MM */
	FIELD_ENUM,      /* one of values */
	FIELD_DIGITS,    /* exactly min ASCII digits */
	FIELD_OBJECT,    /* an object with the members in fields */
	FIELD_INT_LIST,  /* array of at most max_items distinct integers, each in [min, max] */
	FIELD_HOURS,     /* a JSON number 0..max with at most 2 decimals; passed on as text */
	FIELD_LIST,      /* array of at most max_items objects, each with the members in fields;
	                  * an item's errors name "field[i].member" */
	FIELD_ENUM_LIST, /* array of at most max_items distinct values of values, in the order
	                  * given (flags of a note) */
};

#define FIELD_REQUIRED    0x1u /* must be present (on create; a PATCH requires nothing) */
#define FIELD_CREATE_ONLY 0x2u /* set once: a PATCH naming it is refused */

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	long min, max;  /* characters for text, value for integers; FIELD_LIST: min items */
	long max_items; /* FIELD_INT_LIST, FIELD_LIST, FIELD_ENUM_LIST */
	const char *const *values;  /* FIELD_ENUM, FIELD_ENUM_LIST: NULL-terminated */
	const struct field *fields; /* FIELD_OBJECT, FIELD_LIST: ends with a NULL name */
	/* "schema.table.column" the value is stored in. An enum's values equal that column's
	 * CHECK list (tests/integration/test_spec_db.py); a body enum must name it. */
	const char *column;
};

/* True when value is one of the NULL-terminated list. */
bool field_enum_has(const char *const *values, const char *value);

#endif
