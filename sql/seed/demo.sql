-- Demo data: Griya Abipraya Jambi (GAJ-01). Run with psql after the migrations, and again after the CLI
-- created the demo users admin, manager, caseworker, staff. Idempotent: the house is created if
-- missing, the users are attached to it, and the rest is loaded only while the house has no rooms.
-- Times are relative to now() so the demo always looks current. Writes rows directly (no audit).
\set ON_ERROR_STOP 1

BEGIN;

INSERT INTO app.houses (code, name, address, timezone, curfew)
VALUES ('GAJ-01', 'Griya Abipraya Jambi', 'Jl. Sultan Agung No. 12, Kel. Murni, Kec. Telanaipura, Kota Jambi',
        'Asia/Jakarta', '22:00')
ON CONFLICT (code) DO NOTHING;

UPDATE app.users SET house_ids = ARRAY[(SELECT id FROM app.houses WHERE code = 'GAJ-01')]
 WHERE username IN ('manager', 'caseworker', 'staff')
   AND house_ids IS DISTINCT FROM ARRAY[(SELECT id FROM app.houses WHERE code = 'GAJ-01')];

DO $seed$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    cw uuid := (SELECT id FROM app.users WHERE username = 'caseworker');
    st uuid := (SELECT id FROM app.users WHERE username = 'staff');
    room_id uuid;
    rm record; res record;
    bed_ids uuid[];
    stay_id uuid; plan_id uuid;
    n int := 0;
    t_in timestamptz; t_out timestamptz;
BEGIN
    IF EXISTS (SELECT 1 FROM app.rooms WHERE house_id = h) THEN
        RAISE NOTICE 'demo seed: GAJ-01 already has rooms; nothing to do';
        RETURN;
    END IF;

    -- Floor 1: men (4 rooms x 4 beds); floor 2: women (3 x 4) and a 2-bed room for anyone.
    FOR rm IN SELECT * FROM (VALUES
            ('L1-01', 1, 'male',   4, 'Dekat ruang piket'),
            ('L1-02', 1, 'male',   4, NULL),
            ('L1-03', 1, 'male',   4, NULL),
            ('L1-04', 1, 'male',   4, 'Kamar mandi dalam'),
            ('L2-01', 2, 'female', 4, 'Sayap perempuan, akses terpisah'),
            ('L2-02', 2, 'female', 4, NULL),
            ('L2-03', 2, 'female', 4, NULL),
            ('L2-04', 2, 'any',    2, 'Kamar observasi / penerimaan awal')) v(code, floor, sex, beds, notes)
    LOOP
        INSERT INTO app.rooms (house_id, code, floor, sex, notes) VALUES (h, rm.code, rm.floor, rm.sex, rm.notes)
        RETURNING id INTO room_id;
        INSERT INTO app.beds (room_id, house_id, label)
        SELECT room_id, h, chr(64 + i) FROM generate_series(1, rm.beds) i;
    END LOOP;
    UPDATE app.beds b SET status = 'out_of_service', status_reason = 'Rangka ranjang patah, menunggu perbaikan'
      FROM app.rooms r WHERE r.id = b.room_id AND r.code = 'L1-04' AND b.label = 'D';

    -- Tata tertib (house rules)
    INSERT INTO app.rules (house_id, code, title, description, severity) VALUES
        (h, 'TT-01', 'Jam malam 22.00', 'Semua penghuni sudah berada di dalam rumah paling lambat pukul 22.00 WIB, kecuali dengan izin tertulis petugas.', 'major'),
        (h, 'TT-02', 'Dilarang minuman beralkohol', 'Dilarang membawa, menyimpan atau mengonsumsi minuman beralkohol di dalam maupun sekitar rumah.', 'major'),
        (h, 'TT-03', 'Dilarang narkotika dan obat terlarang', 'Penyalahgunaan narkotika dilaporkan kepada Pembimbing Kemasyarakatan dan dapat berakibat pencabutan program.', 'critical'),
        (h, 'TT-04', 'Dilarang kekerasan dan ancaman', 'Tidak ada kekerasan fisik, verbal maupun ancaman terhadap sesama penghuni dan petugas.', 'critical'),
        (h, 'TT-05', 'Jam kunjungan', 'Tamu diterima pukul 10.00-17.00 WIB di ruang tamu, wajib lapor petugas dan mengisi buku tamu.', 'minor'),
        (h, 'TT-06', 'Piket kebersihan', 'Setiap penghuni menjalankan piket kebersihan kamar dan area bersama sesuai jadwal mingguan.', 'minor'),
        (h, 'TT-07', 'Wajib lapor', 'Penghuni memenuhi jadwal wajib lapor ke Bapas Kelas I Jambi dan kegiatan pembimbingan.', 'major'),
        (h, 'TT-08', 'Izin keluar rumah', 'Setiap keluar rumah dicatat petugas (tujuan dan perkiraan kembali); kembali tepat waktu.', 'minor'),
        (h, 'TT-09', 'Dilarang senjata tajam', 'Dilarang membawa senjata tajam atau benda berbahaya ke dalam rumah.', 'critical');

    -- Residents: (name, register no, sex, legal status, days since check-in or NULL = waiting,
    --             days since check-out or NULL, exit reason, destination)
    FOR res IN SELECT * FROM (VALUES
            ('Ahmad Fauzi',          'PB-2026-0012', 'male',   'parole',            64,   NULL::int, NULL, NULL),
            ('Budi Santoso',         'PB-2026-0015', 'male',   'parole',            58,   NULL, NULL, NULL),
            ('Dedi Kurniawan',       'AS-2026-0003', 'male',   'assimilation',      51,   NULL, NULL, NULL),
            ('Eko Prasetyo',         'CB-2026-0007', 'male',   'conditional_leave', 45,   NULL, NULL, NULL),
            ('Fajar Hidayat',        'PB-2026-0021', 'male',   'parole',            39,   NULL, NULL, NULL),
            ('Gunawan Saputra',      'CMB-2026-0004','male',   'pre_release_leave', 33,   NULL, NULL, NULL),
            ('Hendra Wijaya',        'PB-2026-0026', 'male',   'parole',            27,   NULL, NULL, NULL),
            ('Irfan Maulana',        'PS-2026-0002', 'male',   'probation',         20,   NULL, NULL, NULL),
            ('Joko Susilo',          'PB-2026-0030', 'male',   'parole',            14,   NULL, NULL, NULL),
            ('Kurniadi Rahman',      'AS-2026-0009', 'male',   'assimilation',       9,   NULL, NULL, NULL),
            ('Lukman Hakim',         'PB-2026-0033', 'male',   'parole',             3,   NULL, NULL, NULL),
            ('Siti Nurhaliza',       'PB-2026-0018', 'female', 'parole',            48,   NULL, NULL, NULL),
            ('Rina Marlina',         'CB-2026-0011', 'female', 'conditional_leave', 30,   NULL, NULL, NULL),
            ('Dewi Lestari',         'AS-2026-0006', 'female', 'assimilation',      12,   NULL, NULL, NULL),
            ('Muhammad Rizky',       'PB-2025-0187', 'male',   'parole',           150,   40,   'completed', 'family'),
            ('Slamet Riyadi',        'CB-2025-0142', 'male',   'conditional_leave',120,   25,   'completed', 'employer_housing'),
            ('Yusuf Effendi',        'PB-2025-0201', 'male',   'parole',            70,   18,   'absconded', 'unknown'),
            ('Nur Aisyah',           'PB-2025-0176', 'female', 'parole',           110,   35,   'completed', 'independent_rental'),
            ('Agus Salim',           'PB-2026-0035', 'male',   'parole',           NULL,  NULL, NULL, NULL),
            ('Wahyu Hidayatullah',   'AS-2026-0012', 'male',   'assimilation',     NULL,  NULL, NULL, NULL),
            ('Putri Handayani',      'CB-2026-0014', 'female', 'conditional_leave',NULL,  NULL, NULL, NULL))
            v(full_name, regno, sex, legal, days_in, days_out, reason, dest)
    LOOP
        n := n + 1;
        INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, national_id, legal_status,
                                   supervision_ends_on, caseworker_id, phone, notes, emergency_contact)
        VALUES (h, res.full_name, res.regno, res.sex, date '1975-03-01' + n * 523,
                '1571' || lpad((10101900000 + n * 7919)::text, 12, '0'), res.legal,
                current_date + 120 + n * 17, cw, '0812' || lpad((73300000 + n * 4111)::text, 8, '0'),
                CASE WHEN n % 4 = 0 THEN 'Riwayat penggunaan NAPZA; ikut konseling mingguan.' END,
                jsonb_build_object('name', CASE res.sex WHEN 'male' THEN 'Ibu ' ELSE 'Bapak ' END || split_part(res.full_name, ' ', 2),
                                   'phone', '0813' || lpad((52000000 + n * 313)::text, 8, '0'),
                                   'relation', CASE WHEN n % 3 = 0 THEN 'sibling' ELSE 'parent' END))
        RETURNING id INTO res.regno;      -- reuse the field to carry the new id
        CONTINUE WHEN res.days_in IS NULL;

        t_in := date_trunc('hour', now()) - make_interval(days => res.days_in) - interval '3 hours';
        t_out := CASE WHEN res.days_out IS NOT NULL THEN date_trunc('hour', now()) - make_interval(days => res.days_out) END;
        -- the first bed of the resident's wing that is free for the whole stay
        SELECT array_agg(b.id ORDER BY r.code, b.label) INTO bed_ids
          FROM app.beds b JOIN app.rooms r ON r.id = b.room_id
         WHERE b.house_id = h AND b.status = 'available' AND r.sex = res.sex
           AND NOT EXISTS (SELECT 1 FROM app.bed_periods p WHERE p.bed_id = b.id AND p.during && tstzrange(t_in, t_out));
        INSERT INTO app.stays (house_id, resident_id, checked_in_at, checked_out_at, planned_exit_on, exit_reason, destination, notes)
        VALUES (h, res.regno::uuid, t_in, t_out, (t_in + interval '180 days')::date, res.reason, res.dest,
                CASE res.reason WHEN 'absconded' THEN 'Tidak kembali setelah izin kerja; dilaporkan ke Bapas.'
                                WHEN 'completed' THEN 'Program selesai dengan baik.' END)
        RETURNING id INTO stay_id;
        INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at, to_at) VALUES (stay_id, bed_ids[1], h, t_in, t_out);
    END LOOP;

    -- Movements: a few returned ones, one out at work, one overdue from reporting duty.
    INSERT INTO app.movements (stay_id, house_id, resident_id, purpose, destination, out_at, expected_back_at, returned_at)
    SELECT s.id, h, s.resident_id, m.purpose, m.dest, now() + m.out_off, now() + m.back_off, now() + m.ret_off
      FROM (VALUES ('PB-2026-0012', 'work', 'Bengkel Las Sinar Jaya, Jl. Gatot Subroto', interval '-3 hours', interval '5 hours', NULL::interval),
                   ('CB-2026-0007', 'reporting', 'Bapas Kelas I Jambi', interval '-5 hours', interval '-2 hours', NULL),
                   ('PB-2026-0015', 'family_visit', 'Kel. Talang Banjar', interval '-3 days', interval '-3 days 6 hours' + interval '12 hours', interval '-2 days -18 hours'),
                   ('PB-2026-0018', 'training', 'BLK Jambi (pelatihan menjahit)', interval '-2 days', interval '-2 days' + interval '8 hours', interval '-2 days' + interval '9 hours'),
                   ('AS-2026-0003', 'medical', 'Puskesmas Simpang IV Sipin', interval '-1 day', interval '-1 day' + interval '4 hours', interval '-1 day' + interval '3 hours'))
           m(regno, purpose, dest, out_off, back_off, ret_off)
      JOIN app.residents r ON r.register_number = m.regno
      JOIN app.stays s ON s.resident_id = r.id AND s.checked_out_at IS NULL;

    -- Violations
    INSERT INTO app.violations (stay_id, house_id, resident_id, rule_id, occurred_at, description, action_taken, recorded_by)
    SELECT s.id, h, s.resident_id, ru.id, now() + v.ago, v.descr, v.action, st
      FROM (VALUES ('PB-2026-0021', 'TT-01', interval '-12 days', 'Kembali pukul 23.40 tanpa izin.', 'Teguran lisan, dicatat di buku jurnal.'),
                   ('PB-2026-0021', 'TT-06', interval '-5 days',  'Tidak menjalankan piket dapur.', 'Piket tambahan dua hari.'),
                   ('AS-2026-0003', 'TT-02', interval '-20 days', 'Membawa dua botol tuak ke kamar.', 'Barang disita; surat peringatan I; PK diberi tahu.'),
                   ('PB-2026-0026', 'TT-05', interval '-3 days',  'Menerima tamu pukul 19.00 di kamar.', 'Teguran lisan.'),
                   ('CB-2026-0011', 'TT-07', interval '-8 days',  'Tidak hadir wajib lapor tanpa alasan.', 'Dilaporkan ke PK; jadwal ulang wajib lapor.'))
           v(regno, rule, ago, descr, action)
      JOIN app.residents r ON r.register_number = v.regno
      JOIN app.stays s ON s.resident_id = r.id AND s.checked_out_at IS NULL
      JOIN app.rules ru ON ru.house_id = h AND ru.code = v.rule;

    -- Exit plans with goals in several domains
    FOR res IN SELECT * FROM (VALUES
            ('PB-2026-0012', 25, 'independent_rental', 'Sewa kamar dekat bengkel las; tabungan untuk deposit sudah berjalan.'),
            ('PB-2026-0015', 40, 'family',             'Kembali ke keluarga di Talang Banjar; mediasi keluarga dengan PK.'),
            ('CB-2026-0007', 60, 'employer_housing',   'Mess karyawan di kebun sawit mitra program.'),
            ('PB-2026-0018', 50, 'independent_rental', 'Usaha jahit rumahan (UMKM) dan sewa rumah petak.'),
            ('AS-2026-0003', 90, 'family',             'Tinggal dengan kakak; lanjut pelatihan barista.'))
            v(regno, target_days, dest, summary)
    LOOP
        SELECT s.id INTO stay_id FROM app.stays s JOIN app.residents r ON r.id = s.resident_id
         WHERE r.register_number = res.regno AND s.checked_out_at IS NULL;
        INSERT INTO app.exit_plans (stay_id, house_id, target_exit_on, destination_plan, summary)
        VALUES (stay_id, h, current_date + res.target_days, res.dest, res.summary) RETURNING id INTO plan_id;
        INSERT INTO app.goals (plan_id, stay_id, house_id, domain, title, due_on, status, note)
        SELECT plan_id, stay_id, h, g.domain, g.title, current_date + g.due, g.status, g.note
          FROM (VALUES ('documents',       'Perpanjang KTP dan buat BPJS Kesehatan', -10, 'achieved',    'Selesai di Disdukcapil.'),
                       ('employment',      'Kerja tetap dengan kontrak tertulis',      14, 'in_progress', NULL),
                       ('housing',         'Cari tempat tinggal setelah keluar',       res.target_days - 7, 'planned', NULL),
                       ('finance',         'Buka rekening tabungan',                   -3, 'planned',     'Belum ada waktu ke bank.'),
                       ('skills_training', 'Pelatihan keterampilan di BLK',            30, 'planned',     NULL),
                       ('family',          'Pertemuan keluarga difasilitasi PK',        7, 'dropped',     'Keluarga belum bersedia.'))
               g(domain, title, due, status, note)
         WHERE res.regno <> 'AS-2026-0003' OR g.domain IN ('documents', 'skills_training', 'family');
    END LOOP;
    UPDATE app.goals g SET domain = 'business', title = 'Modal usaha jahit (UMKM) dari program kemitraan'
      FROM app.stays s JOIN app.residents r ON r.id = s.resident_id
     WHERE g.stay_id = s.id AND r.register_number = 'PB-2026-0018' AND g.domain = 'employment';

    -- Legal bases (§15.2): every resident under the decree its legal status names; the
    -- resident's supervision end follows its basis. PB-2026-0030's supervision ends in 5 days.
    UPDATE app.residents SET supervision_ends_on = current_date + 5
     WHERE house_id = h AND register_number = 'PB-2026-0030';
    INSERT INTO app.legal_bases (resident_id, house_id, type, decree_number, decree_date, issuing_authority,
                                 starts_on, supervision_ends_on, litmas_number, caseworker_id, recorded_by)
    SELECT r.id, h, t.type, 'PAS-' || r.register_number || '/SK/2026', current_date - 190,
           CASE WHEN t.type = 'probation' THEN 'Pengadilan Negeri Jambi' ELSE 'Direktorat Jenderal Pemasyarakatan' END,
           current_date - 180, r.supervision_ends_on, 'LITMAS/' || r.register_number, r.caseworker_id, cw
      FROM app.residents r
      JOIN (VALUES ('parole', 'pembebasan_bersyarat'), ('conditional_leave', 'cuti_bersyarat'),
                   ('pre_release_leave', 'cuti_menjelang_bebas'), ('assimilation', 'asimilasi'),
                   ('probation', 'probation')) t(legal_status, type) ON t.legal_status = r.legal_status
     WHERE r.house_id = h;

    -- Reporting duty (§15.3): a monthly schedule for everyone under supervision, set 150 days
    -- ago, and the reports of the months since (at Bapas, some by video call, a few late in the
    -- grace). CB-2026-0011 missed her last two periods in a row (the critical alert),
    -- PB-2026-0021 his last one; CMB-2026-0004's period in hospital is excused.
    INSERT INTO app.reporting_schedules (resident_id, house_id, frequency, day_of_month, starts_on, grace_days,
                                         remote_allowed, notes, created_at, updated_at)
    SELECT b.resident_id, h, 'monthly', 3 + (row_number() OVER (ORDER BY r.register_number))::int % 25,
           current_date - 150, 3, r.register_number LIKE 'CB-%',
           'Lapor diri ke Bapas Kelas I Jambi, Jl. Sumantri Brojonegoro.', now() - interval '150 days',
           now() - interval '150 days'
      FROM app.legal_bases b JOIN app.residents r ON r.id = b.resident_id
     WHERE b.house_id = h AND b.superseded_at IS NULL AND b.type <> 'released';
    INSERT INTO app.reporting_schedule_versions (schedule_id, version, frequency, day_of_month, interval_days,
                                                 starts_on, grace_days, remote_allowed, set_by, set_at)
    SELECT s.id, 1, s.frequency, s.day_of_month, s.interval_days, s.starts_on, s.grace_days, s.remote_allowed,
           cw, s.created_at
      FROM app.reporting_schedules s WHERE s.house_id = h;
    WITH due AS (   -- each schedule's due dates so far: day D of every month, clamped to its end
        SELECT s.resident_id, r.register_number AS regno, d.due_on, s.grace_days,
               row_number() OVER (PARTITION BY s.resident_id ORDER BY d.due_on DESC) AS back
          FROM app.reporting_schedules s JOIN app.residents r ON r.id = s.resident_id
         CROSS JOIN LATERAL (
               SELECT m::date + least(s.day_of_month, extract(day FROM m + interval '1 month' - interval '1 day')::int) - 1 AS due_on
                 FROM generate_series(date_trunc('month', s.starts_on), current_date, interval '1 month') m) d
         WHERE s.house_id = h AND d.due_on >= s.starts_on AND d.due_on + s.grace_days < current_date)
    INSERT INTO app.reporting_records (resident_id, house_id, reported_at, method, remote_reason, location, verified_by,
                                       created_at, updated_at)
    SELECT due.resident_id, h, t.at,
           CASE WHEN due.regno LIKE 'CB-%' AND due.back = 2 THEN 'video_call' ELSE 'in_person' END,
           CASE WHEN due.regno LIKE 'CB-%' AND due.back = 2 THEN 'Sedang bekerja di luar kota (izin PK).' END,
           CASE WHEN due.regno LIKE 'CB-%' AND due.back = 2 THEN NULL ELSE 'Kantor Bapas Kelas I Jambi' END,
           cw, t.at, t.at
      FROM due
     CROSS JOIN LATERAL (SELECT ((due.due_on - CASE WHEN due.regno = 'AS-2026-0003' AND due.back = 1 THEN -2
                                                    ELSE (due.back % 3)::int END)
                                 + time '10:00') AT TIME ZONE 'Asia/Jakarta' AS at) t
     WHERE NOT (due.regno = 'CB-2026-0011' AND due.back <= 2)
       AND NOT (due.regno = 'PB-2026-0021' AND due.back = 1)
       AND NOT (due.regno = 'CMB-2026-0004' AND due.back = 1);
    INSERT INTO app.reporting_excuses (resident_id, house_id, due_on, reason, excused_by)
    SELECT due.resident_id, h, due.due_on, 'Rawat inap di RSUD Raden Mattaher; surat keterangan dokter diserahkan.', cw
      FROM (SELECT s.resident_id, max(d) AS due_on
              FROM app.reporting_schedules s JOIN app.residents r ON r.id = s.resident_id
             CROSS JOIN LATERAL generate_series(s.starts_on, current_date - 4, interval '1 day') g(d)
             WHERE r.register_number = 'CMB-2026-0004' AND s.house_id = h
               AND extract(day FROM g.d) = least(s.day_of_month, extract(day FROM date_trunc('month', g.d) + interval '1 month' - interval '1 day'))
             GROUP BY s.resident_id) due;
    -- a stay past 60 days shows the long-stay alert (§15.6)
    UPDATE app.houses SET long_stay_days = 60 WHERE id = h;

    RAISE NOTICE 'demo seed: GAJ-01 loaded';
END $seed$;

-- Partners and programmes (contract §16.2, §16.4, §16.5): a BLK welding course with a
-- certificate, a UMKM mentoring programme that is full with a waitlist, and the house's own
-- weekly personality development, with two months of sessions; a finished BLK sewing course
-- with two completions and their certificates (§16.7). Loaded once: while the house
-- has no programme. Attendance (§16.6) comes with its table.
DO $programmes$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    cw uuid := (SELECT id FROM app.users WHERE username = 'caseworker');
    blk uuid; koperasi uuid;
    p_las uuid; p_umkm uuid; p_rohani uuid; p_jahit uuid;
    res record;
    n int := 0;
BEGIN
    IF h IS NULL OR EXISTS (SELECT 1 FROM app.programmes WHERE house_id = h) THEN
        RETURN;
    END IF;
    INSERT INTO app.partners (name, kind, house_ids, contact, address, agreement_number, agreement_signed_on,
                              agreement_valid_until)
    SELECT x.name, x.kind, ARRAY[h], x.contact, x.address, x.num, x.signed, x.until
      FROM (VALUES
        ('UPTD BLK Kota Jambi', 'training_centre', '{"name": "Kepala Seksi Pelatihan", "phone": "0741-61234"}'::jsonb,
         'Jl. Lingkar Selatan, Kec. Paal Merah, Kota Jambi', 'PKS/BLK-JMB/014/2026', current_date - 200, current_date + 165),
        ('Dinas Koperasi dan UMKM Kota Jambi', 'city_government', '{"name": "Bidang Pemberdayaan UMKM"}'::jsonb,
         'Jl. Jend. A. Thalib, Kota Jambi', 'PKS/DISKOP-JMB/007/2026', current_date - 120, current_date + 20))
        AS x(name, kind, contact, address, num, signed, until)
     WHERE NOT EXISTS (SELECT 1 FROM app.partners p WHERE lower(btrim(p.name)) = lower(btrim(x.name)));
    blk := (SELECT id FROM app.partners WHERE name = 'UPTD BLK Kota Jambi');
    koperasi := (SELECT id FROM app.partners WHERE name = 'Dinas Koperasi dan UMKM Kota Jambi');

    INSERT INTO app.programmes (house_id, kind, title, description, partner_id, starts_on, ends_on, capacity,
                                planned_sessions, hours_required, certificate, status)
    VALUES (h, 'skills_training', 'Pelatihan Las Listrik Dasar', 'Kelas las SMAW tingkat dasar di bengkel BLK, dua kali seminggu.',
            blk, current_date - 60, current_date + 30, 6, 24, 48, true, 'running')
    RETURNING id INTO p_las;
    INSERT INTO app.programmes (house_id, kind, title, description, partner_id, starts_on, ends_on, capacity,
                                planned_sessions, hours_required, certificate, status)
    VALUES (h, 'business_mentoring', 'Pendampingan UMKM: Usaha Makanan Rumahan', 'Pendampingan usaha, NIB lewat OSS, dan pembukuan sederhana.',
            koperasi, current_date - 30, current_date + 60, 2, 8, NULL, false, 'open')
    RETURNING id INTO p_umkm;
    INSERT INTO app.programmes (house_id, kind, title, description, starts_on, status)
    VALUES (h, 'personality_development', 'Pembinaan Kepribadian: Kajian Mingguan', 'Kajian dan konseling kelompok setiap Jumat sore.',
            current_date - 60, 'running')
    RETURNING id INTO p_rohani;

    -- residents with an open stay, in register order: four in the welding course, the UMKM
    -- programme full with two waitlisted, everyone in the weekly programme
    FOR res IN SELECT r.id FROM app.residents r JOIN app.stays s ON s.resident_id = r.id AND s.checked_out_at IS NULL
                WHERE r.house_id = h ORDER BY r.register_number LOOP
        n := n + 1;
        IF n <= 4 THEN
            INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, enrolled_at, created_at)
            VALUES (p_las, h, res.id, 'enrolled', now() - interval '55 days', now() - interval '55 days');
        END IF;
        IF n BETWEEN 3 AND 6 THEN
            INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, enrolled_at, waitlisted_at, created_at)
            VALUES (p_umkm, h, res.id, CASE WHEN n <= 4 THEN 'enrolled' ELSE 'waitlisted' END,
                    CASE WHEN n <= 4 THEN now() - interval '25 days' END,
                    CASE WHEN n > 4 THEN now() - interval '20 days' + n * interval '1 hour' END,
                    now() - interval '25 days' + n * interval '1 hour');
        END IF;
        INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, enrolled_at, created_at)
        VALUES (p_rohani, h, res.id, 'enrolled', now() - interval '58 days', now() - interval '58 days');
    END LOOP;
    INSERT INTO app.enrolment_stages (enrolment_id, stage, at, by_user)
    SELECT e.id, e.stage, e.created_at, cw FROM app.enrolments e WHERE e.house_id = h;
    -- sessions over two months: the welding course on Tuesdays and Thursdays, the weekly
    -- programme on Fridays, the UMKM programme every other Wednesday; past ones held, one
    -- cancelled for rain, the rest scheduled (house time, Asia/Jakarta)
    INSERT INTO app.programme_sessions (programme_id, house_id, scheduled_at, duration_minutes, topic, location,
                                        facilitator_name, status, cancel_reason)
    SELECT x.pid, h, (d + x.at) AT TIME ZONE 'Asia/Jakarta', x.minutes, x.topic || ' (' || to_char(d, 'DD/MM') || ')',
           x.location, x.facilitator,
           CASE WHEN d < current_date THEN 'held' ELSE 'scheduled' END, NULL
      FROM (VALUES (p_las, ARRAY[2, 4], time '08:30', 120, 'Praktik las SMAW', 'Bengkel UPTD BLK Kota Jambi', 'Instruktur BLK', 1),
                   (p_rohani, ARRAY[5], time '15:30', 90, 'Kajian dan konseling kelompok', 'Aula Griya', 'Ustaz Rahmat', 1),
                   (p_umkm, ARRAY[3], time '13:00', 120, 'Pendampingan usaha', 'Kantor Dinas Koperasi dan UMKM', 'Pendamping UMKM', 2))
           AS x(pid, dows, at, minutes, topic, location, facilitator, every)
     CROSS JOIN LATERAL generate_series(greatest(current_date - 56, (SELECT starts_on FROM app.programmes WHERE id = x.pid)),
                                        current_date + 14, interval '1 day') g(day)
     CROSS JOIN LATERAL (SELECT g.day::date AS d) dd
     WHERE extract(isodow FROM d) = ANY (x.dows)
       AND (x.every = 1 OR (d - (current_date - 56)) / 7 % 2 = 0);
    UPDATE app.programme_sessions SET status = 'cancelled', cancel_reason = 'Hujan deras, bengkel tergenang'
     WHERE id = (SELECT id FROM app.programme_sessions WHERE programme_id = p_las AND scheduled_at < now() - interval '14 days'
                  ORDER BY scheduled_at DESC LIMIT 1);
    -- the sheets of the held sessions: each enrolment enrolled by then, mostly present, some
    -- late (half an hour short), a few excused or absent (a fixed draw per record, so every
    -- seed looks alike); the first resident of the weekly programme missed its last three
    -- (a programme_consecutive_absences alert). A session held before an enrolment joined has
    -- no record of it (its sheet shows it excused).
    INSERT INTO app.attendance (session_id, programme_id, enrolment_id, status, hours)
    SELECT x.sid, x.pid, x.eid, x.status,
           CASE x.status WHEN 'present' THEN round(x.minutes / 60.0, 2)
                         WHEN 'late' THEN round(x.minutes / 60.0 - 0.5, 2) ELSE 0 END
      FROM (SELECT s.id AS sid, s.programme_id AS pid, e.id AS eid, s.duration_minutes AS minutes,
                   CASE WHEN e.seq = (SELECT min(f.seq) FROM app.enrolments f WHERE f.programme_id = p_rohani)
                             AND s.id IN (SELECT t.id FROM app.programme_sessions t
                                           WHERE t.programme_id = p_rohani AND t.status = 'held'
                                           ORDER BY t.scheduled_at DESC LIMIT 3) THEN 'absent'
                        ELSE (ARRAY['present', 'present', 'present', 'present', 'present', 'present', 'present',
                                    'present', 'present', 'present', 'present', 'present', 'present', 'late',
                                    'late', 'late', 'excused', 'absent', 'absent', 'present'])
                             [1 + abs(hashtext(e.id::text || s.id::text)) % 20] END AS status
              FROM app.programme_sessions s
              JOIN app.enrolments e ON e.programme_id = s.programme_id AND e.stage = 'enrolled'
                                   AND e.enrolled_at <= s.scheduled_at
             WHERE s.house_id = h AND s.status = 'held') x;
    UPDATE app.programme_sessions s SET attendance_version = 1,
           attendance_recorded_at = s.scheduled_at + s.duration_minutes * interval '1 minute', attendance_recorded_by = cw
     WHERE s.house_id = h AND s.status = 'held';

    -- the finished sewing course (§16.7): ten sessions of 2.5 hours every four days up to two
    -- days ago; Siti Nurhaliza (one absence, 22.5 hours) and Rina Marlina (joined ten days
    -- later, every session: 20 hours) completed it yesterday with certificates 001 and 002;
    -- Dewi Lestari joined late and was left not_completed when it finished (a manager may still
    -- complete her in the console, with a reason)
    INSERT INTO app.programmes (house_id, kind, title, description, partner_id, starts_on, ends_on, capacity,
                                planned_sessions, hours_required, certificate, status)
    VALUES (h, 'skills_training', 'Kursus Menjahit Dasar', 'Menjahit dan permak pakaian di bengkel jahit BLK, tiap empat hari.',
            blk, current_date - 40, current_date - 1, 8, 10, 20, true, 'finished')
    RETURNING id INTO p_jahit;
    INSERT INTO app.enrolments (programme_id, house_id, resident_id, stage, enrolled_at, completed_on,
                                certificate_number, certificate_issued_on, created_at)
    SELECT p_jahit, h, r.id, x.stage, (current_date - x.ago + time '08:00') AT TIME ZONE 'Asia/Jakarta', x.done, x.cert, x.done,
           (current_date - x.ago + time '08:00') AT TIME ZONE 'Asia/Jakarta'
      FROM (VALUES ('PB-2026-0018', 40, 'completed', current_date - 1, '001'),
                   ('CB-2026-0011', 30, 'completed', current_date - 1, '002'),
                   ('AS-2026-0006', 11, 'not_completed', NULL::date, NULL)) x(regno, ago, stage, done, cert)
      JOIN app.residents r ON r.register_number = x.regno AND r.house_id = h;
    INSERT INTO app.enrolment_stages (enrolment_id, stage, at, by_user)
    SELECT e.id, 'enrolled', e.created_at, cw FROM app.enrolments e WHERE e.programme_id = p_jahit
    UNION ALL
    SELECT e.id, e.stage, (current_date - 1 + time '16:00') AT TIME ZONE 'Asia/Jakarta',
           CASE e.stage WHEN 'completed' THEN cw END       -- the finishing is the daemon's (by null)
      FROM app.enrolments e WHERE e.programme_id = p_jahit
     ORDER BY 3;
    INSERT INTO app.programme_sessions (programme_id, house_id, scheduled_at, duration_minutes, topic, location,
                                        facilitator_name, status, attendance_version, attendance_recorded_at, attendance_recorded_by)
    SELECT p_jahit, h, (g.d::date + time '09:00') AT TIME ZONE 'Asia/Jakarta', 150, 'Menjahit dasar (' || to_char(g.d, 'DD/MM') || ')',
           'Bengkel jahit UPTD BLK Kota Jambi', 'Instruktur BLK', 'held', 1,
           (g.d::date + time '11:30') AT TIME ZONE 'Asia/Jakarta', cw
      FROM generate_series(current_date - 38, current_date - 2, interval '4 days') g(d);
    INSERT INTO app.attendance (session_id, programme_id, enrolment_id, status, hours)
    SELECT s.id, p_jahit, e.id, x.status, CASE x.status WHEN 'present' THEN 2.5 ELSE 0 END
      FROM app.programme_sessions s
      JOIN app.enrolments e ON e.programme_id = s.programme_id AND e.enrolled_at <= s.scheduled_at
      JOIN app.residents r ON r.id = e.resident_id
     CROSS JOIN LATERAL (SELECT CASE WHEN (r.register_number = 'PB-2026-0018' AND (s.scheduled_at AT TIME ZONE 'Asia/Jakarta')::date = current_date - 22)
                                       OR (r.register_number = 'AS-2026-0006' AND (s.scheduled_at AT TIME ZONE 'Asia/Jakarta')::date = current_date - 6)
                                     THEN 'absent' ELSE 'present' END AS status) x
     WHERE s.programme_id = p_jahit;
    RAISE NOTICE 'demo seed: GAJ-01 programmes loaded';
END $programmes$;

-- Micro-businesses (§16.8). Loaded once the demo caseworker exists (scripts/run's second
-- seeding), because a stage history is append-only: its authors cannot be filled in later.
DO $businesses$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    cw uuid := (SELECT id FROM app.users WHERE username = 'caseworker');
BEGIN
    IF cw IS NULL OR EXISTS (SELECT 1 FROM app.businesses WHERE house_id = h) THEN
        RETURN;
    END IF;
    -- Micro-businesses (§16.8): four residents' businesses at different stages, each history
    -- ending in the business's stage, and their monthly records. PB-2026-0012's coffee stall is
    -- credit-ready (NIB, KUR, seven months of trading); PB-2026-0018's tailoring is ready through
    -- its training stage and SKU; CB-2026-0007's catfish ponds are paused; PB-2025-0187 (former)
    -- has a business plan and a first month of sales.
    INSERT INTO app.businesses (resident_id, house_id, name, sector, description, started_on, stage, stage_since,
                                nib, sku_number, sku_issued_on, created_at, updated_at, version)
    SELECT r.id, h, b.name, b.sector, b.description, current_date - b.started_ago, b.stage,
           current_date - b.since_ago, b.nib, b.sku, current_date - b.sku_ago, now() - make_interval(days => b.created_ago),
           now() - make_interval(days => b.since_ago), b.entries
      FROM (VALUES
            ('PB-2026-0012', 'Kopi Tiam Fauzi', 'food_beverage', 'Kopi dan roti bakar di depan Pasar Angso Duo.',
             230, 'operating', 20, '9120301234567', NULL, NULL, 240, 5),
            ('PB-2026-0018', 'Jahit Siti', 'garment', 'Jahit dan permak pakaian; seragam sekolah.',
             100, 'registered', 30, NULL, 'SKU/474/TLP/2026/118', 32, 110, 3),
            ('CB-2026-0007', 'Lele Eko', 'livestock_fishery', 'Dua kolam terpal lele sangkuriang.',
             150, 'paused', 10, NULL, 'SKU/474/TLP/2026/064', 90, 160, 5),
            ('PB-2025-0187', 'Bengkel Motor Rizky', 'repair', 'Servis ringan dan tambal ban.',
             NULL, 'business_plan', 40, NULL, NULL, NULL, 45, 2))
           b(regno, name, sector, description, started_ago, stage, since_ago, nib, sku, sku_ago, created_ago, entries)
      JOIN app.residents r ON r.register_number = b.regno;
    INSERT INTO app.business_stages (business_id, stage, "on", at, by, note, capital_source, amount_idr)
    SELECT z.id, e.stage, current_date - e.ago, now() - make_interval(days => e.ago), cw, e.note, e.source, e.amount
      FROM (VALUES
            ('PB-2026-0012', 'idea', 240, NULL, NULL, NULL::bigint),
            ('PB-2026-0012', 'trained', 210, 'Pelatihan SIYB bersama Dinas Koperasi dan UMKM Kota Jambi.', NULL, NULL),
            ('PB-2026-0012', 'registered', 200, 'NIB terbit lewat OSS.', NULL, NULL),
            ('PB-2026-0012', 'funded', 190, 'KUR Super Mikro.', 'kur', 10000000),
            ('PB-2026-0012', 'operating', 20, 'Pindah ke kios tetap.', NULL, NULL),
            ('PB-2026-0018', 'idea', 110, NULL, NULL, NULL),
            ('PB-2026-0018', 'trained', 60, 'Kursus menjahit BLK Jambi.', NULL, NULL),
            ('PB-2026-0018', 'registered', 30, 'SKU dari Kelurahan Murni.', NULL, NULL),
            ('CB-2026-0007', 'business_plan', 160, NULL, NULL, NULL),
            ('CB-2026-0007', 'registered', 90, NULL, NULL, NULL),
            ('CB-2026-0007', 'funded', 80, 'Modal dari keluarga.', 'family', 3500000),
            ('CB-2026-0007', 'operating', 75, NULL, NULL, NULL),
            ('CB-2026-0007', 'paused', 10, 'Kolam rusak setelah banjir.', NULL, NULL),
            ('PB-2025-0187', 'idea', 45, NULL, NULL, NULL),
            ('PB-2025-0187', 'business_plan', 40, 'Rencana usaha disusun bersama PK.', NULL, NULL))
           e(regno, stage, ago, note, source, amount)
      JOIN app.residents r ON r.register_number = e.regno
      JOIN app.businesses z ON z.resident_id = r.id
     ORDER BY e.regno, e.ago DESC;
    -- months back from the current one, revenue growing a little each month
    INSERT INTO app.business_months (business_id, month, revenue_idr, costs_idr, workers, note, created_at, updated_at)
    SELECT z.id, (date_trunc('month', current_date) - make_interval(months => k))::date,
           m.revenue - k * m.step, m.costs - k * m.step / 2, m.workers,
           CASE WHEN k = 0 AND m.regno = 'CB-2026-0007' THEN 'Tidak panen: kolam diperbaiki.' END,
           now() - make_interval(days => 30 * k), now() - make_interval(days => 30 * k)
      FROM (VALUES
            ('PB-2026-0012', 6, 4500000, 2700000, 150000, 2),
            ('PB-2026-0018', 2, 2100000, 900000, 100000, 1),
            ('CB-2026-0007', 2, 3000000, 1800000, 0, 1),
            ('PB-2025-0187', 0, 600000, 350000, 0, 1))
           m(regno, months_back, revenue, costs, step, workers)
      JOIN app.residents r ON r.register_number = m.regno
      JOIN app.businesses z ON z.resident_id = r.id
     CROSS JOIN LATERAL generate_series(0, m.months_back) k;
    UPDATE app.business_months x SET revenue_idr = 0, costs_idr = 250000
      FROM app.businesses z JOIN app.residents r ON r.id = z.resident_id
     WHERE x.business_id = z.id AND r.register_number = 'CB-2026-0007' AND x.month = date_trunc('month', current_date);
    RAISE NOTICE 'demo seed: GAJ-01 businesses loaded';
END $businesses$;

-- The house's nights (§17.3-17.9), loaded once the demo users exist (holds, roll-calls and
-- handover notes name their authors): a pending referral holding a men's bed for three days,
-- an accepted referral expected tomorrow (its resident made as acceptance makes one), a bed in
-- turnover after a check-out an hour ago, last night's closed evening roll-call (everyone
-- present, one excused) and two handover notes. Times follow now() and the house's zone.
DO $nights$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    -- the authors: the demo users, or the admin where one is not made yet (tests/e2e/run.sh
    -- and scripts/run seed first with the admin alone, and this block loads once)
    adm uuid := (SELECT id FROM app.users WHERE username = 'admin');
    mgr uuid := coalesce((SELECT id FROM app.users WHERE username = 'manager'), adm);
    cw uuid := coalesce((SELECT id FROM app.users WHERE username = 'caseworker'), adm);
    st uuid := coalesce((SELECT id FROM app.users WHERE username = 'staff'), adm);
    today date := (now() AT TIME ZONE 'Asia/Jakarta')::date;
    ref_id uuid; res_id uuid; stay_id uuid; bed_id uuid; rc_id uuid; rc_at timestamptz;
    t_out timestamptz := date_trunc('minute', now()) - interval '1 hour';
BEGIN
    IF adm IS NULL OR EXISTS (SELECT 1 FROM app.referrals WHERE house_id = h) THEN
        RETURN;
    END IF;
    -- a men's bed free now and from here on, the first of the house's order
    SELECT b.id INTO bed_id FROM app.beds b JOIN app.rooms r ON r.id = b.room_id
     WHERE b.house_id = h AND b.status = 'available' AND r.sex = 'male'
       AND NOT EXISTS (SELECT 1 FROM app.bed_claims c WHERE c.bed_id = b.id AND c.during && tstzrange(now() - interval '91 days', NULL))
     ORDER BY r.code DESC, b.label DESC LIMIT 1;
    INSERT INTO app.referrals (house_id, full_name, register_number, sex, birth_date, from_institution, institution_kind,
                               litmas_number, expected_legal_basis, expected_supervision_ends_on, expected_arrival_on,
                               caseworker_id, notes, created_at)
    VALUES (h, 'Rahmat Hidayat', 'PB-2026-0041', 'male', date '1991-07-14', 'Lapas Kelas IIA Jambi', 'lapas',
            'LITMAS/PB-2026-0041', 'pembebasan_bersyarat', today + 200, today + 2, nullif(cw, adm),
            'Menunggu SK PB dari Ditjenpas; keluarga di Kota Jambi bersedia menjamin.', now() - interval '2 days')
    RETURNING id INTO ref_id;
    INSERT INTO app.holds (house_id, bed_id, referral_id, from_at, until, end_at, reason, created_by, created_at)
    VALUES (h, bed_id, ref_id, now(), now() + interval '3 days', now() + interval '3 days',
            'Rujukan Lapas Kelas IIA Jambi, kedatangan lusa.', cw, now());
    -- accepted yesterday by the manager: the resident made from it, status new, no stay yet
    INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, legal_status, supervision_ends_on, caseworker_id)
    VALUES (h, 'Sri Wahyuni', 'CB-2026-0019', 'female', date '1988-02-03', 'conditional_leave', today + 150, nullif(cw, adm))
    RETURNING id INTO res_id;
    INSERT INTO app.referrals (house_id, full_name, register_number, sex, birth_date, from_institution, institution_kind,
                               expected_legal_basis, expected_supervision_ends_on, expected_arrival_on, caseworker_id,
                               status, decided_at, decided_by, resident_id, created_at, version)
    VALUES (h, 'Sri Wahyuni', 'CB-2026-0019', 'female', date '1988-02-03', 'LPP Kelas IIB Jambi', 'lpp',
            'cuti_bersyarat', today + 150, today + 1, nullif(cw, adm), 'accepted', now() - interval '1 day', mgr, res_id,
            now() - interval '4 days', 2);
    -- a resident who left an hour ago: the bed he left is being cleaned for three hours
    SELECT b.id INTO bed_id FROM app.beds b JOIN app.rooms r ON r.id = b.room_id
     WHERE b.house_id = h AND b.status = 'available' AND r.sex = 'male'
       AND NOT EXISTS (SELECT 1 FROM app.bed_claims c WHERE c.bed_id = b.id AND c.during && tstzrange(now() - interval '91 days', NULL))
     ORDER BY r.code DESC, b.label DESC LIMIT 1;
    INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, legal_status, supervision_ends_on, caseworker_id)
    VALUES (h, 'Taufik Ismail', 'AS-2026-0001', 'male', date '1983-11-20', 'assimilation', today + 30, nullif(cw, adm))
    RETURNING id INTO res_id;
    INSERT INTO app.stays (house_id, resident_id, checked_in_at, checked_out_at, planned_exit_on, exit_reason, destination, notes)
    VALUES (h, res_id, t_out - interval '90 days', t_out, today, 'completed', 'family', 'Program selesai; dijemput keluarga.')
    RETURNING id INTO stay_id;
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at, to_at) VALUES (stay_id, bed_id, h, t_out - interval '90 days', t_out);
    INSERT INTO app.turnovers (house_id, bed_id, stay_id, from_at, until) VALUES (h, bed_id, stay_id, t_out, t_out + interval '3 hours');
    -- last night's evening roll-call at 21:00: a line for each stay in residence then, on its bed
    rc_at := (today - 1 + time '21:00') AT TIME ZONE 'Asia/Jakarta';
    INSERT INTO app.roll_calls (house_id, kind, at, note, created_by, created_at)
    VALUES (h, 'evening', rc_at, 'Apel malam, hujan deras.', st, rc_at) RETURNING id INTO rc_id;
    INSERT INTO app.roll_call_lines (roll_call_id, resident_id, stay_id, bed_id, status, note, marked_by, marked_at)
    SELECT rc_id, s.resident_id, s.id, p.bed_id,
           CASE WHEN r.register_number = 'PB-2026-0026' THEN 'excused' ELSE 'present' END,
           CASE WHEN r.register_number = 'PB-2026-0026' THEN 'Izin menginap di rumah orang tua yang sakit (disetujui PK).' END,
           st, rc_at + interval '12 minutes'
      FROM app.stays s JOIN app.residents r ON r.id = s.resident_id
      JOIN app.bed_periods p ON p.stay_id = s.id AND p.during @> rc_at
     WHERE s.house_id = h;
    UPDATE app.roll_calls SET status = 'closed', closed_at = rc_at + interval '15 minutes', closed_by = st WHERE id = rc_id;
    INSERT INTO app.handover_notes (house_id, shift, note, flags, author_id, created_at, updated_at)
    VALUES (h, 'afternoon', 'Keran kamar mandi L1-02 bocor, tukang datang besok pagi. Rahmat Hidayat (rujukan Lapas) diperkirakan datang lusa; tempat tidurnya sudah dipesan.',
            ARRAY['maintenance', 'follow_up'], st, now() - interval '9 hours', now() - interval '9 hours'),
           (h, 'night', 'Apel malam lengkap. Eko Prasetyo terlambat kembali dari wajib lapor; Bapas sudah dihubungi, tunggu kabar.',
            ARRAY['security'], st, now() - interval '2 hours', now() - interval '2 hours');
    RAISE NOTICE 'demo seed: GAJ-01 referrals, holds, turnover, roll-call and handover loaded';
END $nights$;

-- Privacy (§18.2, §18.6, §18.8), loaded once while the house has no consent: two residents of
-- the BLK welding course agreed that the BLK may see their attendance (the partner view names
-- them), one family-contact consent runs out in 20 days (consent_expiring), an access request
-- received 50 hours ago (data_request_due within its last day), and the follow-ups of the
-- resident who left an hour ago, as his check-out would have scheduled them.
DO $privacy$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    cw uuid := coalesce((SELECT id FROM app.users WHERE username = 'caseworker'),
                        (SELECT id FROM app.users WHERE username = 'admin'));
    blk uuid := (SELECT id FROM app.partners WHERE name = 'UPTD BLK Kota Jambi');
    today date := (now() AT TIME ZONE 'Asia/Jakarta')::date;
BEGIN
    IF cw IS NULL OR blk IS NULL OR EXISTS (SELECT 1 FROM app.consents WHERE house_id = h) THEN
        RETURN;
    END IF;
    INSERT INTO app.consents (resident_id, house_id, purpose, partner_id, scope, given_on, expires_on, notice_given,
                              proof_form, proof_document_ref, proof_witness_name, recorded_by)
    SELECT e.resident_id, h, 'programme_partner_sharing', blk, ARRAY['identity', 'attendance'], today - 60,
           today - 60 + 365, true, 'written', 'PS/GAJ/2026/' || lpad(row_number() OVER (ORDER BY e.seq)::text, 3, '0'),
           'Dewi Lestari (PK)', cw
      FROM app.enrolments e JOIN app.programmes p ON p.id = e.programme_id
     WHERE p.house_id = h AND p.partner_id = blk AND e.stage IN ('enrolled', 'completed')
     ORDER BY e.seq LIMIT 2;
    INSERT INTO app.consents (resident_id, house_id, purpose, recipient, scope, given_on, expires_on, notice_given,
                              proof_form, proof_document_ref, proof_witness_name, recorded_by)
    SELECT r.id, h, 'family_contact', 'Ibu kandung', ARRAY['contact', 'legal_status'], today - 345, today + 20, true,
           'recorded', 'REK/GAJ/2025/117', 'Andi Saputra (petugas)', cw
      FROM app.residents r WHERE r.register_number = 'PB-2026-0026';
    INSERT INTO app.data_requests (resident_id, house_id, kind, received_at, details, recorded_by)
    SELECT r.id, h, 'access', now() - interval '50 hours',
           'Klien meminta salinan data dirinya dan rekam jejak pemrosesannya untuk diserahkan ke penjamin.', cw
      FROM app.residents r WHERE r.register_number = 'PB-2026-0026';
    INSERT INTO app.follow_ups (resident_id, house_id, stay_id, offset_days, due_on)
    SELECT s.resident_id, h, s.id, d, (s.checked_out_at AT TIME ZONE 'Asia/Jakarta')::date + d
      FROM app.stays s JOIN app.residents r ON r.id = s.resident_id CROSS JOIN unnest(ARRAY[30, 90, 180]) d
     WHERE r.register_number = 'AS-2026-0001' AND s.checked_out_at IS NOT NULL;
    RAISE NOTICE 'demo seed: GAJ-01 consents, a data-subject request and follow-ups loaded';
END $privacy$;

-- Retention (§18.7): a man who left six years ago, his parole over since; scripts/run then runs
-- `abiprayad retention`, which anonymises him (the resident "Anonim …", his stay and the counts
-- kept, his audit records redacted). Loaded once: afterwards the house has a stay that old.
DO $retention$
DECLARE
    h uuid := (SELECT id FROM app.houses WHERE code = 'GAJ-01');
    bed uuid := (SELECT b.id FROM app.beds b JOIN app.rooms r ON r.id = b.room_id
                  WHERE b.house_id = h AND r.code = 'L1-01' AND b.label = 'A');
    t_in timestamptz := date_trunc('day', now()) - interval '6 years 200 days' + interval '9 hours';
    t_out timestamptz := date_trunc('day', now()) - interval '6 years' + interval '10 hours';
    rid uuid;
    sid uuid;
BEGIN
    IF bed IS NULL OR EXISTS (SELECT 1 FROM app.stays s WHERE s.house_id = h AND s.checked_out_at < now() - interval '5 years') THEN
        RETURN;
    END IF;
    INSERT INTO app.residents (house_id, full_name, register_number, sex, birth_date, national_id, legal_status,
                               supervision_ends_on, phone, notes, created_at, updated_at)
    VALUES (h, 'Bambang Sutrisno', 'PB-2020-0044', 'male', date '1979-08-17', '1571021708790003', 'released',
            (t_out + interval '30 days')::date, '081273301122', 'Mantan penghuni angkatan pertama.', t_in, t_out)
    RETURNING id INTO rid;
    INSERT INTO app.stays (house_id, resident_id, checked_in_at, checked_out_at, planned_exit_on, exit_reason,
                           destination, notes, created_at, updated_at)
    VALUES (h, rid, t_in, t_out, t_out::date, 'completed', 'family', 'Kembali ke keluarga di Muara Bulian.', t_in, t_out)
    RETURNING id INTO sid;
    INSERT INTO app.bed_periods (stay_id, bed_id, house_id, from_at, to_at) VALUES (sid, bed, h, t_in, t_out);
    RAISE NOTICE 'demo seed: GAJ-01 a former resident due for retention loaded';
END $retention$;

-- The demo caseworker supervises the demo residents. scripts/run seeds once before it adds the
-- caseworker (the house must exist first) and once after, when this finds them.
UPDATE app.residents r SET caseworker_id = u.id
  FROM app.users u
 WHERE u.username = 'caseworker' AND r.caseworker_id IS NULL
   AND r.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');
UPDATE app.referrals f SET caseworker_id = u.id
  FROM app.users u
 WHERE u.username = 'caseworker' AND f.caseworker_id IS NULL AND f.status IN ('pending', 'accepted')
   AND f.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');
UPDATE app.legal_bases b SET caseworker_id = r.caseworker_id, recorded_by = r.caseworker_id
  FROM app.residents r
 WHERE r.id = b.resident_id AND b.caseworker_id IS NULL AND r.caseworker_id IS NOT NULL
   AND r.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');
UPDATE app.reporting_schedule_versions v SET set_by = r.caseworker_id
  FROM app.reporting_schedules s JOIN app.residents r ON r.id = s.resident_id
 WHERE v.schedule_id = s.id AND v.set_by IS NULL AND r.caseworker_id IS NOT NULL
   AND r.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');
UPDATE app.reporting_records x SET verified_by = r.caseworker_id
  FROM app.residents r
 WHERE r.id = x.resident_id AND x.verified_by IS NULL AND r.caseworker_id IS NOT NULL
   AND r.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');
UPDATE app.reporting_excuses x SET excused_by = r.caseworker_id
  FROM app.residents r
 WHERE r.id = x.resident_id AND x.excused_by IS NULL AND r.caseworker_id IS NOT NULL
   AND r.house_id = (SELECT id FROM app.houses WHERE code = 'GAJ-01');

COMMIT;
