-- A write the daemon has already answered 503 must not commit afterwards. The daemon gives
-- up on a call at its deadline (database.timeout_ms) and closes the connection, but a
-- backend that was frozen, or merely slow, may still run the statement later: closing the
-- socket does not stop a statement already in the backend's input. So the daemon sends
-- writes through api.run_by with a deadline a little before its own, and the call rolls
-- itself back when it starts or ends past it. What is left is the commit itself, which
-- takes microseconds. Daemon and database clocks must agree to within the margin the
-- daemon leaves (a second at most).

CREATE FUNCTION api.run_by(deadline timestamptz, token_hash bytea, op text, roles text[], request_id text,
                           idem_key text, fingerprint text, args jsonb, pre_error jsonb)
RETURNS api.result LANGUAGE plpgsql AS $$
DECLARE
    res api.result;
BEGIN
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call reached the database after its deadline';
    END IF;
    res := api.run(token_hash, op, roles, request_id, idem_key, fingerprint, args, pre_error);
    IF clock_timestamp() > deadline THEN
        RAISE EXCEPTION USING ERRCODE = 'query_canceled', MESSAGE = 'the call ran past its deadline';
    END IF;
    RETURN res;
END $$;
