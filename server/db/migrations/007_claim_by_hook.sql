-- Fair claims (issue 11): the claim picks due actions hook by hook, so one hook's backlog cannot fill
-- the window of another. It walks the distinct (hook, priority) pairs of pending actions, one index
-- probe each (PostgreSQL 15 has no skip scan), and reads each pair's due actions as one bounded range
-- in date order. The global claim-order index served the old single scan and nothing else.
CREATE INDEX actions_claim_by_hook ON {{schema}}.actions (hook, priority, scheduled_at, id) WHERE status = 'pending';
DROP INDEX {{schema}}.actions_claim_order;
