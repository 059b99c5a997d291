#include "abipraya/domain/problem.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* code, status, English title, Indonesian title, Indonesian detail (the English detail
 * comes with each answer and names the particular cause). */
const struct problem_kind problem_kinds[] = {
        {"bad_request", 400, "Malformed request", "Permintaan tidak valid",
         "Permintaan HTTP tidak dapat dibaca."},
        {"invalid_json", 400, "Body is not a JSON object", "Isi permintaan bukan objek JSON",
         "Isi permintaan harus berupa objek JSON yang sah."},
        {"unauthorized", 401, "Authentication required", "Perlu masuk terlebih dahulu",
         "Token tidak ada, tidak sah, atau sudah kedaluwarsa. Silakan masuk lagi."},
        {"invalid_credentials", 401, "Wrong username or password",
         "Nama pengguna atau kata sandi salah", "Periksa nama pengguna dan kata sandi."},
        {"forbidden", 403, "Not allowed for your role", "Tidak diizinkan untuk peran Anda",
         "Peran Anda tidak boleh melakukan tindakan ini."},
        {"not_found", 404, "Not found", "Tidak ditemukan",
         "Data tidak ada, atau milik rumah yang tidak dapat Anda lihat."},
        {"method_not_allowed", 405, "Method not allowed", "Metode tidak diizinkan",
         "Metode HTTP ini tidak tersedia untuk alamat ini."},
        {"request_timeout", 408, "Request took too long", "Permintaan terlalu lama",
         "Permintaan tidak selesai dikirim tepat waktu."},
        {"conflict", 409, "Already exists", "Sudah ada",
         "Kode, nama, atau nomor ini sudah dipakai."},
        {"bed_occupied", 409, "Bed is occupied", "Tempat tidur sudah terisi",
         "Tempat tidur ini ditempati klien lain pada waktu tersebut."},
        {"bed_out_of_service", 409, "Bed is out of service", "Tempat tidur tidak dapat dipakai",
         "Tempat tidur ini sedang tidak digunakan (perbaikan atau karantina)."},
        {"resident_in_residence", 409, "Resident is already in residence",
         "Klien sudah tinggal di rumah", "Klien ini sudah memiliki masa tinggal yang aktif."},
        {"sex_mismatch", 409, "Room is for the other sex", "Kamar untuk jenis kelamin lain",
         "Kamar ini diperuntukkan bagi jenis kelamin lain."},
        {"stay_closed", 409, "Stay is already checked out", "Masa tinggal sudah ditutup",
         "Klien sudah keluar; masa tinggal ini tidak dapat diubah lagi."},
        {"already_out", 409, "Resident is already signed out", "Klien sedang di luar",
         "Klien masih tercatat di luar rumah; catat kembalinya terlebih dahulu."},
        {"movement_closed", 409, "Resident already signed back in", "Klien sudah kembali",
         "Kepulangan klien ini sudah dicatat."},
        {"legal_basis_superseded", 409, "Legal basis was superseded", "Dasar hukum sudah diganti",
         "Dasar hukum ini bukan lagi yang berlaku. Muat ulang lalu coba lagi."},
        {"legal_basis_revoked", 409, "Legal basis is already revoked", "Dasar hukum sudah dicabut",
         "Pencabutan dasar hukum ini sudah dicatat."},
        {"legal_basis_governs", 409, "Legal status follows the legal basis",
         "Status hukum mengikuti dasar hukum",
         "Ubah dasar hukum klien; status hukum dan tanggal akhir pengawasan mengikutinya."},
        {"no_supervision", 409, "Resident is not under supervision", "Klien tidak dalam pengawasan",
         "Dasar hukum ini tidak menetapkan pengawasan."},
        {"already_acknowledged", 409, "Alert already acknowledged", "Peringatan sudah ditanggapi",
         "Peringatan ini sudah ditanggapi sebelumnya."},
        {"no_reporting_schedule", 409, "No reporting schedule", "Belum ada jadwal wajib lapor",
         "Tetapkan jadwal wajib lapor klien ini terlebih dahulu."},
        {"remote_not_allowed", 409, "Remote reporting is not allowed",
         "Lapor jarak jauh tidak diizinkan",
         "Jadwal klien ini tidak mengizinkan lapor lewat panggilan video atau telepon."},
        {"period_met", 409, "Reporting period already met", "Periode lapor sudah terpenuhi",
         "Klien sudah lapor untuk periode ini; batalkan catatannya bila keliru."},
        {"record_voided", 409, "Report is already voided", "Catatan lapor sudah dibatalkan",
         "Catatan lapor ini sudah dibatalkan sebelumnya."},
        {"programme_full", 409, "Programme is full", "Kuota kegiatan sudah penuh",
         "Tidak ada kursi tersisa di kegiatan ini."},
        {"already_enrolled", 409, "Already enrolled", "Klien sudah terdaftar di kegiatan ini",
         "Klien ini masih terdaftar di kegiatan ini."},
        {"programme_not_open", 409, "Programme is not open", "Kegiatan belum dibuka",
         "Kegiatan ini masih berupa draf; buka kegiatan terlebih dahulu."},
        {"programme_closed", 409, "Programme has ended", "Kegiatan sudah berakhir",
         "Kegiatan ini sudah selesai atau dibatalkan."},
        {"invalid_transition", 409, "Change not allowed from this state",
         "Perubahan tahap tidak diizinkan",
         "Status atau tahap ini tidak dapat mengikuti yang sekarang."},
        {"requirements_not_met", 409, "Completion requirements not met",
         "Syarat kelulusan belum terpenuhi",
         "Jam atau kehadiran klien belum memenuhi syarat kegiatan ini; manajer dapat memberi "
         "alasan pengecualian."},
        {"session_not_started", 409, "Session has not started", "Sesi belum dimulai",
         "Sesi ini dimulai lebih dari 5 menit lagi."},
        {"session_cancelled", 409, "Session was cancelled", "Sesi telah dibatalkan",
         "Presensi tidak dicatat untuk sesi yang dibatalkan."},
        {"attendance_recorded", 409, "Attendance already recorded", "Presensi sudah dicatat",
         "Status, waktu dan durasi sesi tidak dapat diubah setelah presensi dicatat."},
        {"referral_not_pending", 409, "Referral already decided", "Rujukan sudah diputuskan",
         "Rujukan ini sudah diterima atau ditolak; data pribadi klien yang sudah diterima diubah "
         "di data klien."},
        {"referral_closed", 409, "Referral is closed", "Rujukan sudah ditutup",
         "Rujukan ini sudah ditolak, dibatalkan, atau kliennya sudah datang."},
        {"roll_call_open", 409, "Another roll-call is open", "Apel lain masih berlangsung",
         "Tutup atau batalkan apel yang masih berlangsung terlebih dahulu."},
        {"roll_call_closed", 409, "Roll-call is closed", "Apel sudah ditutup",
         "Apel yang sudah ditutup atau dibatalkan tidak dapat diubah."},
        {"bed_held", 409, "Bed is held", "Tempat tidur sudah dipesan",
         "Tempat tidur ini dipesan untuk orang lain pada waktu tersebut."},
        {"bed_turnover", 409, "Bed is not ready yet", "Tempat tidur belum siap (perlu dibersihkan)",
         "Tempat tidur ini baru ditinggalkan dan belum ditandai siap."},
        {"not_in_turnover", 409, "Bed is not in turnover", "Tempat tidur tidak sedang dibersihkan",
         "Tidak ada masa pembersihan tempat tidur ini pada waktu tersebut."},
        {"already_held", 409, "Person already holds a bed",
         "Klien sudah memiliki pemesanan tempat tidur",
         "Orang ini sudah memiliki pemesanan aktif; ubah atau batalkan yang itu."},
        {"hold_closed", 409, "Hold is no longer active", "Pemesanan sudah tidak aktif",
         "Pemesanan ini sudah dipakai, dibatalkan, atau kedaluwarsa."},
        {"consent_withdrawn", 409, "Consent is already withdrawn", "Persetujuan sudah dicabut",
         "Persetujuan ini sudah dicabut; catat persetujuan baru bila klien menyetujui lagi."},
        {"request_closed", 409, "Request is already closed", "Permintaan sudah ditutup",
         "Permintaan ini sudah dijawab atau ditolak."},
        {"follow_up_closed", 409, "Follow-up is closed", "Pendampingan lanjutan sudah ditutup",
         "Pendampingan lanjutan ini sudah dibatalkan atau sudah dicatat hasilnya."},
        {"erasure_blocked", 409, "Data cannot be erased yet", "Data belum dapat dihapus",
         "Klien masih tinggal di rumah atau masih dalam masa bimbingan; tolak permintaan ini "
         "dengan "
         "alasannya."},
        {"resident_anonymised", 409, "Resident is anonymised", "Data klien sudah dianonimkan",
         "Data klien ini sudah dianonimkan oleh retensi; data ini tidak dapat diubah lagi."},
        {"precondition_failed", 412, "The object changed in the meantime", "Data telah berubah",
         "Data telah diubah orang lain. Muat ulang lalu coba lagi."},
        {"payload_too_large", 413, "Request body too large", "Isi permintaan terlalu besar",
         "Isi permintaan melebihi batas ukuran."},
        {"unsupported_media_type", 415, "Body must be application/json",
         "Isi harus application/json",
         "Kirim isi permintaan dengan Content-Type application/json."},
        {"validation_failed", 422, "Some fields are invalid", "Beberapa isian tidak valid",
         "Periksa isian yang disebut dalam daftar errors."},
        {"roll_call_incomplete", 422, "Roll-call is incomplete", "Apel belum lengkap",
         "Tandai setiap klien dalam daftar sebelum menutup apel."},
        {"idempotency_key_reused", 422, "Idempotency key used for another request",
         "Kunci idempotensi dipakai untuk permintaan lain",
         "Kunci Idempotency-Key ini sudah dipakai untuk permintaan yang berbeda."},
        {"rate_limited", 429, "Too many attempts", "Terlalu banyak percobaan",
         "Terlalu banyak percobaan masuk yang gagal. Tunggu sebentar lalu coba lagi."},
        {"internal_error", 500, "Internal error", "Kesalahan internal",
         "Terjadi kesalahan pada server."},
        {"not_implemented", 501, "Not implemented", "Tidak didukung",
         "Server tidak mendukung permintaan ini."},
        {"unavailable", 503, "Service temporarily unavailable", "Layanan sementara tidak tersedia",
         "Basis data tidak dapat dihubungi. Coba lagi sebentar lagi."},
        {"http_version_not_supported", 505, "HTTP version not supported",
         "Versi HTTP tidak didukung", "Gunakan HTTP/1.1."},
};

const size_t problem_nkinds = sizeof(problem_kinds) / sizeof(problem_kinds[0]);

const struct problem_kind *problem_lookup(const char *code, int status)
{
	for (size_t i = 0; i < problem_nkinds; i++)
		if (code && strcmp(problem_kinds[i].code, code) == 0)
			return &problem_kinds[i];
	for (size_t i = 0; i < problem_nkinds; i++)
		if (problem_kinds[i].status == status)
			return &problem_kinds[i];
	return &problem_kinds[0];
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
