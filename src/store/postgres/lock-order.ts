/*
 * Lock order. Every transaction of the PostgreSQL store takes its locks in this order, and
 * each statement that locks several rows of one table locks them in ascending key order (a
 * `for update` CTE sorted by the key, whose rows are locked after the sort):
 *   1. one incident row (`incidents ... for update`, or the update of it): save, append,
 *      setThread, finishDispatch (incident-log.ts, dispatch-leases.ts);
 *   2. dispatch rows, by (incident_id, step_id, attempt): finishDispatch, renewLeases,
 *      releaseLeases (dispatch-leases.ts, replica-leases.ts);
 *   3. outbox rows, by id: claimOutbox, failOutbox, markSent, retryOutbox, renewLeases,
 *      releaseLeases (outbox-queue.ts, replica-leases.ts);
 *   4. message ref rows, by key: markSent (after its outbox rows), setRef (message-refs.ts).
 * Inserting outbox or transcript rows takes no lock another statement waits for.
 *
 * Most writes are one statement (a transition with its transcript entries and messages is
 * one round trip: append-in-statement.ts). PostgreSQL runs a statement's CTEs in no promised
 * order, so a statement that takes two of these locks gates the later one on the earlier:
 * `... and exists (select 1 from locked)` is a one-time filter, evaluated — the earlier lock
 * taken — before the rows of the later one are read (finishDispatch; the transcript and
 * outbox inserts wait for the incident row the same way).
 *
 * Outbox claims take no table-wide lock. Until issue 20 an advisory lock serialised every
 * claim of every replica, because a claim chose its incidents from its snapshot and then
 * locked their rows, so a claim that had waited for another's rows took them over. Now a
 * claim decides on the rows as they are once it holds them (a locked row comes back in its
 * latest version): two replicas claiming one incident queue on its rows only, and the second
 * finds the first one's lease and leaves the incident alone (outbox-queue.ts).
 *
 * Why it is written down: renewLeases (outbox rows in heap order, `where owner = $1`) and
 * settleOutbox (rows by primary key; now markSent and failOutbox) of one replica once locked the same two rows in
 * opposite orders and PostgreSQL killed one with "deadlock detected" (issue 12). A deadlock
 * or serialisation failure that still happens is retried (connection.ts), never handed to
 * the engine. Every part that takes one of these locks names this module where it says which
 * it takes, so that the order is in sight where a lock is added.
 */

/**
 * Serialises migrations at start-up (migrations.ts), so that several replicas starting
 * together do not race. Taken before any table exists, so it is outside the order above.
 */
export const MigrationLock = 0x52_44_50_46; // "RDPF"
