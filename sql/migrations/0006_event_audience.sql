-- abipraya: the audience of an event (contract §15.9, §16.11): some events reach only some
-- roles of the house (staff never receive reporting compliance, partner users only their
-- programmes'). NULL is every role that may read the house, as before; otherwise the roles
-- listed. The stream filters on it live (the notification carries it) and in the
-- Last-Event-ID backlog.
ALTER TABLE app.events ADD COLUMN roles text[]
    CHECK (roles <@ ARRAY['admin', 'manager', 'caseworker', 'staff', 'partner']);
