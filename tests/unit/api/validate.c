#include "abipraya/api/validate.h"

#include <stdio.h>
#include <string.h>

#include "../tap.h"
#include "abipraya/api/route.h"

static bool names(const json_t *errors, const char *field)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0)
			return true;
	}
	return false;
}

/* The body table of an operation, as the daemon validates it. */
static const struct field *body_of(const char *op)
{
	for (size_t i = 0; i < api_nroutes; i++)
		if (api_routes[i].op && strcmp(api_routes[i].op, op) == 0)
			return api_routes[i].body;
	return NULL;
}

static json_t *run_op(const char *op, const char *body, enum validate_mode mode,
                      json_t **ret_errors)
{
	json_t *in = json_loads(body, JSON_ALLOW_NUL, NULL), *out = json_object();
	*ret_errors = json_array();
	validate_object(in, body_of(op), mode, NULL, out, *ret_errors);
	json_decref(in);
	return out;
}

static json_t *run(const char *body, enum validate_mode mode, json_t **ret_errors)
{
	return run_op("residents.create", body, mode, ret_errors);
}

/* How many errors BODY gives OP in MODE; each must name FIELD. */
static size_t field_errors(const char *op, enum validate_mode mode, const char *field,
                           const char *body)
{
	json_t *errors, *out = run_op(op, body, mode, &errors);
	size_t n = json_array_size(errors);
	for (size_t i = 0; i < n; i++)
		CHECK(names(errors, field));
	json_decref(out);
	json_decref(errors);
	return n;
}

/* follow_up_days (FIELD_INT_LIST) of a house PATCH. */
static size_t int_list_errors(const char *body)
{
	return field_errors("houses.update", VALIDATE_PATCH, "follow_up_days", body);
}

/* A handover note's flags (FIELD_ENUM_LIST), the rest of the body valid. */
static size_t enum_list_errors(const char *flags)
{
	char body[512];
	snprintf(body, sizeof(body), "{\"shift\":\"night\",\"note\":\"x\",\"flags\":%s}", flags);
	return field_errors("handover_notes.create", VALIDATE_CREATE, "flags", body);
}

int main(void)
{
	json_t *errors, *out;

	out = run(
	        "{\"house_id\":\"3F2504E0-4F89-11D3-9A0C-0305E82C3301\",\"full_name\":\"  Budi \","
	        "\"register_number\":\"PB-1\",\"sex\":\"male\",\"legal_status\":\"parole\","
	        "\"emergency_contact\":{\"name\":\"Siti\"}}",
	        VALIDATE_CREATE, &errors);
	CHECK(json_array_size(errors) == 0);
	CHECK(strcmp(json_string_value(json_object_get(out, "full_name")), "Budi") == 0);
	CHECK(strcmp(json_string_value(json_object_get(out, "house_id")),
	             "3f2504e0-4f89-11d3-9a0c-0305e82c3301") == 0);
	json_decref(out);
	json_decref(errors);

	out = run("{\"fullname\":\"x\",\"sex\":\"x\",\"national_id\":1571010101900001,"
	          "\"notes\":\"a\\u0000b\",\"phone\":\"\",\"emergency_contact\":{\"phone\":\"1\"}}",
	          VALIDATE_CREATE, &errors);
	CHECK(names(errors, "fullname") && names(errors, "sex") && names(errors, "national_id"));
	CHECK(names(errors, "notes") && names(errors, "house_id") && names(errors, "full_name"));
	CHECK(names(errors, "emergency_contact.name"));
	CHECK(!names(errors, "phone")); /* optional, may be empty */
	json_decref(out);
	json_decref(errors);

	out = run("{\"phone\":\"0811\",\"notes\":null,\"house_id\":\"3f2504e0-4f89-11d3-9a0c-"
	          "0305e82c3301\"}",
	          VALIDATE_PATCH, &errors);
	CHECK(names(errors, "house_id") && json_array_size(errors) == 1); /* create-only */
	CHECK(json_is_null(json_object_get(out, "notes")));
	json_decref(out);
	json_decref(errors);

	CHECK(int_list_errors("{\"follow_up_days\":[]}") == 0);
	CHECK(int_list_errors("{\"follow_up_days\":[730,1,2,3,4,5]}") == 0);
	CHECK(int_list_errors("{\"follow_up_days\":[1,2,3,4,5,6,7]}") == 1); /* at most 6 */
	CHECK(int_list_errors("{\"follow_up_days\":[30,30]}") == 1);         /* distinct */
	CHECK(int_list_errors("{\"follow_up_days\":[0]}") == 1);
	CHECK(int_list_errors("{\"follow_up_days\":[731]}") == 1);
	CHECK(int_list_errors("{\"follow_up_days\":[1.5]}") == 1);
	CHECK(int_list_errors("{\"follow_up_days\":[\"30\"]}") == 1);
	CHECK(int_list_errors("{\"follow_up_days\":30}") == 1);

	CHECK(enum_list_errors("[]") == 0);
	CHECK(enum_list_errors("[\"visitor\",\"incident\",\"medical\",\"maintenance\","
	                       "\"security\",\"follow_up\"]") == 0);
	CHECK(enum_list_errors("[\"incident\",\"incident\"]") == 1); /* distinct */
	CHECK(enum_list_errors("[\"fire\"]") == 1);
	CHECK(enum_list_errors("[\"medical\\u0000x\"]") == 1); /* no NUL-cut match */
	CHECK(enum_list_errors("[1]") == 1);
	CHECK(enum_list_errors("\"medical\"") == 1);
	CHECK(enum_list_errors("[\"incident\",\"medical\",\"maintenance\",\"security\","
	                       "\"follow_up\",\"visitor\",\"incident\"]") == 1); /* at most 6 */
	out = run_op("handover_notes.create",
	             "{\"shift\":\"night\",\"note\":\"x\",\"flags\":[\"visitor\",\"medical\"]}",
	             VALIDATE_CREATE, &errors);
	json_t *want = json_pack("[ss]", "visitor", "medical");
	CHECK(json_equal(json_object_get(out, "flags"), want)); /* in the order given */
	json_decref(want);
	json_decref(out);
	json_decref(errors);

	/* FIELD_LIST (attendance.put's records): items validated whole, errors named by index,
	 * the accepted items passed on in order with their accepted values (hours as text) */
	out = run_op("attendance.put",
	             "{\"records\":[{\"enrolment_id\":\"3F2504E0-4F89-11D3-9A0C-0305E82C3301\","
	             "\"status\":\"late\",\"hours\":1.5},"
	             "{\"enrolment_id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3302\",\"status\":"
	             "\"absent\"}]}",
	             VALIDATE_CREATE, &errors);
	CHECK(json_array_size(errors) == 0);
	json_t *items = json_object_get(out, "records");
	CHECK(json_array_size(items) == 2);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(items, 0), "enrolment_id")),
	             "3f2504e0-4f89-11d3-9a0c-0305e82c3301") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(items, 0), "hours")),
	             "1.50") == 0);
	json_decref(out);
	json_decref(errors);

	out = run_op("attendance.put",
	             "{\"records\":[{\"status\":\"present\"},{\"enrolment_id\":\"x\","
	             "\"status\":\"sick\",\"hours\":0.123,\"extra\":1},7]}",
	             VALIDATE_CREATE, &errors);
	CHECK(names(errors, "records[0].enrolment_id") && names(errors, "records[1].enrolment_id"));
	CHECK(names(errors, "records[1].status") && names(errors, "records[1].hours"));
	CHECK(names(errors, "records[1].extra") && names(errors, "records[2]"));
	CHECK(json_array_size(errors) == 6 && !json_object_get(out, "records"));
	json_decref(out);
	json_decref(errors);

	out = run_op("attendance.put", "{\"records\":{}}", VALIDATE_CREATE, &errors);
	CHECK(names(errors, "records") && json_array_size(errors) == 1);
	json_decref(out);
	json_decref(errors);

	errors = json_array();
	json_t *q = validate_parse_query("q=ahmad+FAUZI&status=new&status=former&x=%ZZ", errors);
	CHECK(strcmp(json_string_value(json_object_get(q, "q")), "ahmad FAUZI") == 0);
	CHECK(names(errors, "status") && names(errors, "x"));
	json_decref(q);
	json_decref(errors);
	return tap_done("validate");
}
