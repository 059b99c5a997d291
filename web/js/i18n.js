// Labels and messages in Indonesian (default) and English; dates and times in the house's time zone.
const D = {
  app: ['Griya Abipraya', 'Griya Abipraya'],
  console: ['Konsol petugas', 'Staff console'],
  skip: ['Lewati ke isi', 'Skip to content'],
  lang_switch: ['English', 'Bahasa Indonesia'],
  lang_switch_label: ['Ganti bahasa ke English', 'Switch language to Bahasa Indonesia'],
  logout: ['Keluar akun', 'Log out'],
  house: ['Rumah', 'House'],
  all_houses: ['Semua rumah', 'All houses'],
  live: ['Langsung', 'Live'],
  live_retry: ['Menyambung ulang…', 'Reconnecting…'],
  live_off: ['Tidak terhubung', 'Not connected'],
  loading: ['Memuat…', 'Loading…'],
  retry: ['Coba lagi', 'Try again'],
  save: ['Simpan', 'Save'],
  saving: ['Menyimpan…', 'Saving…'],
  saved: ['Tersimpan.', 'Saved.'],
  search: ['Cari', 'Search'],
  more: ['Muat lebih banyak', 'Load more'],
  none: ['Tidak ada.', 'None.'],
  optional: ['opsional', 'optional'],
  choose: ['— pilih —', '— choose —'],
  back: ['Kembali', 'Back'],
  yes: ['Ya', 'Yes'],
  no: ['Tidak', 'No'],
  house_time: ['Waktu rumah ({tz})', 'House time ({tz})'],
  empty_now: ['Kosongkan untuk sekarang', 'Leave empty for now'],
  // login
  login_title: ['Masuk', 'Log in'],
  username: ['Nama pengguna', 'Username'],
  password: ['Kata sandi', 'Password'],
  login_btn: ['Masuk', 'Log in'],
  login_wait: ['Terlalu banyak percobaan. Coba lagi dalam {s} detik.', 'Too many attempts. Try again in {s} seconds.'],
  session_expired: ['Sesi berakhir. Silakan masuk lagi.', 'Your session ended. Please log in again.'],
  // errors
  err_network: ['Tidak dapat menghubungi server. Periksa jaringan, lalu coba lagi — isian Anda tetap tersimpan di formulir.', 'Cannot reach the server. Check the network and try again — what you entered is still in the form.'],
  err_unavailable: ['Server sedang tidak dapat menjangkau basis data, jadi belum ada yang disimpan. Coba lagi sebentar lagi — isian Anda tetap di formulir.', 'The server cannot reach its database right now, so nothing was saved. Try again in a moment — what you entered is still in the form.'],
  err_retry_after: ['Coba lagi dalam {s} detik.', 'Try again in {s} seconds.'],
  err_changed: ['Data ini baru saja diubah orang lain. Muat ulang halaman untuk melihat versi terbaru.', 'Someone else just changed this. Reload the page to see the latest version.'],
  err_forbidden_view: ['Halaman ini tidak tersedia untuk peran Anda.', 'This page is not available for your role.'],
  err_not_found: ['Tidak ditemukan.', 'Not found.'],
  err_fields: ['Periksa isian yang ditandai.', 'Check the marked fields.'],
  err_required: ['Wajib diisi.', 'Required.'],
  // nav
  nav_board: ['Tempat tidur', 'Beds'],
  nav_checkin: ['Masuk', 'Check-in'],
  nav_out: ['Di luar', 'Out now'],
  nav_violation: ['Pelanggaran', 'Violation'],
  nav_residents: ['Klien', 'Residents'],
  nav_worklist: ['Rencana keluar', 'Exit plans'],
  nav_occupancy: ['Hunian', 'Occupancy'],
  nav_census: ['Sensus', 'Census'],
  nav_exits: ['Laporan keluar', 'Exits report'],
  nav_manage: ['Kamar & aturan', 'Rooms & rules'],
  nav_audit: ['Jejak audit', 'Audit trail'],
  // board
  board_title: ['Papan tempat tidur', 'Bed board'],
  st_free: ['Kosong', 'Free'],
  st_occupied: ['Terisi', 'Occupied'],
  st_out_of_service: ['Tidak dipakai', 'Out of service'],
  total: ['Total', 'Total'],
  beds_n: ['{n} tempat tidur', '{n} beds'],
  residents_out_n: ['{n} klien sedang di luar', '{n} residents out now'],
  since: ['sejak {d}', 'since {d}'],
  is_out: ['Di luar', 'Out'],
  is_overdue: ['Terlambat', 'Overdue'],
  room: ['Kamar', 'Room'],
  bed: ['Tempat tidur', 'Bed'],
  floor: ['Lantai', 'Floor'],
  room_sex_male: ['Laki-laki', 'Men'],
  room_sex_female: ['Perempuan', 'Women'],
  room_sex_any: ['Umum', 'Anyone'],
  no_beds: ['Rumah ini belum punya tempat tidur.', 'This house has no beds yet.'],
  checkin_here: ['Catat masuk →', 'Check in →'],
  // check-in
  checkin_title: ['Catat masuk (check-in)', 'Check in'],
  resident: ['Klien', 'Resident'],
  find_resident: ['Cari klien (nama atau nomor register)', 'Find resident (name or register number)'],
  type_to_search: ['Ketik sebagian nama atau nomor register, lalu tekan Cari.', 'Type part of a name or register number, then press Search.'],
  no_match: ['Tidak ada klien yang cocok.', 'No matching resident.'],
  already_in: ['sudah tinggal di rumah', 'already in residence'],
  new_resident: ['Klien baru', 'New resident'],
  create_resident: ['Buat data klien', 'Create resident'],
  created_resident: ['Data klien {name} dibuat.', 'Resident {name} created.'],
  no_create_hint: ['Klien belum terdaftar? Minta PK atau kepala rumah membuat datanya; setelah itu klien muncul di pencarian ini.', 'Resident not registered yet? Ask a caseworker or the house manager to create the record; it then appears in this search.'],
  choose_resident_first: ['Pilih klien dulu: hanya tempat tidur yang sesuai jenis kelaminnya yang ditampilkan.', 'Choose the resident first: only beds of rooms that fit their sex are listed.'],
  free_bed: ['Tempat tidur kosong', 'Free bed'],
  no_free_bed: ['Tidak ada tempat tidur kosong yang sesuai.', 'No suitable free bed.'],
  rules_title: ['Tata tertib rumah', 'House rules'],
  rules_ack: ['Klien telah membaca dan menyetujui tata tertib di atas', 'The resident has read and accepted the house rules above'],
  checked_in_at: ['Waktu masuk', 'Check-in time'],
  planned_exit_on: ['Rencana tanggal keluar', 'Planned exit date'],
  late_entry: ['Pencatatan terlambat / rencana keluar', 'Late entry / planned exit'],
  checkin_btn: ['Catat masuk', 'Check in'],
  checked_in: ['{name} masuk ke {bed}.', '{name} checked in to {bed}.'],
  // stay
  stay_title: ['Masa tinggal', 'Stay'],
  st_active: ['Aktif', 'Active'],
  st_closed: ['Selesai', 'Closed'],
  checked_in_at_v: ['Masuk', 'Checked in'],
  checked_out_at_v: ['Keluar', 'Checked out'],
  current_bed: ['Tempat tidur sekarang', 'Current bed'],
  transfer_title: ['Pindah tempat tidur', 'Transfer to another bed'],
  transfer_btn: ['Pindahkan', 'Transfer'],
  transfer_at: ['Waktu pindah', 'Transfer time'],
  transferred: ['{name} pindah ke {bed}.', '{name} moved to {bed}.'],
  checkout_title: ['Catat keluar (check-out)', 'Check out'],
  exit_reason: ['Alasan keluar', 'Exit reason'],
  destination: ['Tujuan', 'Destination'],
  notes: ['Catatan', 'Notes'],
  checked_out_at: ['Waktu keluar', 'Check-out time'],
  checkout_btn: ['Catat keluar', 'Check out'],
  checked_out: ['{name} tercatat keluar.', '{name} checked out.'],
  plan_link: ['Rencana keluar', 'Exit plan'],
  violation_link: ['Catat pelanggaran', 'Record a violation'],
  record_link: ['Data klien', 'Resident record'],
  // movements
  out_title: ['Klien di luar rumah', 'Who is out now'],
  nobody_out: ['Semua klien ada di rumah.', 'Everyone is in the house.'],
  out_since: ['Keluar', 'Left'],
  expected_back: ['Perkiraan kembali', 'Expected back'],
  overdue_by: ['Terlambat {d}', 'Overdue by {d}'],
  sign_in_btn: ['Catat kembali', 'Sign in (back)'],
  signed_in: ['{name} tercatat kembali.', '{name} signed back in.'],
  signed_in_late: ['{name} tercatat kembali (terlambat).', '{name} signed back in (late).'],
  sign_out_title: ['Izin keluar (sign-out)', 'Sign out'],
  purpose: ['Keperluan', 'Purpose'],
  where_to: ['Tujuan / tempat', 'Where to'],
  sign_out_btn: ['Catat izin keluar', 'Sign out'],
  signed_out: ['{name} tercatat keluar rumah.', '{name} signed out.'],
  currently_out: ['Sedang di luar rumah: {p}, kembali {d}.', 'Currently out: {p}, back by {d}.'],
  nobody_in: ['Tidak ada klien di rumah.', 'No resident in the house.'],
  // violations
  violation_title: ['Catat pelanggaran', 'Record a violation'],
  rule: ['Aturan yang dilanggar', 'Rule broken'],
  occurred_at: ['Waktu kejadian', 'When it happened'],
  description: ['Uraian kejadian', 'What happened'],
  action_taken: ['Tindakan yang diambil', 'Action taken'],
  violation_btn: ['Simpan pelanggaran', 'Save violation'],
  violation_saved: ['Pelanggaran {name} tercatat.', 'Violation by {name} recorded.'],
  recent_violations: ['Pelanggaran 30 hari terakhir', 'Violations of the last 30 days'],
  violations: ['Pelanggaran', 'Violations'],
  // residents
  residents_title: ['Daftar klien', 'Residents'],
  status: ['Status', 'Status'],
  all: ['Semua', 'All'],
  only_mine: ['Hanya klien saya', 'Only my residents'],
  full_name: ['Nama lengkap', 'Full name'],
  register_number: ['Nomor register', 'Register number'],
  sex: ['Jenis kelamin', 'Sex'],
  birth_date: ['Tanggal lahir', 'Birth date'],
  national_id: ['NIK', 'National ID (NIK)'],
  legal_status: ['Status hukum', 'Legal status'],
  supervision_ends_on: ['Akhir masa bimbingan', 'Supervision ends on'],
  phone: ['Telepon', 'Phone'],
  emergency_contact: ['Kontak darurat', 'Emergency contact'],
  ec_name: ['Nama kontak darurat', 'Emergency contact name'],
  ec_phone: ['Telepon kontak darurat', 'Emergency contact phone'],
  ec_relation: ['Hubungan', 'Relation'],
  caseworker: ['PK', 'Caseworker'],
  stays: ['Riwayat tinggal', 'Stays'],
  checkin_resident: ['Catat masuk klien ini', 'Check this resident in'],
  audit_link: ['Jejak audit', 'Audit trail'],
  resident_new_title: ['Klien baru', 'New resident'],
  nik_hint: ['16 angka', '16 digits'],
  // legal basis (dasar hukum)
  legal_title: ['Dasar hukum', 'Legal basis'],
  basis_type: ['Jenis dasar hukum', 'Type of legal basis'],
  starts_on: ['Mulai berlaku', 'In force from'],
  decree_number: ['Nomor SK / putusan', 'Decree or verdict number'],
  decree_date: ['Tanggal SK / putusan', 'Decree date'],
  issuing_authority: ['Diterbitkan oleh', 'Issued by'],
  guarantor: ['Penjamin', 'Guarantor'],
  guarantor_name: ['Nama penjamin', 'Name of the guarantor'],
  guarantor_relation: ['Hubungan dengan klien', 'Relation to the resident'],
  guarantor_phone: ['Telepon penjamin', 'Phone of the guarantor'],
  litmas_number: ['Nomor Litmas', 'Litmas number'],
  under_supervision: ['Dalam bimbingan', 'Under supervision'],
  days_left: ['tinggal {n} hari', '{n} days left'],
  last_day: ['hari terakhir', 'last day'],
  ended_ago: ['berakhir {n} hari lalu', 'ended {n} days ago'],
  caseworker_you: ['{name} (Anda)', '{name} (you)'],
  caseworker_other: ['PK lain', 'Another caseworker'],
  no_basis: ['Belum ada dasar hukum yang tercatat.', 'No legal basis recorded yet.'],
  basis_history: ['Riwayat dasar hukum', 'Earlier legal bases'],
  superseded_at: ['diganti', 'superseded'],
  basis_new: ['Catat dasar hukum baru', 'Record a new legal basis'],
  basis_new_hint: ['Dasar hukum baru menggantikan yang berlaku sekarang; yang lama tetap tersimpan di riwayat.', 'The new basis replaces the current one; the old one stays in the history.'],
  basis_record_btn: ['Simpan dasar hukum', 'Save legal basis'],
  basis_recorded: ['Dasar hukum baru tercatat.', 'New legal basis recorded.'],
  basis_superseded_reloaded: ['Sementara Anda mengisi, orang lain sudah mencatat dasar hukum baru untuk klien ini. Data terbaru sudah dimuat; periksa, lalu simpan lagi bila masih perlu.', 'While you were typing, someone else recorded a new legal basis for this resident. The latest data is shown now; check it, then save again if it is still needed.'],
  ends_hint: ['Hari terakhir masa bimbingan; kosong untuk Bebas murni.', 'The last day under supervision; empty for Bebas murni.'],
  decree_hint: ['Wajib, kecuali Bebas murni', 'Required, except for Bebas murni'],
  basis_correct: ['Koreksi data dasar hukum ini', 'Correct this legal basis'],
  basis_correct_hint: ['Hanya untuk memperbaiki salah catat. Keputusan baru (mis. CB menjadi PB) dicatat sebagai dasar hukum baru.', 'Only to fix a data-entry mistake. A new decision (e.g. CB becoming PB) is recorded as a new basis.'],
  correction_reason: ['Alasan koreksi', 'Reason for the correction'],
  last_correction: ['Alasan koreksi terakhir', 'Last correction reason'],
  basis_correct_btn: ['Simpan koreksi', 'Save correction'],
  basis_corrected: ['Koreksi dasar hukum tersimpan.', 'Correction saved.'],
  basis_revoke: ['Cabut dasar hukum ini (pencabutan)', 'Revoke this legal basis'],
  revoked_on: ['Dicabut sejak', 'Revoked as of'],
  revocation_reason: ['Alasan pencabutan', 'Reason for the revocation'],
  revocation_decree_number: ['Nomor SK pencabutan', 'Revocation decree number'],
  revoke_btn: ['Cabut dasar hukum', 'Revoke'],
  basis_revoked: ['Dasar hukum dicabut.', 'Legal basis revoked.'],
  follows_basis: ['Mengikuti dasar hukum yang berlaku; ubah lewat bagian Dasar hukum.', 'Follows the current legal basis; change it under Legal basis.'],
  // exit plan
  plan_title: ['Rencana keluar', 'Exit plan'],
  no_plan: ['Belum ada rencana keluar untuk masa tinggal ini.', 'This stay has no exit plan yet.'],
  target_exit_on: ['Target tanggal keluar', 'Target exit date'],
  destination_plan: ['Rencana tujuan', 'Planned destination'],
  summary: ['Ringkasan', 'Summary'],
  readiness: ['Kesiapan', 'Readiness'],
  goals: ['Sasaran', 'Goals'],
  domain: ['Bidang', 'Domain'],
  goal_title: ['Sasaran', 'Goal'],
  due_on: ['Tenggat', 'Due'],
  note: ['Catatan', 'Note'],
  add_goal: ['Tambah sasaran', 'Add goal'],
  goal_added: ['Sasaran ditambahkan.', 'Goal added.'],
  plan_saved: ['Rencana keluar disimpan.', 'Exit plan saved.'],
  no_goals: ['Belum ada sasaran.', 'No goals yet.'],
  overdue_goals: ['Sasaran lewat tenggat', 'Overdue goals'],
  worklist_title: ['Daftar kerja rencana keluar', 'Exit plan worklist'],
  due_within: ['Jatuh tempo dalam', 'Due within'],
  days_n: ['{n} hari', '{n} days'],
  // manager
  occupancy_title: ['Tingkat hunian', 'Occupancy'],
  occupancy_rate: ['Tingkat hunian', 'Occupancy rate'],
  by_sex: ['Menurut jenis kamar', 'By room type'],
  census_title: ['Sensus 90 hari terakhir', 'Census of the last 90 days'],
  census_desc: ['Jumlah klien yang tinggal setiap tengah malam, dari {from} sampai {to}; tertinggi {max}, terakhir {last}.', 'Residents present at each midnight from {from} to {to}; highest {max}, latest {last}.'],
  occupied_n: ['Terisi', 'Occupied'],
  check_ins: ['Masuk', 'Check-ins'],
  check_outs: ['Keluar', 'Check-outs'],
  date: ['Tanggal', 'Date'],
  table_view: ['Tabel data', 'Data table'],
  exits_title: ['Laporan klien keluar', 'Exits report'],
  from: ['Dari', 'From'],
  to: ['Sampai', 'To'],
  show: ['Tampilkan', 'Show'],
  stays_closed: ['Masa tinggal selesai', 'Stays closed'],
  avg_los: ['Rata-rata lama tinggal', 'Average length of stay'],
  days_v: ['{n} hari', '{n} days'],
  manage_title: ['Kamar, tempat tidur & tata tertib', 'Rooms, beds & rules'],
  add_room: ['Tambah kamar', 'Add room'],
  room_code: ['Kode kamar', 'Room code'],
  room_sex: ['Untuk', 'For'],
  add_bed: ['Tambah tempat tidur', 'Add bed'],
  bed_label: ['Label tempat tidur', 'Bed label'],
  take_oos: ['Nonaktifkan', 'Take out of service'],
  oos_reason: ['Alasan tidak dipakai', 'Reason out of service'],
  back_in_service: ['Aktifkan kembali', 'Back in service'],
  rules: ['Tata tertib', 'House rules'],
  add_rule: ['Tambah aturan', 'Add rule'],
  code: ['Kode', 'Code'],
  title: ['Judul', 'Title'],
  severity: ['Tingkat', 'Severity'],
  rule_desc: ['Uraian', 'Description'],
  retire: ['Nonaktifkan', 'Retire'],
  reactivate: ['Aktifkan', 'Reactivate'],
  retired: ['tidak berlaku', 'retired'],
  audit_title: ['Jejak audit', 'Audit trail'],
  entity_id: ['ID objek (mis. ID klien)', 'Object ID (e.g. resident ID)'],
  audit_for: ['Jejak audit: {name}', 'Audit trail: {name}'],
  when: ['Waktu', 'When'],
  who: ['Oleh', 'By'],
  action: ['Tindakan', 'Action'],
  object: ['Objek', 'Object'],
  changes: ['Perubahan', 'Changes'],
  no_audit: ['Tidak ada catatan audit.', 'No audit records.'],
};
const E = { // enumerations: [id, en] per value
  sex: { male: ['Laki-laki', 'Male'], female: ['Perempuan', 'Female'], any: ['Umum', 'Anyone'] },
  rstatus: { in_residence: ['Tinggal di rumah', 'In residence'], former: ['Mantan penghuni', 'Former'], new: ['Baru, belum masuk', 'New, not checked in'] },
  legal: { parole: ['Pembebasan Bersyarat (PB)', 'Parole'], conditional_leave: ['Cuti Bersyarat (CB)', 'Conditional leave'], pre_release_leave: ['Cuti Menjelang Bebas (CMB)', 'Pre-release leave'], assimilation: ['Asimilasi', 'Assimilation'], probation: ['Pidana bersyarat', 'Probation'], released: ['Bebas', 'Released'] },
  exit_reason: { completed: ['Program selesai', 'Completed'], transferred: ['Dipindahkan', 'Transferred'], absconded: ['Melarikan diri', 'Absconded'], revoked: ['Program dicabut', 'Revoked'], voluntary: ['Keluar atas kemauan sendiri', 'Voluntary'], deceased: ['Meninggal dunia', 'Deceased'], other: ['Lainnya', 'Other'] },
  destination: { family: ['Keluarga', 'Family'], independent_rental: ['Sewa sendiri (kos/kontrakan)', 'Own rental'], employer_housing: ['Mess tempat kerja', 'Employer housing'], other_housing: ['Tempat tinggal lain', 'Other housing'], shelter: ['Penampungan / rumah singgah', 'Shelter'], prison: ['Lapas / Rutan', 'Prison'], hospital: ['Rumah sakit', 'Hospital'], unknown: ['Tidak diketahui', 'Unknown'] },
  purpose: { work: ['Bekerja', 'Work'], training: ['Pelatihan', 'Training'], family_visit: ['Kunjungan keluarga', 'Family visit'], medical: ['Berobat', 'Medical'], reporting: ['Wajib lapor', 'Reporting duty'], religious: ['Ibadah', 'Religious'], other: ['Lainnya', 'Other'] },
  severity: { minor: ['Ringan', 'Minor'], major: ['Berat', 'Major'], critical: ['Sangat berat', 'Critical'] },
  goal_status: { planned: ['Direncanakan', 'Planned'], in_progress: ['Sedang berjalan', 'In progress'], achieved: ['Tercapai', 'Achieved'], dropped: ['Dibatalkan', 'Dropped'] },
  domain: { housing: ['Tempat tinggal', 'Housing'], employment: ['Pekerjaan', 'Employment'], business: ['Usaha (UMKM)', 'Business (UMKM)'], skills_training: ['Pelatihan keterampilan', 'Skills training'], education: ['Pendidikan', 'Education'], family: ['Keluarga', 'Family'], health: ['Kesehatan', 'Health'], documents: ['Dokumen', 'Documents'], finance: ['Keuangan', 'Finance'], legal: ['Hukum', 'Legal'], other: ['Lainnya', 'Other'] },
  basis_type: { pembebasan_bersyarat: ['Pembebasan Bersyarat (PB)', 'Parole (PB)'], cuti_bersyarat: ['Cuti Bersyarat (CB)', 'Conditional leave (CB)'], cuti_menjelang_bebas: ['Cuti Menjelang Bebas (CMB)', 'Pre-release leave (CMB)'], asimilasi: ['Asimilasi', 'Assimilation'], probation: ['Pidana Bersyarat / masa percobaan', 'Probation'], community_service: ['Pidana Kerja Sosial', 'Community service'], released: ['Bebas murni', 'Released (voluntary stay)'] },
  basis_status: { in_force: ['Berlaku', 'In force'], ended: ['Berakhir', 'Ended'], revoked: ['Dicabut', 'Revoked'], superseded: ['Diganti', 'Superseded'] },
  role: { staff: ['Petugas rumah', 'Staff'], caseworker: ['Pembimbing Kemasyarakatan', 'Caseworker'], manager: ['Kepala rumah', 'Manager'], admin: ['Admin sistem', 'Administrator'], partner: ['Mitra', 'Partner'] },
};
// the API's field messages are English; the common ones in Indonesian
const FIELD_ID = {
  'is required': 'wajib diisi', 'must be in the future': 'harus di masa depan', 'is in the future': 'tidak boleh di masa depan',
  'is outside the stay': 'di luar masa tinggal', 'the house rules must be acknowledged': 'tata tertib harus disetujui',
  'is invalid': 'tidak valid', 'must not be null': 'wajib diisi', 'is before the current bed period began': 'sebelum masa tempat tidur sekarang dimulai',
  'this register number is taken': 'nomor register ini sudah dipakai', 'must be a UUID': 'pilih dari daftar',
  'is required for this type': 'wajib untuk jenis ini', 'is required with a decree_number': 'wajib bila ada nomor SK',
  'is after today': 'tidak boleh setelah hari ini', 'is before starts_on': 'sebelum tanggal mulai berlaku',
  'must be null for a released basis': 'harus kosong untuk Bebas murni', 'is after supervision_ends_on': 'setelah akhir masa bimbingan',
  'is before the starts_on of the basis it supersedes': 'sebelum tanggal mulai dasar hukum yang digantikan',
};

let current = localStorage.getItem('abipraya.lang') === 'en' ? 'en' : 'id';
const ix = () => (current === 'en' ? 1 : 0);
export const lang = () => current;
export function setLang(l) {
  current = l === 'en' ? 'en' : 'id';
  localStorage.setItem('abipraya.lang', current);
  document.documentElement.lang = current;
}
export function t(key, vars) {
  const e = D[key];
  let s = e ? e[ix()] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  return s;
}
export const en = (kind, v) => (v == null ? '' : E[kind]?.[v]?.[ix()] ?? v);
export const enumValues = (kind) => Object.keys(E[kind]);
export const options = (kind) => enumValues(kind).map((v) => [v, en(kind, v)]);
export const fieldMsg = (m) => (current === 'id' && FIELD_ID[m]) || m;

// ---- time: the house's zone
const fmts = {};
function fmt(key, opts) { return (fmts[current + key] ||= new Intl.DateTimeFormat(current === 'en' ? 'en-GB' : 'id-ID', opts)); }
const partsF = {};
function parts(ms, tz) {
  const f = (partsF[tz] ||= new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
  const o = {};
  for (const p of f.formatToParts(new Date(ms))) o[p.type] = p.value;
  if (o.hour === '24') o.hour = '00';
  return o;
}
function offset(ms, tz) {
  const p = parts(ms, tz);
  return Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}
/** 'YYYY-MM-DDTHH:MM' read as a wall time in tz → RFC 3339 UTC */
export function localToIso(v, tz) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(v);
  if (!m) return v;
  const guess = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = guess - offset(guess, tz);
  ms = guess - offset(ms, tz);
  return new Date(ms).toISOString();
}
/** an instant → 'YYYY-MM-DDTHH:MM' wall time in tz (for datetime-local inputs) */
export function isoToLocal(iso, tz) {
  const p = parts(typeof iso === 'number' ? iso : Date.parse(iso), tz);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
export function today(tz, plusDays = 0) {
  const p = parts(Date.now() + plusDays * 864e5, tz);
  return `${p.year}-${p.month}-${p.day}`;
}
export const fmtDT = (iso, tz) => (iso ? fmt('dt' + tz, { timeZone: tz, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso)) : '');
export const fmtTime = (iso, tz) => (iso ? fmt('t' + tz, { timeZone: tz, hour: '2-digit', minute: '2-digit' }).format(new Date(iso)) : '');
export const fmtD = (d) => (d ? fmt('d', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(d + 'T00:00:00Z')) : '');
export const fmtShortD = (d) => fmt('sd', { timeZone: 'UTC', day: 'numeric', month: 'short' }).format(new Date(d + 'T00:00:00Z'));
export function fmtDuration(ms) {
  const min = Math.max(1, Math.round(ms / 60000));
  const en_ = current === 'en';
  if (min < 60) return min + (en_ ? ' min' : ' menit');
  const h = Math.floor(min / 60), m = min % 60;
  if (h < 48) return h + (en_ ? ' h' : ' jam') + (m ? ' ' + m + (en_ ? ' min' : ' menit') : '');
  return Math.floor(h / 24) + (en_ ? ' days' : ' hari');
}
export const fmtNum = (n, d = 0) => new Intl.NumberFormat(current === 'en' ? 'en-GB' : 'id-ID', { maximumFractionDigits: d, minimumFractionDigits: d }).format(n);
