/* The problem codes of API.md §3 with their titles in English and Indonesian. */
#ifndef ABIPRAYA_DOMAIN_PROBLEM_H
#define ABIPRAYA_DOMAIN_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

struct problem_kind {
	const char *code;
	int status;
	const char *title_en, *title_id;
	const char *detail_id; /* the detail in Indonesian */
};

extern const struct problem_kind problem_kinds[]; /* every code, problem_nkinds of them */
extern const size_t problem_nkinds;

/* The entry for code; an unknown code gets a generic entry of its own status. */
const struct problem_kind *problem_lookup(const char *code, int status);
/* True when an Accept-Language header prefers Indonesian. */
bool problem_lang_is_id(const char *accept_language);

#endif
