#include "abipraya/domain/problem.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct problem_kind kinds[] = {
        {"bad_request", 400, "Malformed request", "Permintaan tidak valid"},
        {"invalid_json", 400, "Body is not a JSON object", "Isi permintaan bukan objek JSON"},
        {"unauthorized", 401, "Authentication required", "Perlu masuk terlebih dahulu"},
        {"invalid_credentials", 401, "Wrong username or password",
         "Nama pengguna atau kata sandi salah"},
        {"forbidden", 403, "Not allowed for your role", "Tidak diizinkan untuk peran Anda"},
        {"not_found", 404, "Not found", "Tidak ditemukan"},
        {"method_not_allowed", 405, "Method not allowed", "Metode tidak diizinkan"},
        {"request_timeout", 408, "Request took too long", "Permintaan terlalu lama"},
        {"conflict", 409, "Already exists", "Sudah ada"},
        {"bed_occupied", 409, "Bed is occupied", "Tempat tidur sudah terisi"},
        {"bed_out_of_service", 409, "Bed is out of service", "Tempat tidur tidak dapat dipakai"},
        {"resident_in_residence", 409, "Resident is already in residence",
         "Klien sudah tinggal di rumah"},
        {"sex_mismatch", 409, "Room is for the other sex", "Kamar untuk jenis kelamin lain"},
        {"stay_closed", 409, "Stay is already checked out", "Masa tinggal sudah ditutup"},
        {"already_out", 409, "Resident is already signed out", "Klien sedang di luar"},
        {"movement_closed", 409, "Resident already signed back in", "Klien sudah kembali"},
        {"precondition_failed", 412, "The object changed in the meantime", "Data telah berubah"},
        {"payload_too_large", 413, "Request body too large", "Isi permintaan terlalu besar"},
        {"unsupported_media_type", 415, "Body must be application/json",
         "Isi harus application/json"},
        {"validation_failed", 422, "Some fields are invalid", "Beberapa isian tidak valid"},
        {"idempotency_key_reused", 422, "Idempotency key used for another request",
         "Kunci idempotensi dipakai untuk permintaan lain"},
        {"rate_limited", 429, "Too many attempts", "Terlalu banyak percobaan"},
        {"internal_error", 500, "Internal error", "Kesalahan internal"},
        {"not_implemented", 501, "Not implemented", "Tidak didukung"},
        {"unavailable", 503, "Service temporarily unavailable", "Layanan sementara tidak tersedia"},
        {"http_version_not_supported", 505, "HTTP version not supported",
         "Versi HTTP tidak didukung"},
};

const struct problem_kind *problem_lookup(const char *code, int status)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (code && strcmp(kinds[i].code, code) == 0)
			return &kinds[i];
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].status == status)
			return &kinds[i];
	return &kinds[0];
}

bool problem_lang_is_id(const char *al)
{
	/* the first language range decides: "id", "id-ID", "in" */
	if (!al)
		return false;
	while (*al == ' ')
		al++;
	return (strncasecmp(al, "id", 2) == 0 || strncasecmp(al, "in", 2) == 0) &&
	       !isalpha((unsigned char)al[2]);
}
